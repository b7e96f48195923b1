#!/usr/bin/python3
"""Reference numbers for the runtime's scheduler tests (packages/runtime/test/schedulers.test.ts).

An independent float64 implementation of diffusers' DDIMScheduler (set_timesteps, step) and
DPMSolverMultistepScheduler (set_timesteps, dpmsolver++ 2M midpoint: convert_model_output, the
first- and second-order updates, lower_order_final, final_sigmas_type), written from diffusers'
source (src/diffusers/schedulers/scheduling_ddim.py, scheduling_dpmsolver_multistep.py) and not
from our TypeScript. diffusers itself is not installed here; numpy is, and numpy's arange /
linspace / round are what diffusers' set_timesteps uses, so the timesteps are diffusers' own.

For each case it runs the whole sampling loop on a synthetic "model" that both sides compute (see
`model_output`) from a fixed x_T, and records the timesteps and the final sample. Run once:

    /usr/bin/python3 tools/scheduler-fixtures/make_fixtures.py

It writes packages/runtime/test/fixtures/schedulers/reference.json (the numbers are committed;
nothing in the tests runs Python).
"""

import hashlib
import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'runtime', 'test', 'fixtures', 'schedulers', 'reference.json')

N = 16  # values per sample
SIGMA_DATA = 0.5  # the synthetic model's data standard deviation


# ---- noise schedule (diffusers' __init__) ---------------------------------------------------

def quadratic_betas(n):
    """The 'trained_betas' of the fixtures: a schedule no beta_schedule names (both sides compute it)."""
    out = []
    for k in range(n):
        r = k / (n - 1)
        out.append(0.0001 + 0.0199 * r * r)
    return np.array(out, dtype=np.float64)


def betas_for_alpha_bar(n, max_beta=0.999):
    def alpha_bar(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    return np.array([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), max_beta) for i in range(n)], dtype=np.float64)


def rescale_zero_terminal_snr(betas):
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_bar_sqrt = np.sqrt(alphas_cumprod)
    s0 = alphas_bar_sqrt[0].copy()
    sT = alphas_bar_sqrt[-1].copy()
    alphas_bar_sqrt = alphas_bar_sqrt - sT
    alphas_bar_sqrt = alphas_bar_sqrt * (s0 / (s0 - sT))
    alphas_bar = alphas_bar_sqrt ** 2
    alphas = alphas_bar[1:] / alphas_bar[:-1]
    alphas = np.concatenate([alphas_bar[0:1], alphas])
    return 1 - alphas


def make_betas(cfg):
    n = cfg['num_train_timesteps']
    if cfg.get('trained_betas') is not None:
        betas = quadratic_betas(n)
    elif cfg['beta_schedule'] == 'linear':
        betas = np.linspace(cfg['beta_start'], cfg['beta_end'], n, dtype=np.float64)
    elif cfg['beta_schedule'] == 'scaled_linear':
        betas = np.linspace(cfg['beta_start'] ** 0.5, cfg['beta_end'] ** 0.5, n, dtype=np.float64) ** 2
    elif cfg['beta_schedule'] == 'squaredcos_cap_v2':
        betas = betas_for_alpha_bar(n)
    else:
        raise ValueError(cfg['beta_schedule'])
    if cfg.get('rescale_betas_zero_snr', False):
        betas = rescale_zero_terminal_snr(betas)
    return betas


def model_alphas_cumprod(cfg):
    return np.cumprod(1.0 - make_betas(cfg))


# ---- the synthetic model --------------------------------------------------------------------

def model_output(x, t, ac_t, prediction):
    """The ideal denoiser for x0 ~ N(0, SIGMA_DATA²) plus a position- and time-dependent term.

    ac_t is the model's own ᾱ_t (0 at the last timestep under zero terminal SNR), never a
    sampler's. Returned in the requested parameterisation.
    """
    s2 = SIGMA_DATA * SIGMA_DATA
    denom = ac_t * s2 + 1 - ac_t
    wobble = 0.05 * np.sin(0.37 * np.arange(len(x)) + t / 97.0)
    eps = math.sqrt(1 - ac_t) * x / denom
    x0 = math.sqrt(ac_t) * s2 * x / denom
    if prediction == 'epsilon':
        return eps + wobble
    if prediction == 'sample':
        return x0 + wobble
    if prediction == 'v_prediction':
        return math.sqrt(ac_t) * eps - math.sqrt(1 - ac_t) * x0 + wobble
    raise ValueError(prediction)


# ---- numpy's set_timesteps ------------------------------------------------------------------

def ddim_timesteps(cfg, T):
    train = cfg['num_train_timesteps']
    spacing = cfg.get('timestep_spacing', 'leading')
    if spacing == 'linspace':
        return np.linspace(0, train - 1, T).round()[::-1].copy().astype(np.int64)
    if spacing == 'leading':
        ratio = train // T
        return (np.arange(0, T) * ratio).round()[::-1].copy().astype(np.int64) + cfg.get('steps_offset', 0)
    if spacing == 'trailing':
        ratio = train / T
        return np.round(np.arange(train, 0, -ratio)).astype(np.int64) - 1
    raise ValueError(spacing)


def dpm_timesteps(cfg, T):
    train = cfg['num_train_timesteps']
    last = train  # lambda_min_clipped = -inf clips nothing
    spacing = cfg.get('timestep_spacing', 'linspace')
    if spacing == 'linspace':
        return np.linspace(0, last - 1, T + 1).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == 'leading':
        ratio = last // (T + 1)
        return (np.arange(0, T + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + cfg.get('steps_offset', 0)
    if spacing == 'trailing':
        ratio = train / T
        return np.arange(last, 0, -ratio).round().copy().astype(np.int64) - 1
    raise ValueError(spacing)


# ---- DDIMScheduler.step (eta 0, no clipping) ------------------------------------------------

def run_ddim(cfg, T, prediction, xT):
    ac = model_alphas_cumprod(cfg)
    final = 1.0 if cfg.get('set_alpha_to_one', True) else ac[0]
    timesteps = ddim_timesteps(cfg, T)
    train = cfg['num_train_timesteps']
    x = xT.copy()
    for t in timesteps:
        out = model_output(x, int(t), ac[t], prediction)
        prev_t = t - train // T
        a_t = ac[t]
        a_prev = ac[prev_t] if prev_t >= 0 else final
        b_t = 1 - a_t
        if prediction == 'epsilon':
            x0 = (x - b_t ** 0.5 * out) / a_t ** 0.5
            eps = out
        elif prediction == 'sample':
            x0 = out
            eps = (x - a_t ** 0.5 * x0) / b_t ** 0.5
        else:
            x0 = a_t ** 0.5 * x - b_t ** 0.5 * out
            eps = a_t ** 0.5 * out + b_t ** 0.5 * x
        x = a_prev ** 0.5 * x0 + (1 - a_prev) ** 0.5 * eps
    return timesteps, x


# ---- DPMSolverMultistepScheduler.step (dpmsolver++, order 2, midpoint) ----------------------

def run_dpm(cfg, T, prediction, xT, timesteps=None):
    model_ac = model_alphas_cumprod(cfg)
    ac = model_ac.copy()
    if cfg.get('rescale_betas_zero_snr', False):
        ac[-1] = 2.0 ** -24
    if timesteps is None:
        timesteps = dpm_timesteps(cfg, T)
    all_sigmas = ((1 - ac) / ac) ** 0.5
    sigmas = np.interp(timesteps, np.arange(0, len(all_sigmas)), all_sigmas)
    final_type = cfg.get('final_sigmas_type', 'zero')
    sigma_last = ((1 - ac[0]) / ac[0]) ** 0.5 if final_type == 'sigma_min' else 0.0
    sigmas = np.concatenate([sigmas, [sigma_last]])
    lower_order_final_cfg = cfg.get('lower_order_final', True)

    def alpha_sigma(sigma):
        alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
        return alpha, sigma * alpha

    def lam(sigma):
        a, s = alpha_sigma(sigma)
        with np.errstate(divide='ignore'):
            return np.log(a) - np.log(s)

    x = xT.copy()
    outputs = [None, None]
    lower_order_nums = 0
    n = len(timesteps)
    for i, t in enumerate(timesteps):
        out = model_output(x, int(t), model_ac[t], prediction)
        alpha_t, sigma_t = alpha_sigma(sigmas[i])
        if prediction == 'epsilon':
            x0 = (x - sigma_t * out) / alpha_t
        elif prediction == 'sample':
            x0 = out
        else:
            x0 = alpha_t * x - sigma_t * out
        outputs = [outputs[1], x0]
        lower_order_final = i == n - 1 and ((lower_order_final_cfg and n < 15) or final_type == 'zero')
        a_to, s_to = alpha_sigma(sigmas[i + 1])
        a_s0, s_s0 = alpha_sigma(sigmas[i])
        with np.errstate(divide='ignore'):
            h = lam(sigmas[i + 1]) - lam(sigmas[i])
        if lower_order_nums < 1 or lower_order_final:
            x = (s_to / s_s0) * x - (a_to * (np.exp(-h) - 1.0)) * outputs[1]
        else:
            h0 = lam(sigmas[i]) - lam(sigmas[i - 1])
            r0 = h0 / h
            D0 = outputs[1]
            D1 = (1.0 / r0) * (outputs[1] - outputs[0])
            x = (s_to / s_s0) * x - (a_to * (np.exp(-h) - 1.0)) * D0 - 0.5 * (a_to * (np.exp(-h) - 1.0)) * D1
        if lower_order_nums < 2:
            lower_order_nums += 1
    return timesteps, x


# ---- the matrix -----------------------------------------------------------------------------

SD15 = {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012}
BETAS = {
    'linear': {'beta_schedule': 'linear', 'beta_start': 0.0001, 'beta_end': 0.02},
    'scaled_linear': dict(SD15),
    'squaredcos_cap_v2': {'beta_schedule': 'squaredcos_cap_v2'},
    'trained_betas': {'beta_schedule': 'linear', 'trained_betas': 'quadratic'},
}


def ddim_cfg(**kw):
    cfg = {'_class_name': 'DDIMScheduler', 'num_train_timesteps': 1000, 'clip_sample': False}
    cfg.update(kw)
    return cfg


def dpm_cfg(**kw):
    cfg = {'_class_name': 'DPMSolverMultistepScheduler', 'num_train_timesteps': 1000}
    cfg.update(kw)
    return cfg


def cases():
    # group ddim-betas: each beta schedule × prediction type, SD-1.x timestep settings
    for bname, b in BETAS.items():
        for pred in ('epsilon', 'v_prediction', 'sample'):
            for T in (10, 50):
                yield 'ddim-betas', ddim_cfg(**b, prediction_type=pred, timestep_spacing='leading', steps_offset=1, set_alpha_to_one=False), T
    # group ddim-timesteps: spacing × steps_offset × set_alpha_to_one, on each beta schedule
    for spacing in ('leading', 'trailing', 'linspace'):
        for offset in (0, 1):
            for one in (True, False):
                for T in (7, 10, 50):
                    for bname in ('linear', 'scaled_linear'):
                        yield 'ddim-timesteps', ddim_cfg(**BETAS[bname], timestep_spacing=spacing, steps_offset=offset, set_alpha_to_one=one), T
    # group zero-snr: rescale_betas_zero_snr with v_prediction (and sample), both samplers
    for spacing in ('leading', 'trailing', 'linspace'):
        for pred in ('v_prediction', 'sample'):
            for T in (10, 50):
                common = dict(**SD15, rescale_betas_zero_snr=True, prediction_type=pred, timestep_spacing=spacing)
                yield 'zero-snr', ddim_cfg(**common, set_alpha_to_one=False), T
                yield 'zero-snr', dpm_cfg(**common, final_sigmas_type='zero'), T
    # group dpm-betas: each beta schedule × prediction type
    for bname, b in BETAS.items():
        for pred in ('epsilon', 'v_prediction', 'sample'):
            for T in (10, 50):
                yield 'dpm-betas', dpm_cfg(**b, prediction_type=pred, timestep_spacing='leading', steps_offset=1), T
    # group dpm-final: spacing × final_sigmas_type × lower_order_final around the 15-step boundary
    for spacing in ('leading', 'trailing', 'linspace'):
        for final in ('zero', 'sigma_min'):
            for lof in (True, False):
                for T in (7, 14, 15, 50):
                    yield 'dpm-final', dpm_cfg(**SD15, timestep_spacing=spacing, steps_offset=1, final_sigmas_type=final, lower_order_final=lof), T
    # group dpm-offset: steps_offset on leading
    for offset in (0, 1, 3):
        for T in (10, 50):
            yield 'dpm-offset', dpm_cfg(**BETAS['linear'], timestep_spacing='leading', steps_offset=offset), T


def f64list(a):
    # 12 significant digits: a million times finer than the tests' tolerance, half the bytes of repr
    return [float('%.12g' % v) for v in a]


def grid_checks():
    """For every T in 1..1000: diffusers' timesteps (or 'invalid'), hashed per spacing/grid/offset."""
    out = []
    for grid, fn in (('ddim', ddim_timesteps), ('dpm-solver', dpm_timesteps)):
        for spacing in ('leading', 'trailing', 'linspace'):
            for offset in ((0, 1) if spacing == 'leading' else (0,)):
                cfg = {'num_train_timesteps': 1000, 'timestep_spacing': spacing, 'steps_offset': offset}
                text = []
                invalid = []
                for T in range(1, 1001):
                    with np.errstate(all='ignore'):
                        t = fn(cfg, T)
                    ok = len(t) == T and t.min() >= 0 and t.max() <= 999 and (T == 1 or np.all(np.diff(t) < 0))
                    if not ok:
                        invalid.append(T)
                        text.append(f'{T}:invalid')
                    else:
                        text.append(f'{T}:' + ','.join(str(int(v)) for v in t))
                digest = hashlib.sha256(';'.join(text).encode()).hexdigest()
                out.append({'grid': grid, 'timestepSpacing': spacing, 'stepsOffset': offset, 'invalidSteps': invalid, 'sha256': digest})
    return out


def main():
    rng = np.random.default_rng(20240917)
    xT = rng.standard_normal(N).astype(np.float32).astype(np.float64)
    out_cases = []
    for group, cfg, T in cases():
        pred = cfg.get('prediction_type', 'epsilon')
        run = run_ddim if cfg['_class_name'] == 'DDIMScheduler' else run_dpm
        timesteps, x = run(cfg, T, pred, xT)
        assert np.all(np.isfinite(x)), (group, cfg, T)
        out_cases.append({'group': group, 'config': cfg, 'steps': T, 'timesteps': [int(t) for t in timesteps], 'final': f64list(x)})
    # our legacy DPM-Solver++ (dpmSolverTimesteps "ddim"): diffusers' set_timesteps(timesteps=DDIM's)
    for T in (4, 6, 20):
        cfg = dpm_cfg(**BETAS['linear'], timestep_spacing='leading')
        ts = ddim_timesteps(cfg, T)
        timesteps, x = run_dpm(cfg, T, 'epsilon', xT, timesteps=ts)
        out_cases.append({'group': 'dpm-custom-timesteps', 'config': cfg, 'dpmSolverTimesteps': 'ddim', 'steps': T,
                          'timesteps': [int(t) for t in timesteps], 'final': f64list(x)})
    # the issue's case: SD-1.5's scheduler config at T = 10, as DDIMScheduler
    sd15 = {'_class_name': 'PNDMScheduler', '_diffusers_version': '0.6.0', 'beta_end': 0.012, 'beta_schedule': 'scaled_linear',
            'beta_start': 0.00085, 'num_train_timesteps': 1000, 'set_alpha_to_one': False, 'skip_prk_steps': True,
            'steps_offset': 1, 'trained_betas': None, 'clip_sample': False}
    timesteps, x = run_ddim(dict(sd15, prediction_type='epsilon'), 10, 'epsilon', xT)
    out_cases.append({'group': 'sd15', 'config': sd15, 'sampler': 'ddim', 'steps': 10, 'timesteps': [int(t) for t in timesteps], 'final': f64list(x)})
    doc = {
        'generator': 'tools/scheduler-fixtures/make_fixtures.py (numpy %s, float64)' % np.__version__,
        'model': 'ideal denoiser for x0 ~ N(0, %g^2) + 0.05*sin(0.37*i + t/97), in the case\'s prediction type, on the model\'s own alphas_cumprod' % SIGMA_DATA,
        'sigmaData': SIGMA_DATA,
        'xT': f64list(xT),
        'trainedBetas': 'quadratic: 0.0001 + 0.0199*r*r, r = k/(n-1)',
        'cases': out_cases,
        'grids': grid_checks(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(out_cases)} cases -> {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
