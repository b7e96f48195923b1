"""Where the training stands: each stage's step / total / done, its last logged speed, and the
process. /usr/bin/python3 tools/model-fashion-sd/status.py"""
import os
import subprocess

import torch

CKPT = os.environ.get("FSD_CKPT", "/work/ckpt/model-fashion-sd")
pidf = os.path.join(CKPT, "train.pid")
if os.path.exists(pidf):
    pid = open(pidf).read().strip()
    alive = subprocess.run(["kill", "-0", pid], capture_output=True).returncode == 0
    print(f"train.py pid {pid}: {'running' if alive else 'not running'}")
for s in ("vae", "clip", "judge", "unet"):
    p = os.path.join(CKPT, s + ".ckpt")
    if not os.path.exists(p):
        print(f"{s:6s} not started")
        continue
    ck = torch.load(p)
    last = ck["hist"][-1] if ck["hist"] else {}
    print(f"{s:6s} step {ck['step']}/{ck['total']} {'DONE' if ck.get('done') else 'in progress'}"
          f"  wall {ck.get('wall', 0) / 60:.1f} min  last {({k: round(v, 4) for k, v in last.items()})}"
          + (f"  result {ck['result']}" if ck.get("result") else ""))
for f in ("latents.pt", "embeds.pt"):
    print(f"{f:10s} {'present' if os.path.exists(os.path.join(CKPT, f)) else 'missing'}")
os.system(f"tail -n 3 {os.path.join(CKPT, 'train.log')}")
