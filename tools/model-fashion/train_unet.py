"""Train the class-conditional Fashion-MNIST UNet (v-prediction, exported as epsilon).

Seeded and resumable: a checkpoint is written atomically every --ckpt-every steps to
--workdir/unet.ckpt; rerunning the same command continues from it.

    python3 tools/model-fashion/train_unet.py --steps 2400 --workdir tools/model-fashion/checkpoints
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (UNCOND_LABEL, TRAIN_TIMESTEPS, UNet2DModel, betas_alphas, count_params,
                    load_split, to_unet_space)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--label-dropout", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--stop-at", type=int, default=None,
                    help="stop (after a checkpoint) at this step; the LR schedule still spans --steps")
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), "checkpoints"))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    ckpt_path = os.path.join(args.workdir, "unet.ckpt")

    images, labels = load_split("train")
    x_all = to_unet_space(images)
    y_all = torch.from_numpy(labels)
    n = x_all.shape[0]
    _, ac = betas_alphas()
    sqrt_ac = ac.sqrt().float()
    sqrt_1mac = (1 - ac).sqrt().float()

    torch.manual_seed(args.seed)
    model = UNet2DModel()
    ema = UNet2DModel()
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step = 0
    log = []
    gen = torch.Generator().manual_seed(args.seed)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        log = ck["log"]
        gen.set_state(ck["gen"])
        print(f"resumed at step {step}", flush=True)
    print(f"params {count_params(model)}", flush=True)

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        p = (s - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                    "step": step, "log": log, "gen": gen.get_state(), "args": vars(args)}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0 = time.time()
    running = []
    stop = min(args.steps, args.stop_at) if args.stop_at is not None else args.steps
    while step < stop:
        idx = torch.randint(0, n, (args.batch,), generator=gen)
        x0 = x_all[idx]
        y = y_all[idx].clone()
        drop = torch.rand(args.batch, generator=gen) < args.label_dropout
        y[drop] = UNCOND_LABEL
        t = torch.randint(0, TRAIN_TIMESTEPS, (args.batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = sqrt_ac[t][:, None, None, None]
        s = sqrt_1mac[t][:, None, None, None]
        xt = a * x0 + s * eps
        v = a * eps - s * x0
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        pred = model.raw(xt, t, y)
        loss = F.mse_loss(pred, v)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        step += 1
        running.append(loss.item())
        if step % args.ckpt_every == 0 or step == args.steps:
            mean = float(np.mean(running))
            running = []
            log.append({"step": step, "loss": mean})
            el = time.time() - t0
            print(f"step {step}/{args.steps} loss {mean:.4f} lr {lr_at(step - 1):.2e} {el:.0f}s", flush=True)
            save()
        elif step == stop:
            save()
    if step < args.steps:
        print(f"stopped at step {step} (--stop-at)", flush=True)
        return
    final = {"steps": step, "final_loss": log[-1]["loss"] if log else None, "seed": args.seed,
             "batch": args.batch, "lr": args.lr, "ema": args.ema, "label_dropout": args.label_dropout,
             "params": count_params(model), "prediction": "v (converted to epsilon in the graph)"}
    with open(os.path.join(args.workdir, "unet-train.json"), "w") as f:
        json.dump(final, f, indent=2)
    print("done", json.dumps(final), flush=True)


if __name__ == "__main__":
    main()
