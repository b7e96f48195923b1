"""Quick quality check of any model-fashion-sd checkpoint, in PyTorch (the shipped figures are
measured again in TypeScript through onnxruntime-node).

    /usr/bin/python3 tools/model-fashion-sd/evaluate.py [--ckpt /work/ckpt/model-fashion-sd] [--guidance 3 5] [--per-prompt 4] [--vae-only]

Prompts: "a photo of a {dark|light|small|large} {class}" for the 10 classes. DDIM (SD-1.5
config: 50 steps, leading spacing, steps_offset 1, set_alpha_to_one false, eta 0) with
classifier-free guidance against the empty prompt; decode with the VAE; then
  class accuracy      the pixel model's feature network (features.onnx) on the decoded 28x28
  brightness / size   accuracy of the written attribute rules (captions.py) on the dark/light resp.
                      small/large prompts, with the prompt's class thresholds
  fid_vs_test         Frechet distance in the feature network's 128-d space vs the 10k test images
                      (few samples: biased high; for comparing checkpoints only)
  judge_clip_score    100 * cos(image, prompt) with the judge CLIP, and the same for real test
                      images with their own captions ("a photo of a {b} {s}..." from the rules)
Writes a PNG grid (rows: classes; columns: per-prompt samples for dark, light, small, large) to
--grid (default <ckpt>/grid.png for the first guidance scale, and grid-w<g>.png for each when
several are given) and the numbers to
<ckpt>/eval.json (appended).
"""
import os
# OpenMP threads that spin at barriers waste most of the CPU when other processes share the 2
# cores (measured: a VAE step 9-10 s with the default policy, 1.0-1.6 s with PASSIVE). Must be set
# before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import json
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "model-fashion"))
from common import load_split  # noqa: E402
import captions as C  # noqa: E402
import tokenizer as T  # noqa: E402
from feature_net import OnnxFeatureNet  # noqa: E402
from models import AutoencoderKL, CLIPModel, UNet2DConditionModel, sd_alphas_cumprod  # noqa: E402

ATTRS = [("brightness", 0, "dark"), ("brightness", 1, "light"), ("size", 0, "small"), ("size", 1, "large")]


def sd_ddim_timesteps(steps, train=1000, offset=1):
    r = train // steps
    return [int(t) for t in (np.arange(0, steps) * r).round()[::-1] + offset]


@torch.no_grad()
def ddim_cfg(unet, cond, uncond, steps, guidance, noise, batch=64):
    ac = sd_alphas_cumprod().float()
    ts = sd_ddim_timesteps(steps)
    r = 1000 // steps
    out = []
    for i in range(0, cond.shape[0], batch):
        x = noise[i:i + batch].clone()
        c = cond[i:i + batch]
        n = x.shape[0]
        ctx = torch.cat([uncond.expand(n, -1, -1), c])
        for t in ts:
            e = unet(torch.cat([x, x]), torch.full((2 * n,), t, dtype=torch.int64), ctx)
            eps = e[:n] + guidance * (e[n:] - e[:n])
            a = ac[t]
            ap = ac[t - r] if t - r >= 0 else ac[0]   # set_alpha_to_one = false
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps
        out.append(x)
    return torch.cat(out)


def to_u8(x32):
    """[N,1,32,32] in [-1,1] -> uint8 [N,28,28] (the rules' and the grid's space)."""
    return ((x32[:, 0, 2:30, 2:30].clamp(-1, 1) + 1) / 2 * 255).round().to(torch.uint8).numpy()


def fid(f1, f2):
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    d = mu1 - mu2
    return float(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def write_png_gray(path, img):
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


@torch.no_grad()
def vae_recon_metrics(vae, feat, xt, yt, ft, n=2000):
    """VAE reconstruction of the last n test images: PSNR on the 28x28 crop in [0,1], FID of the
    reconstructions vs the 10k test statistics, classifier accuracy on them; and the same FID and
    accuracy for the n real images (the small-sample floor)."""
    from common import to_unet_space
    x = to_unet_space(xt[-n:])
    r = torch.cat([vae.decode(vae.encode(x[i:i + 500])[0]) for i in range(0, n, 500)])
    u8 = to_u8(r)
    a = torch.from_numpy(u8.astype(np.float32) / 255.0)
    b = torch.from_numpy(xt[-n:].astype(np.float32) / 255.0)
    mse = ((a - b) ** 2).mean(dim=(1, 2))
    lg, fr = feat(a.unsqueeze(1))
    lr, freal = feat(b.unsqueeze(1))
    return {"vae_test_images": n, "vae_psnr_db": float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean()),
            "vae_recon_fid": fid(fr.double().numpy(), ft), "vae_recon_class_accuracy": float((lg.argmax(1).numpy() == yt[-n:]).mean()),
            "real_fid_floor": fid(freal.double().numpy(), ft), "real_class_accuracy": float((lr.argmax(1).numpy() == yt[-n:]).mean())}


def load_stage(ckdir, stage, cls, key, *a, **kw):
    ck = torch.load(os.path.join(ckdir, stage + ".ckpt"))
    m = cls(*a, **ck["arch"], **kw)
    m.load_state_dict(ck[key])
    m.eval()
    return m, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.environ.get("FSD_CKPT", "/work/ckpt/model-fashion-sd"))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--guidance", type=float, nargs="+", default=[4.0])
    ap.add_argument("--per-prompt", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--raw-weights", action="store_true")
    ap.add_argument("--grid", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vae-only", action="store_true", help="only the VAE reconstruction metrics")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    key = "model" if args.raw_weights else "ema"
    d = args.ckpt
    tok = T.ClipTokenizer.from_dir(os.path.join(d, "assets", "tokenizer"))
    with open(os.path.join(d, "assets", "attributes.json")) as f:
        doc = json.load(f)
    V = len(tok.encoder)
    vae, vck = load_stage(d, "vae", AutoencoderKL, "ema")
    feat = OnnxFeatureNet()
    xt, yt = load_split("test")
    with torch.no_grad():
        _, ft = feat(torch.from_numpy(xt.astype(np.float32) / 255.0).unsqueeze(1))
    ft = ft.double().numpy()
    vres = {"vae_step": vck["step"], **vae_recon_metrics(vae, feat, xt, yt, ft)}
    print(json.dumps(vres), flush=True)
    if args.vae_only:
        with open(os.path.join(d, "eval.json"), "a") as f:
            f.write(json.dumps(vres) + "\n")
        return
    clip, _ = load_stage(d, "clip", CLIPModel, "ema", V)
    unet, uck = load_stage(d, "unet", UNet2DConditionModel, key)
    sf = float(torch.load(os.path.join(d, "latents.pt"))["scaling_factor"])
    judge = None
    if os.path.exists(os.path.join(d, "judge.ckpt")):
        judge, _ = load_stage(d, "judge", CLIPModel, "ema", V)

    prompts, pcls, pattr = [], [], []
    for c, name in enumerate(C.CLASS_NAMES):
        for kind, val, word in ATTRS:
            for _ in range(args.per_prompt):
                prompts.append(f"a photo of a {word} {name}")
                pcls.append(c)
                pattr.append((kind, val))
    pcls = np.array(pcls)
    ids = torch.tensor([tok.encode(p) for p in prompts], dtype=torch.int64)
    with torch.no_grad():
        cond, _ = clip.text(ids)
        uncond, _ = clip.text(torch.tensor([tok.encode("")], dtype=torch.int64))
    g = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(len(prompts), 4, 8, 8, generator=g)

    results = []
    for w in args.guidance:
        t0 = time.time()
        z = ddim_cfg(unet, cond, uncond, args.steps, w, noise)
        with torch.no_grad():
            x = vae.decode(z / sf)
        u8 = to_u8(x)
        with torch.no_grad():
            lg, f = feat(torch.from_numpy(u8.astype(np.float32) / 255.0).unsqueeze(1))
        class_acc = float((lg.argmax(1).numpy() == pcls).mean())
        bi, si = C.score(u8, pcls, doc)
        res = {**vres, "ckpt_step": uck["step"], "ckpt_total": uck["total"], "weights": key, "ddim_steps": args.steps,
               "guidance": w, "samples": len(prompts), "class_accuracy": class_acc}
        for kind, arr in (("brightness", bi), ("size", si)):
            m = np.array([k == kind for k, _ in pattr])
            want = np.array([v for _, v in pattr])
            res[f"{kind}_accuracy"] = float((arr[m] == want[m]).mean())
        res["fid_vs_test"] = fid(f.double().numpy(), ft)
        if judge is not None:
            with torch.no_grad():
                ie = F.normalize(judge.image_embeds(x.clamp(-1, 1)), dim=-1)
                te = F.normalize(judge.text_embeds(ids), dim=-1)
            res["judge_clip_score"] = float((100 * (ie * te).sum(1).clamp_min(0)).mean())
        res["seconds"] = round(time.time() - t0, 1)
        print(json.dumps(res), flush=True)
        results.append(res)
        n = args.per_prompt
        grid = np.zeros((10 * 30, 4 * n * 30), dtype=np.uint8) + 64
        for i, im in enumerate(u8):
            r, col = divmod(i, 4 * n)
            grid[r * 30 + 1:r * 30 + 29, col * 30 + 1:col * 30 + 29] = im
        path = args.grid or os.path.join(d, "grid.png")
        if w == args.guidance[0]:
            write_png_gray(path, grid)   # grid.png: the first guidance scale
        if len(args.guidance) > 1:
            path = path.replace(".png", f"-w{w:g}.png")
            write_png_gray(path, grid)
        print("grid ->", path, "(rows: classes; columns:", n, "x dark, light, small, large)", flush=True)
    if judge is not None:
        # reference: real test images with their own rule captions
        b, s = C.score(xt, yt, doc)
        caps = [f"a photo of a {C.SIZE_WORDS[s[i]]} {C.BRIGHTNESS_WORDS[b[i]]} {C.CLASS_NAMES[yt[i]]}" for i in range(2000)]
        from common import to_unet_space
        with torch.no_grad():
            ie = F.normalize(judge.image_embeds(to_unet_space(xt[:2000])), dim=-1)
            te = F.normalize(judge.text_embeds(torch.tensor([tok.encode(c) for c in caps])), dim=-1)
        ref = float((100 * (ie * te).sum(1).clamp_min(0)).mean())
        print(json.dumps({"judge_clip_score_real_test_2000": ref}))
        for r in results:
            r["judge_clip_score_real_test_2000"] = ref
    with open(os.path.join(d, "eval.json"), "a") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
