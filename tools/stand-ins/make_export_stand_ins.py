"""Build small diffusers/optimum-layout ONNX export folders that the import tests load as they are.

    /usr/bin/python3 tools/stand-ins/make_export_stand_ins.py [--out packages/runtime/test/fixtures/exports]

A real Stable Diffusion export (optimum-cli export onnx, or diffusers'
convert_stable_diffusion_checkpoint_to_onnx.py) is a folder of components named in
model_index.json, each in its own subfolder with its config:

    model_index.json
    scheduler/scheduler_config.json
    unet/model.onnx  unet/config.json
    text_encoder/model.onnx  text_encoder/config.json
    tokenizer/vocab.json + merges.txt (or tokenizer.json), tokenizer_config.json, special_tokens_map.json
    vae_decoder/model.onnx  vae_decoder/config.json
    vae_encoder/model.onnx  vae_encoder/config.json   (optional)

These stand-ins have that layout, those file names, configs with the keys the real ones have, and
graphs with the public tensor names and diffusers module names (/up_blocks.N/..., /mid_block/...),
with random (seeded) weights. No model.json is written for sd15 and sd2: the runtime derives it.

Writes, under --out:
  sd15/    SD-1.x configs: DDIMScheduler, scaled_linear 0.00085 -> 0.012, steps_offset 1,
           set_alpha_to_one false, epsilon, leading spacing; CLIP-like text encoder (input_ids int32
           -> last_hidden_state, pooler_output); tokenizer as vocab.json + merges.txt; UNet with
           dynamic batch/height/width (so sampleShape must come from unet/config.json), int64
           timestep; vae_decoder with scaling_factor 0.18215 in its config; a vae_encoder.
  sd2/     SD-2.x-style: v_prediction, timestep_spacing trailing, tokenizer.json only (pad token
           "!", as SD 2's tokenizer), float32 timestep, a VAE config without scaling_factor (the
           runtime's default applies and says so).
  uncond/  unconditional pixel UNet with its own tensor names (x_t, t -> eps) and an up block
           without an upsampler that is not the last one; its model.json maps only the inputs.

Deterministic: torch.manual_seed(0). Needs Debian's python3-torch (1.13) and python3-onnx.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_stand_ins import (  # noqa: E402
    Attention,
    Downsample2D,
    ResnetBlock2D,
    TextEncoder,
    TimestepEmbedding,
    Timesteps,
    UNetMidBlock2D,
    Upsample2D,
    VaeDecoder,
    bytes_to_unicode,
    export,
)
from make_stand_ins import write_json as write_json_file  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "..", "..", "packages", "runtime", "test", "fixtures", "exports")
DIFFUSERS_VERSION = "0.21.4"


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_json_file(path, obj)


# ---------------------------------------------------------------- a UNet with a configurable topology
class DownBlock(nn.Module):
    def __init__(self, cin, cout, temb, down):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin, cout, temb)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if down else None

    def forward(self, x, temb):
        x = self.resnets[0](x, temb)
        skip = x
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
        return x, skip


class UpBlock(nn.Module):
    def __init__(self, cin, skip, cout, temb, up, context_dim=None):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin + skip, cout, temb)])
        self.attentions = nn.ModuleList([Attention(cout, context_dim)]) if context_dim else None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if up else None

    def forward(self, x, skip, temb, context=None):
        x = self.resnets[0](torch.cat([x, skip], dim=1), temb)
        if self.attentions is not None:
            x = self.attentions[0](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class ExportUNet(nn.Module):
    """diffusers' UNet2D(Condition)Model topology, tiny: down block i has channels ch[i] and
    downsamples where downs[i]; up block i mirrors down block n-1-i and upsamples at its end where
    the down block before that one downsampled (so an up block may have no upsampler and still not
    be the last)."""

    def __init__(self, cin, ch, downs, context_dim=None, temb=32):
        super().__init__()
        n = len(ch)
        self.conv_in = nn.Conv2d(cin, ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0])
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList([DownBlock(ch[i - 1] if i else ch[0], ch[i], temb, downs[i]) for i in range(n)])
        self.mid_block = UNetMidBlock2D(ch[-1], temb, context_dim)
        ups = []
        prev = ch[-1]
        for i in range(n):
            j = n - 1 - i
            up = i < n - 1 and downs[j - 1]
            ups.append(UpBlock(prev, ch[j], ch[j], temb, up, context_dim))
            prev = ch[j]
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = nn.GroupNorm(4, ch[0])
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], cin, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states=None):
        temb = self.time_embedding(self.time_proj(timestep))
        x = self.conv_in(sample)
        skips = []
        for blk in self.down_blocks:
            x, s = blk(x, temb)
            skips.append(s)
        x = self.mid_block(x, temb, encoder_hidden_states)
        for blk in self.up_blocks:
            x = blk(x, skips.pop(), temb, encoder_hidden_states)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


class ClipTextModel(nn.Module):
    """The optimum text encoder's outputs: last_hidden_state and pooler_output (the end token's state)."""

    def __init__(self, vocab):
        super().__init__()
        self.text_model = TextEncoder(vocab)

    def forward(self, input_ids):
        h = self.text_model(input_ids)
        return h, h[:, -1]


class VaeEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.quant_conv = nn.Conv2d(8, 4, 1)

    def forward(self, sample):
        return self.quant_conv(torch.relu(self.conv_in(sample)))


# ---------------------------------------------------------------- tokenizer files
WORDS = ["a", "photo", "of", "cat", "dog", "fashion", "shoe", "red", "blue", "dress"]


def clip_vocab():
    """A CLIP-format BPE vocabulary: the 256 byte symbols, their '</w>' forms, the merges that
    spell a few whole words, and the two special tokens (last, as in CLIP: ids 49406, 49407 there)."""
    base = list(bytes_to_unicode().values())
    vocab = base + [c + "</w>" for c in base]
    merges, seen = [], set()
    for word in WORDS:
        sym = list(word[:-1]) + [word[-1] + "</w>"]
        while len(sym) > 1:
            m = f"{sym[0]} {sym[1]}"
            if m not in seen:
                seen.add(m)
                merges.append(m)
            merged = sym[0] + sym[1]
            if merged not in vocab:
                vocab.append(merged)
            sym = [merged] + sym[2:]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab)}, merges


def special(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def tokenizer_config(pad):
    return {
        "add_prefix_space": False, "bos_token": special("<|startoftext|>"), "clean_up_tokenization_spaces": True,
        "do_lower_case": True, "eos_token": special("<|endoftext|>"), "errors": "replace", "model_max_length": 77,
        "pad_token": pad, "tokenizer_class": "CLIPTokenizer", "unk_token": special("<|endoftext|>"),
    }


def special_tokens_map(pad):
    return {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": pad, "unk_token": "<|endoftext|>"}


def write_vocab_merges(d, vocab, merges, pad):
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "vocab.json"), vocab)
    with open(os.path.join(d, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    write_json(os.path.join(d, "tokenizer_config.json"), tokenizer_config(pad))
    write_json(os.path.join(d, "special_tokens_map.json"), special_tokens_map(pad))


def write_tokenizer_json(d, vocab, merges, pad):
    """HF tokenizers' tokenizer.json of a CLIP tokenizer, as transformers' CLIPTokenizerFast saves it."""
    os.makedirs(d, exist_ok=True)
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": True}
             for t, i in (("<|startoftext|>", bos), ("<|endoftext|>", eos))]
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", eos], "cls": ["<|startoftext|>", bos],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges},
    }
    write_json(os.path.join(d, "tokenizer.json"), doc)
    write_json(os.path.join(d, "tokenizer_config.json"), tokenizer_config(pad))
    write_json(os.path.join(d, "special_tokens_map.json"), special_tokens_map(pad))


# ---------------------------------------------------------------- configs
def ddim_config(**over):
    c = {
        "_class_name": "DDIMScheduler", "_diffusers_version": DIFFUSERS_VERSION, "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "clip_sample_range": 1.0,
        "dynamic_thresholding_ratio": 0.995, "num_train_timesteps": 1000, "prediction_type": "epsilon",
        "rescale_betas_zero_snr": False, "sample_max_value": 1.0, "set_alpha_to_one": False, "steps_offset": 1,
        "thresholding": False, "timestep_spacing": "leading", "trained_betas": None,
    }
    c.update(over)
    return c


def unet_config(cls, sample_size, cin, ch, downs, cross=None):
    n = len(ch)
    c = {"_class_name": cls, "_diffusers_version": DIFFUSERS_VERSION, "sample_size": sample_size, "in_channels": cin,
         "out_channels": cin, "block_out_channels": list(ch), "layers_per_block": 1, "norm_num_groups": 4,
         "down_block_types": ["CrossAttnDownBlock2D" if cross else "DownBlock2D"] * n,
         "up_block_types": ["CrossAttnUpBlock2D" if cross else "UpBlock2D"] * n,
         "add_downsample": list(downs)}
    if cross:
        c["cross_attention_dim"] = cross
    return c


def vae_config(scaling_factor):
    c = {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION, "in_channels": 3, "out_channels": 3,
         "latent_channels": 4, "block_out_channels": [8], "sample_size": 16}
    if scaling_factor is not None:
        c["scaling_factor"] = scaling_factor
    return c


def text_config(vocab_size):
    return {"_name_or_path": "stand-in", "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
            "hidden_size": 32, "max_position_embeddings": 77, "vocab_size": vocab_size, "num_hidden_layers": 1}


def model_index(cls, components):
    m = {"_class_name": cls, "_diffusers_version": DIFFUSERS_VERSION}
    m.update(components)
    return m


ORT = ["diffusers", "OnnxRuntimeModel"]
DYN_B = {0: "batch"}


def make_sd(out, name, *, scheduler, tokenizer_json, pad, timestep_dtype, dynamic_hw, scaling_factor, vae_encoder):
    d = os.path.join(out, name)
    vocab, merges = clip_vocab()
    tok = os.path.join(d, "tokenizer")
    if tokenizer_json:
        write_tokenizer_json(tok, vocab, merges, pad)
    else:
        write_vocab_merges(tok, vocab, merges, pad)
    ch, downs = (8, 16, 16), (True, True, False)
    net = ExportUNet(4, ch, downs, context_dim=32)
    sample_axes = {0: "batch", 1: "channels", 2: "height", 3: "width"} if dynamic_hw else DYN_B
    t = torch.tensor([999, 10]) if timestep_dtype == "int64" else torch.tensor([999.0, 10.0])
    export(net, (torch.randn(2, 4, 8, 8), t, torch.randn(2, 77, 32)), os.path.join(d, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": sample_axes, "timestep": DYN_B, "encoder_hidden_states": {0: "batch", 1: "sequence"},
            "out_sample": sample_axes})
    write_json(os.path.join(d, "unet", "config.json"), unet_config("UNet2DConditionModel", 8, 4, ch, downs, cross=32))
    export(ClipTextModel(len(vocab)), (torch.zeros(2, 77, dtype=torch.int32),), os.path.join(d, "text_encoder", "model.onnx"),
           ["input_ids"], ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": DYN_B})
    write_json(os.path.join(d, "text_encoder", "config.json"), text_config(len(vocab)))
    export(VaeDecoder(), (torch.randn(2, 4, 8, 8),), os.path.join(d, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    write_json(os.path.join(d, "vae_decoder", "config.json"), vae_config(scaling_factor))
    components = {
        "feature_extractor": ["transformers", "CLIPImageProcessor"], "requires_safety_checker": False,
        "safety_checker": [None, None], "scheduler": ["diffusers", scheduler["_class_name"]], "text_encoder": ORT,
        "tokenizer": ["transformers", "CLIPTokenizerFast" if tokenizer_json else "CLIPTokenizer"], "unet": ORT,
        "vae_decoder": ORT,
    }
    if vae_encoder:
        export(VaeEncoder(), (torch.randn(2, 3, 16, 16),), os.path.join(d, "vae_encoder", "model.onnx"), ["sample"],
               ["latent_sample"], {"sample": DYN_B, "latent_sample": DYN_B})
        write_json(os.path.join(d, "vae_encoder", "config.json"), vae_config(scaling_factor))
        components["vae_encoder"] = ORT
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), scheduler)
    write_json(os.path.join(d, "model_index.json"), model_index("OnnxStableDiffusionPipeline", components))


def make_uncond(out):
    d = os.path.join(out, "uncond")
    ch, downs = (8, 16, 16), (False, True, False)
    net = ExportUNet(3, ch, downs)
    export(net, (torch.randn(2, 3, 16, 16), torch.tensor([999, 10])), os.path.join(d, "unet", "model.onnx"),
           ["x_t", "t"], ["eps"], {"x_t": DYN_B, "t": DYN_B, "eps": DYN_B})
    write_json(os.path.join(d, "unet", "config.json"), unet_config("UNet2DModel", 16, 3, ch, downs))
    sched = ddim_config(beta_schedule="linear", beta_start=0.0001, beta_end=0.02, steps_offset=0, set_alpha_to_one=True)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), sched)
    write_json(os.path.join(d, "model_index.json"),
               model_index("DDIMPipeline", {"scheduler": ["diffusers", "DDIMScheduler"], "unet": ORT}))
    # the UNet's inputs have no diffusers names: model.json maps them; everything else is derived
    write_json(os.path.join(d, "model.json"), {"name": "uncond-stand-in", "unet": {"inputs": {"sample": "x_t", "timestep": "t"}}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    out = os.path.abspath(args.out)
    make_sd(out, "sd15", scheduler=ddim_config(), tokenizer_json=False, pad="<|endoftext|>", timestep_dtype="int64",
            dynamic_hw=True, scaling_factor=0.18215, vae_encoder=True)
    make_sd(out, "sd2", scheduler=ddim_config(prediction_type="v_prediction", timestep_spacing="trailing"),
            tokenizer_json=True, pad="!", timestep_dtype="float32", dynamic_hw=False, scaling_factor=None, vae_encoder=False)
    make_uncond(out)
    total = 0
    for root, _, files in os.walk(out):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    print(f"wrote export stand-ins to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
