"""Train the Fashion-MNIST feature network (classifier; its penultimate layer is the FID space).

Seeded and resumable per epoch (checkpoint written atomically to --workdir/classifier.ckpt).

    python3 tools/model-fashion/train_classifier.py --epochs 8 --workdir tools/model-fashion/checkpoints
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import FashionClassifier, count_params, load_split


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            logits, _ = model(x[i:i + 1000])
            correct += (logits.argmax(1) == y[i:i + 1000]).sum().item()
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), "checkpoints"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    ckpt_path = os.path.join(args.workdir, "classifier.ckpt")

    xi, yi = load_split("train")
    xt, yt = load_split("test")
    x_train = torch.from_numpy(xi.astype(np.float32) / 255.0).unsqueeze(1)
    y_train = torch.from_numpy(yi)
    x_test = torch.from_numpy(xt.astype(np.float32) / 255.0).unsqueeze(1)
    y_test = torch.from_numpy(yt)

    torch.manual_seed(args.seed)
    model = FashionClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=(x_train.shape[0] + args.batch - 1) // args.batch)
    epoch = 0
    log = []
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        epoch, log = ck["epoch"], ck["log"]
        print(f"resumed at epoch {epoch}", flush=True)
    print(f"params {count_params(model)}", flush=True)
    t0 = time.time()
    while epoch < args.epochs:
        model.train()
        g = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        perm = torch.randperm(x_train.shape[0], generator=g)
        losses = []
        for i in range(0, x_train.shape[0], args.batch):
            idx = perm[i:i + args.batch]
            xb = x_train[idx]
            # light augmentation: random shifts of up to 2 pixels
            dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            logits, _ = model(xb)
            loss = F.cross_entropy(logits, y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        epoch += 1
        acc = evaluate(model, x_test, y_test)
        log.append({"epoch": epoch, "loss": float(np.mean(losses)), "test_accuracy": acc})
        print(f"epoch {epoch} loss {np.mean(losses):.4f} test acc {acc:.4f} {time.time() - t0:.0f}s", flush=True)
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch, "log": log}, tmp)
        os.replace(tmp, ckpt_path)
    final = {"epochs": epoch, "final_loss": log[-1]["loss"], "test_accuracy": log[-1]["test_accuracy"],
             "seed": args.seed, "params": count_params(model)}
    with open(os.path.join(args.workdir, "classifier-train.json"), "w") as f:
        json.dump(final, f, indent=2)
    print("done", json.dumps(final), flush=True)


if __name__ == "__main__":
    main()
