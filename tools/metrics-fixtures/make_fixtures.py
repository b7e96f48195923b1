#!/usr/bin/python3
"""Reference fixtures for @flexiffusion/metrics (Fréchet distance and KID).

Run once with Debian's interpreter (numpy, scipy 1.10):

    /usr/bin/python3 tools/metrics-fixtures/make_fixtures.py

It writes packages/metrics/test/fixtures/frechet/: one little-endian feature file per set
(float32, or float16 for d = 2048 to keep the fixtures small) and `frechet.json` with, per case,
the expected values computed *from exactly the stored features* (converted to float64):

- `fid_pytorch`: pytorch-fid's `calculate_frechet_distance` (np.cov, scipy.linalg.sqrtm of
  sigma1·sigma2, retried with a 1e-6·I offset when the square root is not finite, real part kept);
- `fid_eigh`: the same distance through a symmetric eigenvalue route in float64
  (tr sqrt(S1 S2) = sum sqrt(eigvalsh(R S2 R)), R = S1^{1/2} from eigh), an independent check;
- `kid`: unbiased MMD^2 with the cubic polynomial kernel over fixed subsets whose indices are
  exported, mean and std (np.std, ddof = 0) as in torch-fidelity;
- summaries of the statistics (trace of each covariance, sum of each mean, ...).

Everything is seeded; rerunning gives byte-identical files.
"""
import hashlib
import json
import os
import sys
import time

import numpy as np
from scipy import linalg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "metrics", "test", "fixtures", "frechet")

# (name, d, Na, Nb, dtype)
CASES = [
    ("d64-below", 64, 40, 50, "float32"),
    ("d64-above", 64, 300, 400, "float32"),
    ("d256-below", 256, 100, 150, "float32"),
    ("d256-above", 256, 1000, 1200, "float32"),
    ("d2048-below", 2048, 400, 300, "float16"),
    ("d2048-above", 2048, 2300, 2100, "float16"),
]
KID_SUBSETS = 5
KID_SUBSET_SIZE = 100


def pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (v0.3.0), verbatim in substance."""
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    offset_used = False
    if not np.isfinite(covmean).all():
        offset_used = True
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    max_imag = 0.0
    if np.iscomplexobj(covmean):
        max_imag = float(np.max(np.abs(np.diagonal(covmean).imag)))
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(max_imag))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    fid = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean
    return float(fid), float(tr_covmean), offset_used, max_imag


def eigh_fid(mu1, sigma1, mu2, sigma2):
    w, v = linalg.eigh(sigma1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = r @ sigma2 @ r
    ev = linalg.eigvalsh((m + m.T) / 2)
    tr = float(np.sum(np.sqrt(np.clip(ev, 0, None))))
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr), tr


def kid(f1, f2, subsets):
    d = f1.shape[1]
    vals = []
    for ia, ib in subsets:
        x = f1[ia]
        y = f2[ib]
        m = x.shape[0]
        a = (x @ x.T / d + 1) ** 3 + (y @ y.T / d + 1) ** 3
        b = (x @ y.T / d + 1) ** 3
        t = a.sum() - np.diag(a).sum()
        vals.append(t / (m * (m - 1)) - b.sum() * 2 / (m * m))
    vals = np.array(vals)
    return vals


def make_features(rng, n, d, mix, shift, scale):
    """Correlated, non-Gaussian-ish features: a low-rank-plus-diagonal mixture, partly ReLU'd."""
    z = rng.standard_normal((n, d))
    f = z @ mix * scale + shift
    f[:, : d // 4] = np.maximum(f[:, : d // 4], 0)  # a ReLU'd block, like pool features
    return f


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    total = 0
    for idx, (name, d, na, nb, dtype) in enumerate(CASES):
        t0 = time.time()
        rng = np.random.default_rng(1000 + idx)
        # mixing matrix: random rotation-ish with decaying spectrum
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        spec = 1.0 / np.sqrt(1.0 + np.arange(d) / 8.0)
        mix_a = (q * spec) @ q.T
        mix_b = mix_a + 0.15 * rng.standard_normal((d, d)) / np.sqrt(d)
        mu_a = 0.5 * rng.standard_normal(d)
        mu_b = mu_a + 0.1 * rng.standard_normal(d)
        fa = make_features(rng, na, d, mix_a, mu_a, 1.0)
        fb = make_features(rng, nb, d, mix_b, mu_b, 1.1)
        # store, then compute every reference from the stored (rounded) values
        sets = {}
        for label, f, n in (("a", fa, na), ("b", fb, nb)):
            stored = f.astype(dtype)
            fname = f"{name}-{label}.{'f16' if dtype == 'float16' else 'f32'}"
            data = stored.astype("<" + stored.dtype.str[1:]).tobytes()
            with open(os.path.join(OUT, fname), "wb") as fh:
                fh.write(data)
            total += len(data)
            sets[label] = {
                "file": fname,
                "dtype": dtype,
                "count": n,
                "sha256": hashlib.sha256(data).hexdigest(),
                "x": stored.astype(np.float64),
            }
        xa = sets["a"]["x"]
        xb = sets["b"]["x"]
        mu1 = np.mean(xa, axis=0)
        mu2 = np.mean(xb, axis=0)
        s1 = np.cov(xa, rowvar=False)
        s2 = np.cov(xb, rowvar=False)
        t1 = time.time()
        fid_p, tr_p, offset_used, max_imag = pytorch_fid(mu1, s1, mu2, s2)
        t_sqrtm = time.time() - t1
        fid_e, tr_e = eigh_fid(mu1, s1, mu2, s2)
        fid_aa, _, _, _ = (0.0, 0, 0, 0) if d > 256 else pytorch_fid(mu1, s1, mu1, s1)
        # KID subsets: fixed, exported
        m = min(KID_SUBSET_SIZE, na, nb)
        krng = np.random.default_rng(5000 + idx)
        subsets = [
            (krng.choice(na, m, replace=False), krng.choice(nb, m, replace=False))
            for _ in range(KID_SUBSETS)
        ]
        kv = kid(xa, xb, subsets)
        case = {
            "name": name,
            "dim": d,
            "a": {k: v for k, v in sets["a"].items() if k != "x"},
            "b": {k: v for k, v in sets["b"].items() if k != "x"},
            "fid_pytorch": fid_p,
            "fid_eigh": fid_e,
            "tr_sqrt_pytorch": tr_p,
            "tr_sqrt_eigh": tr_e,
            "sqrtm_offset_used": offset_used,
            "sqrtm_max_imag": max_imag,
            "sqrtm_seconds": t_sqrtm,
            "mean_diff_sq": float((mu1 - mu2) @ (mu1 - mu2)),
            "trace_a": float(np.trace(s1)),
            "trace_b": float(np.trace(s2)),
            "mean_sum_a": float(mu1.sum()),
            "mean_sum_b": float(mu2.sum()),
            "cov_sum_a": float(s1.sum()),
            "cov_sum_b": float(s2.sum()),
            "cov_frob_a": float(np.sqrt((s1 * s1).sum())),
            "kid": {
                "subset_size": m,
                "subsets": [[a.tolist(), b.tolist()] for a, b in subsets],
                "values": kv.tolist(),
                "mean": float(kv.mean()),
                "std": float(kv.std()),
            },
        }
        if d <= 256:
            case["fid_pytorch_self"] = fid_aa
            case["mean_a"] = mu1.tolist()
            case["cov_a_diag"] = np.diag(s1).tolist()
        cases.append(case)
        print(
            f"{name}: fid_pytorch={fid_p:.12g} fid_eigh={fid_e:.12g} rel={abs(fid_p - fid_e) / abs(fid_e):.2e} "
            f"offset={offset_used} imag={max_imag:.1e} sqrtm={t_sqrtm:.1f}s total={time.time() - t0:.1f}s",
            flush=True,
        )
    meta = {
        "generator": "tools/metrics-fixtures/make_fixtures.py",
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
        "python": sys.version.split()[0],
        "kid_kernel": "(x.y/d + 1)^3, unbiased MMD^2, std ddof=0",
        "cases": cases,
    }
    with open(os.path.join(OUT, "frechet.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} cases, {total / 1e6:.1f} MB of features to {OUT}")


if __name__ == "__main__":
    main()
