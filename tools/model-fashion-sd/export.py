"""Export model-fashion-sd in the diffusers/optimum ONNX layout (OnnxStableDiffusionPipeline).

    /usr/bin/python3 tools/model-fashion-sd/export.py --out /tmp/fsd-export [--ckpt /work/ckpt/model-fashion-sd]
    node tools/model-fashion-sd/check_onnx.mjs /tmp/fsd-export        # onnxruntime-node vs PyTorch

Writes under --out:
  model_index.json                    OnnxStableDiffusionPipeline
  scheduler/scheduler_config.json     DDIMScheduler, SD-1.5's settings
  unet/model.onnx, config.json        sample f32 [N,4,8,8], timestep i64 [N], encoder_hidden_states f32 [N,77,64] -> out_sample (epsilon)
  text_encoder/model.onnx, config.json  input_ids i32 [N,77] -> last_hidden_state [N,77,64], pooler_output [N,64]
  tokenizer/                          vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json
  vae_encoder/model.onnx, config.json sample f32 [N,1,32,32] in [-1,1] -> latent_sample [N,4,8,8] (posterior mean, unscaled)
  vae_decoder/model.onnx, config.json latent_sample [N,4,8,8] (latents / scaling_factor) -> sample [N,1,32,32]
  clip/                               the judge CLIP (separate seed/weights): image_encoder/model.onnx
                                      (pixel_values f32 [N,1,32,32] in [-1,1] -> image_embeds [N,64]),
                                      text_encoder/model.onnx (input_ids i64 [N,77], attention_mask i64 [N,77]
                                      -> text_embeds [N,64], last_hidden_state), tokenizer/, config.json
  attributes.json                     the attribute rules' thresholds (captions.py)
  attributes-check.json               the rules' values on the 100 images of model-fashion's test-sample.u8 (port check)
  provenance.json                     file SHA-256s, seeds, steps, wall times, commands, cut tensors, stage metrics
  check.json                          inputs and PyTorch outputs for check_onnx.mjs
Uses the EMA weights; works on a checkpoint still in training (the step is recorded).
"""
import os
# OpenMP threads that spin at barriers waste most of the CPU when other processes share the 2
# cores (measured: a VAE step 9-10 s with the default policy, 1.0-1.6 s with PASSIVE). Must be set
# before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import hashlib
import json
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "model-fashion"))
from common import dataset_provenance  # noqa: E402
from models import (AutoencoderKL, ClipImageExport, ClipTextExport, CLIPModel, TextEncoderExport,  # noqa: E402
                    UNet2DConditionModel, VaeDecoderExport, VaeEncoderExport, count_params,
                    BETA_START, BETA_END, TRAIN_TIMESTEPS)
import tokenizer as T  # noqa: E402

OPSET = 17
DIFFUSERS_VERSION = "0.21.4"
CACHE_TENSORS = {  # branch -> module whose output is the cached deep feature
    0: ("/up_blocks.1/", "/up_blocks.2/"),
    1: ("/up_blocks.0/", "/up_blocks.1/"),
    2: ("/mid_block/", "/up_blocks.0/"),
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wjson(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def onnx_export(module, args, path, input_names, output_names, dynamic):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp.onnx"
    module.eval()
    torch.onnx.export(module, args, tmp, opset_version=OPSET, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


def find_cache_tensors(path):
    nodes = list(onnx.load(path).graph.node)
    out = {}
    for b, (prefix, consumer) in CACHE_TENSORS.items():
        produced = {o for n in nodes if n.name.startswith(prefix) for o in n.output}
        crossing = sorted({t for n in nodes if n.name.startswith(consumer) for t in n.input if t in produced})
        if len(crossing) != 1:
            raise SystemExit(f"branch {b}: expected one tensor from {prefix} into {consumer}, got {crossing}")
        out[str(b)] = crossing[0]
    return out


def tolist(t):
    return t.detach().cpu().numpy().astype(np.float64).ravel().tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.environ.get("FSD_CKPT", "/work/ckpt/model-fashion-sd"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--raw-weights", action="store_true", help="export the raw (non-EMA) weights")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    out = args.out
    os.makedirs(out, exist_ok=True)
    wkey = "model" if args.raw_weights else "ema"
    ck = {s: torch.load(os.path.join(args.ckpt, s + ".ckpt")) for s in ("vae", "clip", "judge", "unet")}
    lat = torch.load(os.path.join(args.ckpt, "latents.pt"))
    tok_dir = os.path.join(args.ckpt, "assets", "tokenizer")
    tok = T.ClipTokenizer.from_dir(tok_dir)
    vocab_size = len(tok.encoder)
    scaling = float(lat["scaling_factor"])

    vae = AutoencoderKL(**ck["vae"]["arch"])
    vae.load_state_dict(ck["vae"][wkey])
    clip = CLIPModel(vocab_size, **ck["clip"]["arch"])
    clip.load_state_dict(ck["clip"][wkey])
    judge = CLIPModel(vocab_size, **ck["judge"]["arch"])
    judge.load_state_dict(ck["judge"][wkey])
    unet = UNet2DConditionModel(**ck["unet"]["arch"])
    unet.load_state_dict(ck["unet"][wkey])
    for m in (vae, clip, judge, unet):
        m.eval()
    check = {}
    prompts = ["a photo of a dark sneaker", ""]
    ids = torch.tensor([tok.encode(p) for p in prompts], dtype=torch.int64)

    # ---- text encoder (generator's CLIP text tower)
    te = TextEncoderExport(clip.text)
    p = os.path.join(out, "text_encoder", "model.onnx")
    onnx_export(te, (ids.to(torch.int32),), p, ["input_ids"], ["last_hidden_state", "pooler_output"],
                {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    with torch.no_grad():
        h, pooled = te(ids)
    check["text_encoder"] = {"inputs": {"input_ids": {"type": "int32", "dims": list(ids.shape), "data": ids.ravel().tolist()}},
                             "outputs": {"last_hidden_state": tolist(h), "pooler_output": tolist(pooled)}}
    tc = clip.text.config
    wjson({"_name_or_path": "model-fashion-sd/text_encoder", "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
           "hidden_size": tc["hidden_size"], "intermediate_size": tc["intermediate_size"],
           "num_attention_heads": tc["num_attention_heads"], "num_hidden_layers": tc["num_hidden_layers"],
           "max_position_embeddings": tc["max_position_embeddings"], "vocab_size": tc["vocab_size"],
           "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "bos_token_id": tok.bos_id, "eos_token_id": tok.eos_id,
           "pad_token_id": tok.pad_id, "projection_dim": clip.config["projection_dim"], "torch_dtype": "float32"},
          os.path.join(out, "text_encoder", "config.json"))

    # ---- unet
    g = torch.Generator().manual_seed(123)
    sample = torch.randn(2, 4, 8, 8, generator=g)
    timestep = torch.tensor([981, 1], dtype=torch.int64)
    p = os.path.join(out, "unet", "model.onnx")
    onnx_export(unet, (sample, timestep, h), p, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
                 "out_sample": {0: "batch"}})
    cache = find_cache_tensors(p)
    with torch.no_grad():
        eps = unet(sample, timestep, h)
    check["unet"] = {"inputs": {"sample": {"type": "float32", "dims": [2, 4, 8, 8], "data": tolist(sample)},
                                "timestep": {"type": "int64", "dims": [2], "data": timestep.tolist()},
                                "encoder_hidden_states": {"type": "float32", "dims": list(h.shape), "data": tolist(h)}},
                     "outputs": {"out_sample": tolist(eps)}}
    ucfg = dict(unet.config)
    ucfg["_class_name"] = "UNet2DConditionModel"
    ucfg["_diffusers_version"] = DIFFUSERS_VERSION
    ucfg["prediction_type_of_export"] = "epsilon"
    wjson(ucfg, os.path.join(out, "unet", "config.json"))

    # ---- vae
    x = torch.rand(2, 1, 32, 32, generator=g) * 2 - 1
    p = os.path.join(out, "vae_encoder", "model.onnx")
    enc = VaeEncoderExport(vae)
    onnx_export(enc, (x,), p, ["sample"], ["latent_sample"], {"sample": {0: "batch"}, "latent_sample": {0: "batch"}})
    with torch.no_grad():
        z = enc(x)
    check["vae_encoder"] = {"inputs": {"sample": {"type": "float32", "dims": [2, 1, 32, 32], "data": tolist(x)}},
                            "outputs": {"latent_sample": tolist(z)}}
    dec = VaeDecoderExport(vae)
    p = os.path.join(out, "vae_decoder", "model.onnx")
    onnx_export(dec, (z,), p, ["latent_sample"], ["sample"], {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})
    with torch.no_grad():
        r = dec(z)
    check["vae_decoder"] = {"inputs": {"latent_sample": {"type": "float32", "dims": [2, 4, 8, 8], "data": tolist(z)}},
                            "outputs": {"sample": tolist(r)}}
    vcfg = dict(_class_name="AutoencoderKL", _diffusers_version=DIFFUSERS_VERSION, act_fn="silu",
                block_out_channels=list(vae.config["block_out_channels"]),
                down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                in_channels=1, out_channels=1, latent_channels=4, layers_per_block=1,
                norm_num_groups=vae.config["norm_num_groups"], sample_size=32, scaling_factor=scaling,
                image_range=[-1, 1], image_crop={"top": 2, "left": 2, "height": 28, "width": 28},
                encoder_output="posterior mean (deterministic), not scaled")
    wjson(vcfg, os.path.join(out, "vae_encoder", "config.json"))
    wjson(vcfg, os.path.join(out, "vae_decoder", "config.json"))

    # ---- tokenizer
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
        for d in (os.path.join(out, "tokenizer"), os.path.join(out, "clip", "tokenizer")):
            os.makedirs(d, exist_ok=True)
            shutil.copyfile(os.path.join(tok_dir, name), os.path.join(d, name))

    # ---- judge CLIP
    img = ClipImageExport(judge)
    p = os.path.join(out, "clip", "image_encoder", "model.onnx")
    onnx_export(img, (x,), p, ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    mask = (torch.arange(77)[None, :] <= ids.argmax(1)[:, None]).to(torch.int64)
    txt = ClipTextExport(judge)
    p = os.path.join(out, "clip", "text_encoder", "model.onnx")
    onnx_export(txt, (ids, mask), p, ["input_ids", "attention_mask"], ["text_embeds", "last_hidden_state"],
                {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "text_embeds": {0: "batch"},
                 "last_hidden_state": {0: "batch"}})
    with torch.no_grad():
        ie = img(x)
        tt, _ = txt(ids, mask)
    check["clip/image_encoder"] = {"inputs": {"pixel_values": {"type": "float32", "dims": [2, 1, 32, 32], "data": tolist(x)}},
                                   "outputs": {"image_embeds": tolist(ie)}}
    check["clip/text_encoder"] = {"inputs": {"input_ids": {"type": "int64", "dims": [2, 77], "data": ids.ravel().tolist()},
                                             "attention_mask": {"type": "int64", "dims": [2, 77], "data": mask.ravel().tolist()}},
                                  "outputs": {"text_embeds": tolist(tt)}}
    wjson({"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": judge.config["projection_dim"],
           "logit_scale": float(judge.logit_scale.exp()), "text_config": judge.text.config,
           "vision_config": {"type": "small CNN (tools/model-fashion-sd/models.py CLIPVisionCNN)",
                             "width": judge.config["vision_width"]},
           "image_input": {"name": "pixel_values", "shape": [None, 1, 32, 32], "range": [-1, 1],
                           "note": "the model's own image space: 28x28 padded by 2 with -1; no resize or normalisation"},
           "text_input": {"input_ids": "int64 [N,77], CLIP tokenizer (tokenizer/), padded with <|endoftext|>",
                          "attention_mask": "int64 [N,77], 1 up to and including the first <|endoftext|>"},
           "clip_score": "100 * max(0, cos(image_embeds, text_embeds))",
           "zero_shot": ck["judge"].get("result", {}), "seed": ck["judge"]["seed"],
           "note": "The judge: trained separately from the generator's text encoder (different seed and width)."},
          os.path.join(out, "clip", "config.json"))

    # ---- scheduler, index, attributes
    wjson({"_class_name": "DDIMScheduler", "_diffusers_version": DIFFUSERS_VERSION, "beta_end": BETA_END,
           "beta_schedule": "scaled_linear", "beta_start": BETA_START, "clip_sample": False,
           "num_train_timesteps": TRAIN_TIMESTEPS, "prediction_type": "epsilon", "set_alpha_to_one": False,
           "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": None},
          os.path.join(out, "scheduler", "scheduler_config.json"))
    wjson({"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": DIFFUSERS_VERSION,
           "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
           "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
           "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
           "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"]},
          os.path.join(out, "model_index.json"))
    shutil.copyfile(os.path.join(args.ckpt, "assets", "attributes.json"), os.path.join(out, "attributes.json"))
    import captions
    with open(os.path.join(out, "attributes.json")) as f:
        wjson(captions.check_vectors(json.load(f)), os.path.join(out, "attributes-check.json"))
    wjson(check, os.path.join(out, "check.json"))

    # ---- provenance
    files = {}
    for root, _, names in os.walk(out):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(root, n), out)
            if rel != "provenance.json":
                files[rel] = {"sha256": sha256(os.path.join(root, n)), "bytes": os.path.getsize(os.path.join(root, n))}
    stages = {}
    for s, c in ck.items():
        stages[s] = {"seed": c["seed"], "step": c["step"], "total_steps": c["total"], "batch": c["batch"],
                     "done": bool(c.get("done")), "wall_s_of_steps": round(c.get("wall", 0.0), 1),
                     "params": count_params({"vae": vae, "clip": clip, "judge": judge, "unet": unet}[s]),
                     "arch": {k: list(v) if isinstance(v, tuple) else v for k, v in c["arch"].items()},
                     "result": c.get("result", {}),
                     "last_log": c["hist"][-1] if c["hist"] else None}
    wjson({"format": 1, "name": "fashion-sd", "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "weights": "raw" if args.raw_weights else "ema",
           "commands": {"train": "tools/model-fashion-sd/start.sh  (= setsid nohup nice -n 10 /usr/bin/python3 tools/model-fashion-sd/train.py)",
                        "export": "/usr/bin/python3 tools/model-fashion-sd/export.py --out " + out},
           "torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET,
           "dataset": dataset_provenance(), "scaling_factor": scaling,
           "latent_posterior_std_mean": lat.get("posterior_std_mean"),
           "unet": {"cacheTensors": cache, "timestepType": "int64", "prediction": "epsilon (trained as v, converted in-graph)"},
           "stages": stages, "files": files,
           "totalBytes": sum(f["bytes"] for f in files.values())},
          os.path.join(out, "provenance.json"))
    print(json.dumps({"out": out, "cache": cache, "scaling_factor": scaling,
                      "MB": round(sum(f["bytes"] for f in files.values()) / 1e6, 2),
                      "steps": {s: v["step"] for s, v in stages.items()}}, indent=1))


if __name__ == "__main__":
    main()
