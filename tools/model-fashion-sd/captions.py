"""Attribute rules and caption templates of the Fashion-MNIST text-to-image model.

The rules are deliberately plain so that they can be ported verbatim to TypeScript and used to
score generated images (prompt adherence without a learned judge). On a 28x28 uint8 image u
(for a generated sample: crop the 32x32 [-1,1] decoder output to rows/cols 2..29 and map
u = round(clamp((x + 1) / 2, 0, 1) * 255)):

  foreground    f = { pixels with u > FOREGROUND_THRESHOLD }          (FOREGROUND_THRESHOLD = 50)
  area          a = |f| / 784                                          (fraction in [0, 1])
  brightness    b = mean of u over f, or 0 when f is empty             (uint8 units, 0..255)
  size          "small"  if a <  areaMedian[class]   else "large"
  brightness    "dark"   if b <  brightnessMedian[class] else "light"

where class is the class the prompt asks for and the medians are the per-class medians over the
60,000 training images (attributes.json, written by `write_attributes_json`). Every class thus
has both values of each attribute in equal measure.

Training captions use a margin: an image gets the word "dark" only if b is below the class's 40th
percentile and "light" only above its 60th (same for size with a); images in between get captions
that do not mention that attribute. The scoring rule above has no margin.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model-fashion"))
from common import load_split  # noqa: E402  (the pixel model's loader)

CLASS_NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]
FOREGROUND_THRESHOLD = 50
TRAIN_LOW_Q, TRAIN_HIGH_Q = 0.4, 0.6
BRIGHTNESS_WORDS = ("dark", "light")   # index 0 below the median, 1 at or above
SIZE_WORDS = ("small", "large")
EMPTY_CAPTION_P = 0.1

# {a}: article, {b}: brightness word, {s}: size word, {c}: class name
TEMPLATES = [
    ("a photo of {a} {b} {c}", 3),
    ("a photo of {a} {s} {c}", 3),
    ("a photo of {a} {s} {b} {c}", 2),
    ("a photo of {a} {c}", 1),
    ("{a} {b} {c}", 1),
    ("{a} {s} {c}", 1),
    ("{a} {s} {b} {c}", 1),
    ("{a} {c}", 1),
    ("{c}, {b}", 1),
    ("{c}, {s}", 1),
    ("{c}, {s}, {b}", 1),
    ("{c}", 1),
]


def measure(images_u8):
    """images uint8 [..., 28, 28] -> (brightness [...] float64 in 0..255, area [...] float64 in 0..1)."""
    u = images_u8.astype(np.float64)
    fg = images_u8 > FOREGROUND_THRESHOLD
    n = fg.sum(axis=(-1, -2))
    s = (u * fg).sum(axis=(-1, -2))
    brightness = np.where(n > 0, s / np.maximum(n, 1), 0.0)
    area = n / float(images_u8.shape[-1] * images_u8.shape[-2])
    return brightness, area


def compute_thresholds(images_u8, labels):
    b, a = measure(images_u8)
    out = []
    for c, name in enumerate(CLASS_NAMES):
        bc, ac = b[labels == c], a[labels == c]
        out.append({
            "class": c, "name": name,
            "brightnessMedian": float(np.median(bc)), "areaMedian": float(np.median(ac)),
            "brightnessTrainBand": [float(np.quantile(bc, TRAIN_LOW_Q)), float(np.quantile(bc, TRAIN_HIGH_Q))],
            "areaTrainBand": [float(np.quantile(ac, TRAIN_LOW_Q)), float(np.quantile(ac, TRAIN_HIGH_Q))],
        })
    return out


def thresholds_doc(th):
    return {
        "format": 1,
        "description": "Attribute rules of model-fashion-sd (tools/model-fashion-sd/captions.py). On the 28x28 uint8 image u: "
                       "foreground = u > foregroundThreshold; area = |foreground| / 784; brightness = mean of u over the foreground "
                       "(0 if empty). For the prompt's class c: 'dark' if brightness < brightnessMedian[c] else 'light'; "
                       "'small' if area < areaMedian[c] else 'large'. A generated 32x32 sample x in [-1,1] is cropped to rows/cols "
                       "2..29 and mapped u = round(clamp((x+1)/2, 0, 1) * 255). The train bands are the 40th/60th percentiles that "
                       "decided which training images got an attribute word.",
        "foregroundThreshold": FOREGROUND_THRESHOLD,
        "brightnessWords": list(BRIGHTNESS_WORDS), "sizeWords": list(SIZE_WORDS),
        "classes": th,
    }


def write_attributes_json(path):
    x, y = load_split("train")
    doc = thresholds_doc(compute_thresholds(x, y))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, path)
    return doc


def score(images_u8, classes, doc):
    """Scoring rule: (brightness index [N] 0 dark / 1 light, size index [N] 0 small / 1 large)."""
    b, a = measure(images_u8)
    bm = np.array([doc["classes"][c]["brightnessMedian"] for c in classes])
    am = np.array([doc["classes"][c]["areaMedian"] for c in classes])
    return (b >= bm).astype(np.int64), (a >= am).astype(np.int64)


def train_attributes(images_u8, labels, doc):
    """Training labels with the margin: 0 / 1 as the words, 2 = not mentioned (between the bands)."""
    b, a = measure(images_u8)
    out = []
    for v, key in ((b, "brightnessTrainBand"), (a, "areaTrainBand")):
        lo = np.array([doc["classes"][c][key][0] for c in labels])
        hi = np.array([doc["classes"][c][key][1] for c in labels])
        out.append(np.where(v < lo, 0, np.where(v > hi, 1, 2)).astype(np.int64))
    return out[0], out[1]


def _articles(next_word):
    return ["a", "an"] if next_word[0] in "aeiou" else ["a"]


def all_captions():
    """Every distinct training caption with its meaning.

    Returns (texts, info, weights): info[k] = (class, brightness required 0/1 or -1, size 0/1 or -1);
    caption 0 is the empty caption (class -1).
    """
    texts, info, weights = [""], [(-1, -1, -1)], [0.0]
    for c, cname in enumerate(CLASS_NAMES):
        for tpl, w in TEMPLATES:
            bs = [0, 1] if "{b}" in tpl else [-1]
            ss = [0, 1] if "{s}" in tpl else [-1]
            for bi in bs:
                for si in ss:
                    bw = BRIGHTNESS_WORDS[bi] if bi >= 0 else ""
                    sw = SIZE_WORDS[si] if si >= 0 else ""
                    after = tpl.split("{a}")[1].strip() if "{a}" in tpl else ""
                    first = after.split(" ")[0] if after else ""
                    nxt = {"{b}": bw, "{s}": sw, "{c}": cname}.get(first, cname)
                    arts = _articles(nxt) if "{a}" in tpl else [""]
                    for art in arts:
                        t = tpl.format(a=art, b=bw, s=sw, c=cname)
                        texts.append(t)
                        info.append((c, bi, si))
                        weights.append(w / len(arts))
    return texts, np.array(info, dtype=np.int64), np.array(weights, dtype=np.float64)


class CaptionSampler:
    """Draws a caption index for each image: a template whose attributes the image has (training
    labels with margin), weighted by TEMPLATES' weights; with probability p_empty the empty caption."""

    def __init__(self, p_empty=EMPTY_CAPTION_P):
        self.texts, self.info, self.weights = all_captions()
        self.p_empty = p_empty
        self.groups = {}
        for c in range(10):
            for ba in range(3):
                for sa in range(3):
                    ok = (self.info[:, 0] == c) & ((self.info[:, 1] == -1) | (self.info[:, 1] == ba)) & \
                         ((self.info[:, 2] == -1) | (self.info[:, 2] == sa))
                    idx = np.nonzero(ok)[0]
                    p = self.weights[idx] / self.weights[idx].sum()
                    self.groups[(c, ba, sa)] = (idx, np.cumsum(p))

    def sample(self, labels, battr, sattr, rng, p_empty=None):
        p_empty = self.p_empty if p_empty is None else p_empty
        out = np.zeros(len(labels), dtype=np.int64)
        u = rng.random(len(labels))
        e = rng.random(len(labels))
        for i, (c, ba, sa) in enumerate(zip(labels, battr, sattr)):
            if e[i] < p_empty:
                continue
            idx, cdf = self.groups[(int(c), int(ba), int(sa))]
            out[i] = idx[min(np.searchsorted(cdf, u[i]), len(idx) - 1)]
        return out

    def truth(self, cap_idx, labels, battr, sattr):
        """[len(cap_idx), len(labels)] bool: caption k is true of image n."""
        inf = self.info[cap_idx]
        c = inf[:, 0:1] == labels[None, :]
        b = (inf[:, 1:2] == -1) | (inf[:, 1:2] == battr[None, :])
        s = (inf[:, 2:3] == -1) | (inf[:, 2:3] == sattr[None, :])
        return c & b & s


def check_vectors(doc):
    """Reference values for a port of the rules: the first 10 test images of each class (the images
    of packages/model-fashion/model/test-sample.u8, in that order) with their measured brightness,
    area and the rule's words for their own class."""
    x, y = load_split("test")
    picks = np.concatenate([np.where(y == c)[0][:10] for c in range(10)])
    b, a = measure(x[picks])
    bi, si = score(x[picks], y[picks], doc)
    return {"images": "packages/model-fashion/model/test-sample.u8 (uint8 [100,28,28]: the first 10 test images of each class)",
            "cases": [{"index": int(i), "class": int(y[i]), "brightness": float(b[k]), "area": float(a[k]),
                       "brightnessWord": BRIGHTNESS_WORDS[bi[k]], "sizeWord": SIZE_WORDS[si[k]]}
                      for k, i in enumerate(picks)]}


if __name__ == "__main__":
    doc = write_attributes_json(sys.argv[1] if len(sys.argv) > 1 else "/tmp/attributes.json")
    for c in doc["classes"]:
        print(c["name"], round(c["brightnessMedian"], 1), round(c["areaMedian"], 3), c["brightnessTrainBand"], c["areaTrainBand"])
    t, info, w = all_captions()
    print(len(t), "captions; e.g.", t[1:6], t[-3:])
