"""Eager PyTorch timing of the embedded UNet for bench/runtime-steps.mjs (same weights, same
machine): runs the same schedules with the same DDIM update and guidance, and prints JSON.

    python3 bench/torch-steps.py --threads 2 --batch 16 --images 64 --steps 100 --guidance 2 --schedules '["F F ...", ...]'

Needs Debian's python3-torch and tools/model-fashion/weights/unet-ema.pt (written by export.py).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "model-fashion"))
import torch  # noqa: E402
from common import UNet2DModel, betas_alphas, UNCOND_LABEL  # noqa: E402


def run(unet, schedule, images, batch, guidance, ac):
    steps = [t for seg in schedule.split("|") for t in seg.split()]
    T = len(steps)
    r = 1000 // T
    ts = [(T - 1 - i) * r for i in range(T)]
    evaluated = [i for i, s in enumerate(steps) if s != "N"]
    if any(s.startswith("P") for s in steps):
        raise SystemExit("partial steps are not implemented in the PyTorch reference (full and null steps only)")
    g = torch.Generator().manual_seed(0)
    for start in range(0, images, batch):
        n = min(batch, images - start)
        x = torch.randn(n, 1, 32, 32, generator=g)
        y = torch.arange(start, start + n) % 10
        for k, i in enumerate(evaluated):
            t = ts[i]
            tt = torch.full((2 * n,), t, dtype=torch.int64)
            with torch.no_grad():
                e = unet(torch.cat([x, x]), tt, torch.cat([torch.full((n,), UNCOND_LABEL), y]))
            eps = e[:n] + guidance * (e[n:] - e[:n])
            a = ac[t]
            ap = ac[ts[evaluated[k + 1]]] if k + 1 < len(evaluated) else torch.tensor(1.0)
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--guidance", type=float, default=2.0)
    ap.add_argument("--schedules", required=True)
    ap.add_argument("--weights", default=os.path.join(os.path.dirname(__file__), "..", "tools", "model-fashion", "weights", "unet-ema.pt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    unet = UNet2DModel()
    unet.load_state_dict(torch.load(args.weights))
    unet.eval()
    _, ac = betas_alphas()
    ac = ac.float()
    run(unet, "F F", min(args.batch, args.images), args.batch, args.guidance, ac)  # warm-up
    out = []
    for s in json.loads(args.schedules):
        t0 = time.perf_counter()
        run(unet, s, args.images, args.batch, args.guidance, ac)
        out.append({"schedule": s, "seconds": time.perf_counter() - t0})
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "results": out}))


if __name__ == "__main__":
    main()
