"""Export the trained networks to ONNX (opset 17) and write the data files of packages/model-fashion.

    python3 tools/model-fashion/export.py --workdir tools/model-fashion/checkpoints --out packages/model-fashion/model

Writes unet.onnx (EMA weights), features.onnx, reference statistics of the feature network on the
10,000 test images, a small sample of real test images, and export.json (cache points, checks)
which make_manifest.py folds into model.json.
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch

from common import FashionClassifier, UNet2DModel, load_split

# branch b -> the module whose output is the cached decoder feature (the input of up_blocks[2-b])
CACHE_MODULES = {0: "/up_blocks.1/", 1: "/up_blocks.0/", 2: "/mid_block/"}
CACHE_CONSUMERS = {0: "/up_blocks.2/", 1: "/up_blocks.1/", 2: "/up_blocks.0/"}


def find_cache_tensors(model_path):
    m = onnx.load(model_path)
    nodes = list(m.graph.node)
    out = {}
    for b, prefix in CACHE_MODULES.items():
        inside = [n for n in nodes if n.name.startswith(prefix)]
        produced = {o for n in inside for o in n.output}
        consumer_prefix = CACHE_CONSUMERS[b]
        # the tensor produced inside the module and consumed by the next up block
        crossing = [t for n in nodes if n.name.startswith(consumer_prefix) for t in n.input if t in produced]
        crossing = sorted(set(crossing))
        if len(crossing) != 1:
            raise SystemExit(f"branch {b}: expected one tensor from {prefix} into {consumer_prefix}, got {crossing}")
        out[b] = crossing[0]
    return out


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def serialize_stats(count, mean, cov, features=None):
    """Statistics in @flexiffusion/metrics' binary format (packages/metrics/src/serialize.ts):
    magic FLXSTATS, uint32 version 1, uint32 flags (bit 0: float32 features follow), uint32 dim,
    uint32 0, uint64 count, float64 mean, float64 covariance upper triangle row by row, features."""
    import struct
    dim = mean.shape[0]
    flags = 1 if features is not None else 0
    header = b"FLXSTATS" + struct.pack("<IIIIQ", 1, flags, dim, 0, int(count))
    iu = np.triu_indices(dim)
    body = mean.astype("<f8").tobytes() + cov[iu].astype("<f8").tobytes()
    if features is not None:
        body += features.astype("<f4").tobytes()
    return header + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), "checkpoints"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--unet-only", action="store_true")
    ap.add_argument("--raw-weights", action="store_true", help="export the raw (non-EMA) UNet weights")
    ap.add_argument("--torch-weights", default=os.path.join(os.path.dirname(__file__), "weights", "unet-ema.pt"),
                    help="also save the exported UNet's state_dict here (for the PyTorch comparison bench)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)

    ck = torch.load(os.path.join(args.workdir, "unet.ckpt"))
    unet = UNet2DModel()
    unet.load_state_dict(ck["model" if args.raw_weights else "ema"])
    unet.eval()
    if args.torch_weights:
        os.makedirs(os.path.dirname(args.torch_weights), exist_ok=True)
        torch.save(unet.state_dict(), args.torch_weights + ".tmp")
        os.replace(args.torch_weights + ".tmp", args.torch_weights)
    b = 2
    sample = torch.randn(b, 1, 32, 32)
    timestep = torch.tensor([999, 10], dtype=torch.int64)
    labels = torch.tensor([3, 10], dtype=torch.int64)
    unet_path = os.path.join(args.out, "unet.onnx")
    tmp = unet_path + ".tmp.onnx"
    torch.onnx.export(unet, (sample, timestep, labels), tmp, opset_version=17,
                      input_names=["sample", "timestep", "class_labels"], output_names=["noise_pred"],
                      dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"},
                                    "class_labels": {0: "batch"}, "noise_pred": {0: "batch"}},
                      do_constant_folding=True)
    os.replace(tmp, unet_path)
    with torch.no_grad():
        ref = unet(sample, timestep, labels).numpy()
    cache = find_cache_tensors(unet_path)
    info = {"unet": {"cacheTensors": {str(k): v for k, v in cache.items()},
                     "trainStep": ck["step"],
                     "check": {"sample": sample.numpy().ravel().tolist(), "timestep": timestep.tolist(),
                               "class_labels": labels.tolist(), "noise_pred_first8": ref.ravel()[:8].tolist()}}}
    print("cache tensors", cache)

    if not args.unet_only:
        cls = FashionClassifier()
        cls.load_state_dict(torch.load(os.path.join(args.workdir, "classifier.ckpt"))["model"])
        cls.eval()
        feat_path = os.path.join(args.out, "features.onnx")
        tmp = feat_path + ".tmp.onnx"
        torch.onnx.export(cls, (torch.rand(2, 1, 28, 28),), tmp, opset_version=17, input_names=["image"],
                          output_names=["logits", "features"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
        os.replace(tmp, feat_path)
        xt, yt = load_split("test")
        x = torch.from_numpy(xt.astype(np.float32) / 255.0).unsqueeze(1)
        feats, correct = [], 0
        with torch.no_grad():
            for i in range(0, x.shape[0], 1000):
                lg, f = cls(x[i:i + 1000])
                feats.append(f.double().numpy())
                correct += (lg.argmax(1).numpy() == yt[i:i + 1000]).sum()
        feats = np.concatenate(feats)
        mean = feats.mean(0)
        cov = np.cov(feats, rowvar=False)
        write_atomic(os.path.join(args.out, "test-stats.bin"), serialize_stats(feats.shape[0], mean, cov, feats))
        # a small sample of real test images: the first 10 of each class
        picks = np.concatenate([np.where(yt == c)[0][:10] for c in range(10)])
        write_atomic(os.path.join(args.out, "test-sample.u8"), xt[picks].astype(np.uint8).tobytes())
        info["features"] = {"testAccuracy": float(correct) / x.shape[0], "featureDim": int(feats.shape[1]),
                            "testSample": {"count": int(len(picks)), "labels": yt[picks].tolist(),
                                           "indices": picks.tolist()}}
        print("feature net test accuracy", info["features"]["testAccuracy"])
    path = os.path.join(args.out, "export.json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    old.update(info)
    write_atomic(path, json.dumps(old, indent=2).encode())


if __name__ == "__main__":
    main()
