"""Train model-fashion-sd: stages tokenizer -> vae -> latents -> clip -> judge -> embeds -> unet.

    setsid nohup nice -n 10 /usr/bin/python3 tools/model-fashion-sd/train.py >> /work/ckpt/model-fashion-sd/nohup.out 2>&1 &

Every stage is seeded and resumable: its checkpoint <ckpt>/<stage>.ckpt is written atomically
(temp file, fsync, rename) every --save-every seconds and at the end; a finished stage
(checkpoint with done=True) is skipped, so the same command resumes wherever it stopped. Data
order and noise are drawn from generators seeded by (stage seed, step), so a resumed run draws
the same batches as an uninterrupted one. Progress goes to <ckpt>/train.log.
Derived stages (latents, embeds) are recomputed from their inputs when missing.
"""
import os
# OpenMP threads that spin at barriers waste most of the CPU when other processes share the 2
# cores (measured: a VAE step 9-10 s with the default policy, 1.0-1.6 s with PASSIVE). Must be set
# before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "model-fashion"))
from common import load_split, to_unet_space  # noqa: E402
import captions as C  # noqa: E402
import tokenizer as T  # noqa: E402
from models import (AutoencoderKL, CLIPModel, UNet2DConditionModel, count_params,  # noqa: E402
                    sd_alphas_cumprod)

CKPT = os.environ.get("FSD_CKPT", "/work/ckpt/model-fashion-sd")
SEEDS = {"vae": 1001, "clip": 2002, "judge": 3003, "unet": 4004}

# architecture (export.py and evaluate.py read these from the checkpoints' "arch")
VAE_ARCH = dict(block_out_channels=(16, 32, 64), latent_channels=4, norm_num_groups=8)
CLIP_ARCH = dict(hidden_size=64, layers=3, heads=4, inner=256, proj=64, vision_width=32)
JUDGE_ARCH = dict(hidden_size=64, layers=2, heads=4, inner=256, proj=64, vision_width=24)
UNET_ARCH = dict(block_out_channels=(32, 64, 128), cross_attention_dim=64, layers_per_block=1,
                 attention_head_dim=32, norm_num_groups=16, ff_mult=2)


def log(msg):
    line = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + " " + msg
    print(line, flush=True)
    with open(os.path.join(CKPT, "train.log"), "a") as f:
        f.write(line + "\n")


def save_atomic(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    d = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(d)
    finally:
        os.close(d)


def write_json_atomic(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_ckpt(stage):
    p = os.path.join(CKPT, stage + ".ckpt")
    return torch.load(p) if os.path.exists(p) else None


def lr_at(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def ema_update(ema, model, decay):
    with torch.no_grad():
        for e, p in zip(ema.values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
            else:
                e.copy_(p)


# ------------------------------------------------------------------------------ data
class Data:
    def __init__(self):
        self.x_u8, self.y = load_split("train")
        self.xt_u8, self.yt = load_split("test")
        self.x = to_unet_space(self.x_u8)          # [60000,1,32,32] in [-1,1]
        self.xt = to_unet_space(self.xt_u8)
        with open(os.path.join(CKPT, "assets", "attributes.json")) as f:
            self.attr_doc = json.load(f)
        self.ba, self.sa = C.train_attributes(self.x_u8, self.y, self.attr_doc)
        self.bat, self.sat = C.train_attributes(self.xt_u8, self.yt, self.attr_doc)
        self.sampler = C.CaptionSampler()
        self.tok = T.ClipTokenizer.from_dir(os.path.join(CKPT, "assets", "tokenizer"))
        self.cap_ids = torch.tensor([self.tok.encode(t) for t in self.sampler.texts], dtype=torch.int64)


# ------------------------------------------------------------------------------ stages
def stage_tokenizer(args):
    d = os.path.join(CKPT, "assets")
    if os.path.exists(os.path.join(d, "tokenizer", "vocab.json")) and os.path.exists(os.path.join(d, "attributes.json")):
        return
    os.makedirs(d, exist_ok=True)
    C.write_attributes_json(os.path.join(d, "attributes.json"))
    texts, _, w = C.all_captions()
    merges = T.train_merges(texts, w)
    vocab = T.write_tokenizer(os.path.join(d, "tokenizer"), merges)
    log(f"tokenizer: {len(merges)} merges, {len(vocab)} tokens, {len(texts)} captions; attributes.json written")


def stage_arch(args, stage):
    """The architecture of a stage: the one stored in its checkpoint when there is one (so a resume
    never depends on the defaults above), else args.arch[stage]."""
    p = os.path.join(CKPT, stage + ".ckpt")
    if os.path.exists(p):
        return torch.load(p)["arch"]
    return args.arch[stage]


def run_loop(stage, args, model, total, batch, lr, step_fn, extra_state=None, ema_decay=None, warmup=200,
             on_done=None):
    """Generic resumable loop: step_fn(step, gen, rng) -> dict of floats (loss first)."""
    path = os.path.join(CKPT, stage + ".ckpt")
    ck = load_ckpt(stage)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if ema_decay else None
    step, hist, wall = 0, [], 0.0
    if ck is not None:
        if ck.get("done") and not (stage in args.extend and total > ck["step"]):
            return ck
        if ck.get("done"):
            log(f"{stage}: --extend: continuing a finished stage from step {ck['step']} to {total} "
                "(the cosine learning-rate schedule is recomputed for the new total)")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if ema is not None:
            ema = ck["ema"]
        step, hist, wall = ck["step"], ck["hist"], ck.get("wall", 0.0)
        log(f"{stage}: resumed at step {step}/{total}")
    else:
        log(f"{stage}: start, {count_params(model)} params, {total} steps of batch {batch}")
    seed = SEEDS[stage]
    arch = stage_arch(args, stage)

    def save(done=False):
        obj = {"model": model.state_dict(), "opt": opt.state_dict(), "ema": ema, "step": step, "hist": hist,
               "wall": wall, "done": done, "total": total, "batch": batch, "seed": seed, "arch": arch}
        if extra_state:
            obj.update(extra_state())
        save_atomic(obj, path)
        return obj

    last_save, t_win, n_win, acc = time.time(), time.time(), 0, {}
    model.train()
    while step < total:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total, lr, warmup)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
        rng = np.random.default_rng([seed, step])
        out = step_fn(step, gen, rng)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if ema is not None:
            ema_update(ema, model, min(ema_decay, (1 + step) / (10 + step)))
        step += 1
        wall += time.time() - t0
        n_win += 1
        for k, v in out.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        if step % args.log_every == 0 or step == total:
            dt = time.time() - t_win
            means = {k: v / n_win for k, v in acc.items()}
            hist.append({"step": step, **means, "s_per_step": dt / n_win})
            eta = (total - step) * dt / n_win
            log(f"{stage}: step {step}/{total} " + " ".join(f"{k} {v:.5f}" for k, v in means.items()) +
                f" | {n_win / dt:.2f} steps/s ({dt / n_win:.3f} s/step) eta {eta / 60:.1f} min")
            t_win, n_win, acc = time.time(), 0, {}
        if time.time() - last_save > args.save_every and step < total:
            save()
            last_save = time.time()
    result = on_done(model, ema) if on_done else {}
    obj = save(done=True)
    obj["result"] = result
    save_atomic(obj, path)
    log(f"{stage}: done, {step} steps, {wall / 60:.1f} min of steps; {json.dumps(result)}")
    return obj


def stage_vae(args, data):
    torch.manual_seed(SEEDS["vae"])
    vae = AutoencoderKL(**stage_arch(args, "vae"))
    N = data.x.shape[0]

    def step_fn(step, gen, rng):
        idx = torch.randint(0, N, (args.vae_batch,), generator=gen)
        x = data.x[idx]
        mean, logvar = vae.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)
        r = vae.decode(z)
        rec = F.mse_loss(r, x) + F.l1_loss(r, x)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=(1, 2, 3)).mean()
        # SD's weighting: KL (summed over latents) x kl_weight against the per-pixel loss summed over pixels
        loss = rec + args.kl_weight * kl / x[0].numel()
        return {"loss": loss, "rec": rec.detach(), "kl": kl.detach()}

    def on_done(model, ema):
        model.load_state_dict(ema)
        model.eval()
        with torch.no_grad():
            mse = []
            for i in range(0, 10000, 500):
                r = model.decode(model.encode(data.xt[i:i + 500])[0]).clamp(-1, 1)
                # PSNR on the 28x28 crop in [0,1]
                a = (r[:, :, 2:30, 2:30] + 1) / 2
                b = (data.xt[i:i + 500, :, 2:30, 2:30] + 1) / 2
                mse.append(((a - b) ** 2).mean(dim=(1, 2, 3)))
            mse = torch.cat(mse)
        return {"test_psnr_db": float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean()),
                "test_mse01": float(mse.mean())}

    return run_loop("vae", args, vae, args.vae_steps, args.vae_batch, args.vae_lr, step_fn, ema_decay=0.999,
                    on_done=on_done)


def stage_latents(args, data, vae_ck):
    p = os.path.join(CKPT, "latents.pt")
    if os.path.exists(p):
        return torch.load(p)
    vae = AutoencoderKL(**vae_ck["arch"])
    vae.load_state_dict(vae_ck["ema"])
    vae.eval()
    means, stds = [], []
    with torch.no_grad():
        for i in range(0, data.x.shape[0], 1000):
            m, lv = vae.encode(data.x[i:i + 1000])
            means.append(m)
            stds.append(torch.exp(0.5 * lv))
    mean, std = torch.cat(means), torch.cat(stds)
    g = torch.Generator().manual_seed(SEEDS["vae"] + 7)
    z = mean + std * torch.randn(mean.shape, generator=g)
    # SD: scaling_factor = 1 / std of the latents (one sample from each posterior)
    scaling = float(1.0 / z.flatten().std())
    obj = {"mean": mean, "std": std, "scaling_factor": scaling, "posterior_std_mean": float(std.mean())}
    save_atomic(obj, p)
    log(f"latents: scaling_factor {scaling:.5f} (latent std {1 / scaling:.4f}, mean posterior std {float(std.mean()):.4f})")
    return obj


def clip_eval(clip, data, n=10000):
    """Zero-shot accuracies on test images: class among 'a photo of a {c}'; brightness/size among
    the two words with the true class, on images with a definite training attribute."""
    clip.eval()
    tok = data.tok
    with torch.no_grad():
        img = torch.cat([clip.image_embeds(data.xt[i:i + 1000]) for i in range(0, n, 1000)])
        img = F.normalize(img, dim=-1)

        def txt(texts):
            ids = torch.tensor([tok.encode(t) for t in texts], dtype=torch.int64)
            return F.normalize(clip.text_embeds(ids), dim=-1)

        cls = txt([f"a photo of a {c}" for c in C.CLASS_NAMES])
        class_acc = float(((img @ cls.T).argmax(1).numpy() == data.yt[:n]).mean())
        res = {"zero_shot_class_accuracy": class_acc}
        for key, words, attr in (("brightness", C.BRIGHTNESS_WORDS, data.bat), ("size", C.SIZE_WORDS, data.sat)):
            e = txt([f"a photo of a {w} {c}" for c in C.CLASS_NAMES for w in words]).reshape(10, 2, -1)
            y = torch.from_numpy(data.yt[:n])
            s = torch.einsum("nd,nkd->nk", img, e[y])
            pred = s.argmax(1).numpy()
            m = attr[:n] < 2
            res[f"zero_shot_{key}_accuracy"] = float((pred[m] == attr[:n][m]).mean())
    clip.train()
    return res


def stage_clip(args, data, name):
    torch.manual_seed(SEEDS[name])
    arch = stage_arch(args, name)
    clip = CLIPModel(len(data.tok.encoder), **arch)
    N = data.x.shape[0]
    L = args.clip_train_len  # causal mask: positions < L are exact when the caption fits

    def step_fn(step, gen, rng):
        idx = torch.randint(0, N, (args.clip_batch,), generator=gen).numpy()
        y, ba, sa = data.y[idx], data.ba[idx], data.sa[idx]
        cap = data.sampler.sample(y, ba, sa, rng, p_empty=0.0)
        ids = data.cap_ids[cap][:, :L]
        x = data.x[idx]
        # light augmentation: shift by up to 1 pixel
        dx, dy = rng.integers(-1, 2, 2)
        x = torch.roll(x, shifts=(int(dy), int(dx)), dims=(2, 3))
        im = F.normalize(clip.image_embeds(x), dim=-1)
        te = F.normalize(clip.text_embeds(ids), dim=-1)
        logits = clip.logit_scale.exp().clamp(max=100) * im @ te.T
        # multi-positive targets: caption j is a positive for image i when it is true of image i
        truth = torch.from_numpy(data.sampler.truth(cap, y, ba, sa)).float()  # [text, image]
        t_i = truth.T / truth.T.sum(1, keepdim=True)
        t_t = truth / truth.sum(1, keepdim=True)
        loss = 0.5 * (-(t_i * F.log_softmax(logits, 1)).sum(1).mean() - (t_t * F.log_softmax(logits.T, 1)).sum(1).mean())
        return {"loss": loss}

    def on_done(model, ema):
        model.load_state_dict(ema)
        return clip_eval(model, data)

    steps = args.clip_steps if name == "clip" else args.judge_steps
    return run_loop(name, args, clip, steps, args.clip_batch, args.clip_lr, step_fn, ema_decay=0.995,
                    on_done=on_done, warmup=100)


def stage_embeds(args, data, clip_ck):
    p = os.path.join(CKPT, "embeds.pt")
    if os.path.exists(p):
        return torch.load(p)
    clip = CLIPModel(len(data.tok.encoder), **clip_ck["arch"])
    clip.load_state_dict(clip_ck["ema"])
    clip.eval()
    with torch.no_grad():
        h, _ = clip.text(data.cap_ids)
    obj = {"texts": data.sampler.texts, "hidden": h, "ids": data.cap_ids}
    save_atomic(obj, p)
    log(f"embeds: {h.shape[0]} captions x {tuple(h.shape[1:])}")
    return obj


def stage_unet(args, data, lat, emb):
    torch.manual_seed(SEEDS["unet"])
    unet = UNet2DConditionModel(**stage_arch(args, "unet"))
    ac = sd_alphas_cumprod().float()
    sf = lat["scaling_factor"]
    mean, std, hidden = lat["mean"], lat["std"], emb["hidden"]
    N = mean.shape[0]

    def step_fn(step, gen, rng):
        idx = torch.randint(0, N, (args.unet_batch,), generator=gen)
        z0 = (mean[idx] + std[idx] * torch.randn(mean[idx].shape, generator=gen)) * sf
        n = idx.numpy()
        cap = data.sampler.sample(data.y[n], data.ba[n], data.sa[n], rng)
        ctx = hidden[cap]
        t = torch.randint(0, 1000, (args.unet_batch,), generator=gen)
        eps = torch.randn(z0.shape, generator=gen)
        a = ac[t].sqrt()[:, None, None, None]
        s = (1 - ac[t]).sqrt()[:, None, None, None]
        zt = a * z0 + s * eps
        v = a * eps - s * z0
        pred = unet.raw(zt, t, ctx)
        loss = F.mse_loss(pred, v)
        return {"loss": loss}

    return run_loop("unet", args, unet, args.unet_steps, args.unet_batch, args.unet_lr, step_fn, ema_decay=0.999,
                    warmup=500)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", default="tokenizer,vae,latents,clip,judge,embeds,unet")
    ap.add_argument("--vae-steps", type=int, default=2500)
    ap.add_argument("--vae-batch", type=int, default=64)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--kl-weight", type=float, default=1e-5)
    ap.add_argument("--clip-steps", type=int, default=800)
    ap.add_argument("--judge-steps", type=int, default=600)
    ap.add_argument("--clip-batch", type=int, default=128)
    ap.add_argument("--clip-lr", type=float, default=1e-3)
    ap.add_argument("--clip-train-len", type=int, default=16)
    ap.add_argument("--unet-steps", type=int, default=5000)
    ap.add_argument("--unet-batch", type=int, default=96)
    ap.add_argument("--unet-lr", type=float, default=1e-3)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--save-every", type=float, default=180.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--extend", default="", help="comma-separated finished stages to train further up to their new --*-steps")
    args = ap.parse_args()
    args.arch = {"vae": VAE_ARCH, "clip": CLIP_ARCH, "judge": JUDGE_ARCH, "unet": UNET_ARCH}
    torch.set_num_threads(args.threads)
    os.makedirs(CKPT, exist_ok=True)
    stages = args.stages.split(",")
    args.extend = [x for x in args.extend.split(",") if x]
    log(f"train.py pid {os.getpid()} stages {stages} args " +
        json.dumps({k: v for k, v in vars(args).items() if k != "arch"}))
    if "tokenizer" in stages:
        stage_tokenizer(args)
    data = Data()
    vae_ck = stage_vae(args, data) if "vae" in stages else load_ckpt("vae")
    lat = stage_latents(args, data, vae_ck) if "latents" in stages or "unet" in stages else None
    clip_ck = stage_clip(args, data, "clip") if "clip" in stages else load_ckpt("clip")
    if "judge" in stages:
        stage_clip(args, data, "judge")
    emb = stage_embeds(args, data, clip_ck) if "embeds" in stages or "unet" in stages else None
    if "unet" in stages:
        stage_unet(args, data, lat, emb)
    log("all requested stages done")


if __name__ == "__main__":
    main()
