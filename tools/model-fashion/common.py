"""Shared pieces of the Fashion-MNIST recipe: data loading, the UNet, the classifier.

Run only by the recipe (train_*.py, export.py, evaluate.py); CI and users never need Python.
"""
import gzip
import hashlib
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
NUM_CLASSES = 10
UNCOND_LABEL = 10
TRAIN_TIMESTEPS = 1000
BETA_START = 1e-4
BETA_END = 0.02


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dataset_provenance():
    return {k: {"file": v, "sha256": sha256_file(os.path.join(DATA_DIR, v))} for k, v in FILES.items()}


def load_idx(name):
    with gzip.open(os.path.join(DATA_DIR, FILES[name]), "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    """uint8 images [N,28,28] and int64 labels [N]."""
    return load_idx(f"{split}_images"), load_idx(f"{split}_labels").astype(np.int64)


def to_unet_space(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,32,32] in [-1,1], padded with background -1."""
    x = torch.from_numpy(images_u8.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    return F.pad(x, (2, 2, 2, 2), value=-1.0)


def unet_to_classifier_space(x):
    """float [N,1,32,32] in [-1,1] -> [N,1,28,28] in [0,1] (crop the padding, clamp)."""
    return ((x[:, :, 2:30, 2:30] + 1.0) / 2.0).clamp(0.0, 1.0)


def betas_alphas():
    betas = torch.linspace(BETA_START, BETA_END, TRAIN_TIMESTEPS, dtype=torch.float64)
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
    return betas, alphas_cumprod


# ----------------------------------------------------------------------------- UNet
class Timesteps(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half
        args = t.float()[:, None] * torch.exp(exponent)[None, :]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_dim, dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb_dim, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_dim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    def __init__(self, ch, groups=8):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, ch)
        self.to_q = nn.Linear(ch, ch)
        self.to_k = nn.Linear(ch, ch)
        self.to_v = nn.Linear(ch, ch)
        self.to_out = nn.Linear(ch, ch)
        self.scale = ch ** -0.5

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)
        q, k, v = self.to_q(y), self.to_k(y), self.to_v(y)
        a = torch.softmax(torch.bmm(q, k.transpose(1, 2)) * self.scale, dim=-1)
        o = self.to_out(torch.bmm(a, v)).transpose(1, 2).reshape(b, c, h, w)
        return x + o


class Downsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock2D(nn.Module):
    def __init__(self, cin, cout, temb_dim, add_downsample):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin, cout, temb_dim)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if add_downsample else None

    def forward(self, x, temb):
        for r in self.resnets:
            x = r(x, temb)
        skip = x
        if self.downsamplers is not None:
            for d in self.downsamplers:
                x = d(x)
        return x, skip


class UpBlock2D(nn.Module):
    def __init__(self, cin, skip_ch, cout, temb_dim, add_upsample):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin + skip_ch, cout, temb_dim)])
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, x, skip, temb):
        x = torch.cat([x, skip], dim=1)
        for r in self.resnets:
            x = r(x, temb)
        if self.upsamplers is not None:
            for u in self.upsamplers:
                x = u(x)
        return x


class UNetMidBlock2D(nn.Module):
    def __init__(self, ch, temb_dim):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb_dim), ResnetBlock2D(ch, ch, temb_dim)])
        self.attentions = nn.ModuleList([Attention(ch)])

    def forward(self, x, temb):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x)
        return self.resnets[1](x, temb)


class UNet2DModel(nn.Module):
    """Class-conditional UNet, diffusers-style module names.

    Three resolution levels (32, 16, 8) and a mid block at 8x8. The decoder offers three cache
    branches (DeepCache style, counted from the output side):
      branch 0: the input of up_blocks.2 (= output of up_blocks.1)  -> partial runs level 0 only
      branch 1: the input of up_blocks.1 (= output of up_blocks.0)  -> partial runs levels 0-1
      branch 2: the input of up_blocks.0 (= output of mid_block)    -> partial skips only the mid block

    The network is trained to predict v; ``forward`` converts to epsilon inside the graph
    (eps = sqrt(abar_t) * v + sqrt(1 - abar_t) * x_t), so the exported model predicts epsilon.
    """

    def __init__(self, channels=(32, 64, 128), temb_dim=128, num_class_embeds=11, prediction="v"):
        super().__init__()
        c0, c1, c2 = channels
        self.prediction = prediction
        self.conv_in = nn.Conv2d(1, c0, 3, padding=1)
        self.time_proj = Timesteps(c0)
        self.time_embedding = TimestepEmbedding(c0, temb_dim)
        self.class_embedding = nn.Embedding(num_class_embeds, temb_dim)
        self.down_blocks = nn.ModuleList([
            DownBlock2D(c0, c0, temb_dim, True),
            DownBlock2D(c0, c1, temb_dim, True),
            DownBlock2D(c1, c2, temb_dim, False),
        ])
        self.mid_block = UNetMidBlock2D(c2, temb_dim)
        self.up_blocks = nn.ModuleList([
            UpBlock2D(c2, c2, c1, temb_dim, True),   # 8x8 -> 16x16
            UpBlock2D(c1, c1, c0, temb_dim, True),   # 16x16 -> 32x32
            UpBlock2D(c0, c0, c0, temb_dim, False),  # 32x32
        ])
        self.conv_norm_out = nn.GroupNorm(8, c0)
        self.conv_out = nn.Conv2d(c0, 1, 3, padding=1)
        _, ac = betas_alphas()
        self.register_buffer("sqrt_alphas_cumprod", ac.sqrt().float(), persistent=False)
        self.register_buffer("sqrt_one_minus_alphas_cumprod", (1 - ac).sqrt().float(), persistent=False)

    def raw(self, sample, timestep, class_labels):
        temb = self.time_embedding(self.time_proj(timestep)) + self.class_embedding(class_labels)
        x = self.conv_in(sample)
        skips = []
        for d in self.down_blocks:
            x, s = d(x, temb)
            skips.append(s)
        x = self.mid_block(x, temb)
        for u in self.up_blocks:
            x = u(x, skips.pop(), temb)
        return self.conv_out(F.silu(self.conv_norm_out(x)))

    def forward(self, sample, timestep, class_labels):
        out = self.raw(sample, timestep, class_labels)
        if self.prediction == "epsilon":
            return out
        a = self.sqrt_alphas_cumprod[timestep][:, None, None, None]
        s = self.sqrt_one_minus_alphas_cumprod[timestep][:, None, None, None]
        return a * out + s * sample


# ----------------------------------------------------------------------------- classifier
class FashionClassifier(nn.Module):
    """Small CNN; ``features`` is the 128-d penultimate activation used as the FID feature space."""

    def __init__(self, feature_dim=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),  # 14
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),  # 7
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Sequential(nn.Linear(128, feature_dim), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, NUM_CLASSES)

    def forward(self, image):
        features = self.fc(self.body(image))
        return self.head(self.dropout(features)), features


def count_params(m):
    return sum(p.numel() for p in m.parameters())
