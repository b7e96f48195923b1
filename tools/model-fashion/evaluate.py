"""Quick quality check of a UNet checkpoint in PyTorch (the recipe's own check; the shipped
figures are measured again in TypeScript through onnxruntime-node).

    python3 tools/model-fashion/evaluate.py --steps 100 --guidance 2 --per-class 10 --grid grid.png

DDIM (eta 0, "leading" spacing, set_alpha_to_one) with classifier-free guidance; reports the
classifier's accuracy on the samples (is each sample classified as its requested class) and
FID in the classifier's feature space against the test-set statistics.
"""
import argparse
import json
import os
import struct
import zlib

import numpy as np
import torch
from scipy import linalg

from common import (FashionClassifier, UNet2DModel, UNCOND_LABEL, betas_alphas, load_split,
                    unet_to_classifier_space)


def ddim_sample(unet, labels, steps, guidance, seed, batch=100):
    _, ac = betas_alphas()
    ac = ac.float()
    r = 1000 // steps
    ts = [(steps - 1 - i) * r for i in range(steps)]
    out = []
    g = torch.Generator().manual_seed(seed)
    for i in range(0, len(labels), batch):
        y = torch.tensor(labels[i:i + batch], dtype=torch.int64)
        n = y.shape[0]
        x = torch.randn(n, 1, 32, 32, generator=g)
        for k, t in enumerate(ts):
            tt = torch.full((2 * n,), t, dtype=torch.int64)
            with torch.no_grad():
                e = unet(torch.cat([x, x]), tt, torch.cat([torch.full((n,), UNCOND_LABEL), y]))
            eu, ec = e[:n], e[n:]
            eps = eu + guidance * (ec - eu)
            a = ac[t]
            ap = ac[ts[k + 1]] if k + 1 < len(ts) else torch.tensor(1.0)
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps
        out.append(x)
    return torch.cat(out)


def fid(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def write_png_gray(path, img_u8):
    h, w = img_u8.shape
    raw = b"".join(b"\x00" + img_u8[r].tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), "checkpoints"))
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--guidance", type=float, nargs="+", default=[2.0])
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--raw-weights", action="store_true")
    ap.add_argument("--grid", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(os.path.join(args.workdir, "unet.ckpt"))
    unet = UNet2DModel()
    unet.load_state_dict(ck["model" if args.raw_weights else "ema"])
    unet.eval()
    cls = FashionClassifier()
    cls.load_state_dict(torch.load(os.path.join(args.workdir, "classifier.ckpt"))["model"])
    cls.eval()
    xt, _ = load_split("test")
    with torch.no_grad():
        _, ft = cls(torch.from_numpy(xt.astype(np.float32) / 255.0).unsqueeze(1))
    ft = ft.double().numpy()
    mu_t, s_t = ft.mean(0), np.cov(ft, rowvar=False)
    labels = [c for c in range(10) for _ in range(args.per_class)]
    results = []
    for w in args.guidance:
        x = ddim_sample(unet, labels, args.steps, w, args.seed)
        with torch.no_grad():
            lg, f = cls(unet_to_classifier_space(x))
        acc = float((lg.argmax(1).numpy() == np.array(labels)).mean())
        f = f.double().numpy()
        res = {"step": ck["step"], "ddim_steps": args.steps, "guidance": w, "samples": len(labels),
               "class_accuracy": acc, "fid_vs_test": fid(f.mean(0), np.cov(f, rowvar=False), mu_t, s_t)}
        print(json.dumps(res), flush=True)
        results.append(res)
        if args.grid:
            imgs = ((unet_to_classifier_space(x)[:, 0].numpy()) * 255).round().clip(0, 255).astype(np.uint8)
            n = args.per_class
            grid = np.zeros((10 * 28, n * 28), dtype=np.uint8)
            for i, im in enumerate(imgs):
                r, c = divmod(i, n)
                grid[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = im
            write_png_gray(args.grid.replace(".png", f"-w{w}.png"), grid)


if __name__ == "__main__":
    main()
