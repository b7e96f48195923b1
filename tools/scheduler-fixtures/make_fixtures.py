#!/usr/bin/python3
"""Reference numbers for the runtime's scheduler tests (packages/runtime/test/schedulers.test.ts,
multistep-reference.test.ts).

An independent float64 implementation of diffusers' DDIMScheduler (set_timesteps, step),
DPMSolverMultistepScheduler (set_timesteps, dpmsolver++ 2M midpoint: convert_model_output, the
first- and second-order updates, lower_order_final, final_sigmas_type; and, in the class
DPMSolverPP, any solver_order with the third-order update and lower_order_second) and
UniPCMultistepScheduler (class UniPC: multistep_uni_p_bh_update, multistep_uni_c_bh_update with
B(h) = expm1(h) for bh2, rhos by np.linalg.solve, lower_order_final, the corrector after every
step), written from diffusers' source (src/diffusers/schedulers/scheduling_ddim.py,
scheduling_dpmsolver_multistep.py, scheduling_unipc_multistep.py) and not from our TypeScript.
The UniPC and 3M cases go to `multistepCases`. diffusers itself is not installed here; numpy is, and numpy's arange /
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
import re

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


# ---- UniPCMultistepScheduler.step (bh2, predict_x0, UniC after every step) --------------------

def _lambda(alpha, sigma):
    with np.errstate(divide='ignore'):
        return np.log(alpha) - np.log(sigma)


def _alpha_sigma(sigma):
    """diffusers' _sigma_to_alpha_sigma_t (VP, no flow sigmas)."""
    alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
    return alpha, sigma * alpha


def solver_alphas_cumprod(cfg):
    """The alphas_cumprod both multistep schedulers keep: 2^-24 for a zero terminal one."""
    ac = model_alphas_cumprod(cfg)
    if cfg.get('rescale_betas_zero_snr', False):
        ac = ac.copy()
        ac[-1] = 2.0 ** -24
    return ac


def solver_sigmas(cfg, timesteps):
    """set_timesteps' sigmas (no karras / exponential / beta / flow sigmas): interp at the timesteps, then the last one."""
    ac = solver_alphas_cumprod(cfg)
    all_sigmas = ((1 - ac) / ac) ** 0.5
    sigmas = np.interp(timesteps, np.arange(0, len(all_sigmas)), all_sigmas)
    final_type = cfg.get('final_sigmas_type', 'zero')
    if final_type == 'sigma_min':
        sigma_last = ((1 - ac[0]) / ac[0]) ** 0.5
    elif final_type == 'zero':
        sigma_last = 0.0
    else:
        raise ValueError(final_type)
    return np.concatenate([sigmas, [sigma_last]])


def convert_to_x0(model_output, sample, sigma, prediction):
    """convert_model_output with predict_x0 / dpmsolver++: the data prediction, on the solver's sigma."""
    alpha_t, sigma_t = _alpha_sigma(sigma)
    if prediction == 'epsilon':
        return (sample - sigma_t * model_output) / alpha_t
    if prediction == 'sample':
        return model_output
    if prediction == 'v_prediction':
        return alpha_t * sample - sigma_t * model_output
    raise ValueError(prediction)


class UniPC:
    """UniPCMultistepScheduler after set_timesteps, step for step (predict_x0=True, solver_p=None).

    Written from diffusers' scheduling_unipc_multistep.py: step() runs the corrector UniC
    (multistep_uni_c_bh_update) on the previous update unless it is the first step or disabled,
    then shifts the history and runs the predictor UniP (multistep_uni_p_bh_update). Any
    solver_order, bh1 or bh2; rhos from np.linalg.solve as diffusers' torch.linalg.solve.
    """

    def __init__(self, cfg, timesteps):
        self.prediction = cfg.get('prediction_type', 'epsilon')
        self.order = cfg.get('solver_order', 2)
        self.solver_type = cfg.get('solver_type', 'bh2')
        if self.solver_type in ('midpoint', 'heun', 'logrho'):
            self.solver_type = 'bh2'  # diffusers' __init__ does the same
        assert cfg.get('predict_x0', True) is True
        self.lower_order_final = cfg.get('lower_order_final', True)
        self.disable_corrector = cfg.get('disable_corrector', [])
        self.timesteps = np.asarray(timesteps)
        self.sigmas = solver_sigmas(cfg, self.timesteps)
        self.model_outputs = [None] * self.order
        self.timestep_list = [None] * self.order
        self.lower_order_nums = 0
        self.last_sample = None
        self.this_order = None
        self.step_index = 0

    def _coefficients(self, h, order, rks):
        hh = -h  # predict_x0
        h_phi_1 = np.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        factorial_i = 1
        B_h = hh if self.solver_type == 'bh1' else np.expm1(hh)
        R = []
        b = []
        for i in range(1, order + 1):
            R.append(np.power(rks, i - 1))
            b.append(h_phi_k * factorial_i / B_h)
            factorial_i *= i + 1
            h_phi_k = h_phi_k / hh - 1 / factorial_i
        return h_phi_1, B_h, np.stack(R), np.array(b)

    def uni_p(self, sample, order):
        m = self.model_outputs
        m0 = m[-1]
        alpha_t, sigma_t = _alpha_sigma(self.sigmas[self.step_index + 1])
        alpha_s0, sigma_s0 = _alpha_sigma(self.sigmas[self.step_index])
        lambda_t = _lambda(alpha_t, sigma_t)
        lambda_s0 = _lambda(alpha_s0, sigma_s0)
        h = lambda_t - lambda_s0
        rks = []
        D1s = []
        for i in range(1, order):
            si = self.step_index - i
            mi = m[-(i + 1)]
            lambda_si = _lambda(*_alpha_sigma(self.sigmas[si]))
            rk = (lambda_si - lambda_s0) / h
            rks.append(rk)
            D1s.append((mi - m0) / rk)
        rks.append(1.0)
        with np.errstate(divide='ignore', invalid='ignore'):
            h_phi_1, B_h, R, b = self._coefficients(h, order, np.array(rks))
        x_t_ = sigma_t / sigma_s0 * sample - alpha_t * h_phi_1 * m0
        if D1s:
            rhos_p = np.array([0.5]) if order == 2 else np.linalg.solve(R[:-1, :-1], b[:-1])
            pred_res = np.einsum('k,kc->c', rhos_p, np.stack(D1s))
        else:
            pred_res = 0
        return x_t_ - alpha_t * B_h * pred_res

    def uni_c(self, this_model_output, last_sample, order):
        m = self.model_outputs
        m0 = m[-1]
        alpha_t, sigma_t = _alpha_sigma(self.sigmas[self.step_index])
        alpha_s0, sigma_s0 = _alpha_sigma(self.sigmas[self.step_index - 1])
        lambda_t = _lambda(alpha_t, sigma_t)
        lambda_s0 = _lambda(alpha_s0, sigma_s0)
        h = lambda_t - lambda_s0
        rks = []
        D1s = []
        for i in range(1, order):
            si = self.step_index - (i + 1)
            mi = m[-(i + 1)]
            lambda_si = _lambda(*_alpha_sigma(self.sigmas[si]))
            rk = (lambda_si - lambda_s0) / h
            rks.append(rk)
            D1s.append((mi - m0) / rk)
        rks.append(1.0)
        h_phi_1, B_h, R, b = self._coefficients(h, order, np.array(rks))
        rhos_c = np.array([0.5]) if order == 1 else np.linalg.solve(R, b)
        x_t_ = sigma_t / sigma_s0 * last_sample - alpha_t * h_phi_1 * m0
        corr_res = np.einsum('k,kc->c', rhos_c[:-1], np.stack(D1s)) if D1s else 0
        D1_t = this_model_output - m0
        return x_t_ - alpha_t * B_h * (corr_res + rhos_c[-1] * D1_t)

    def step(self, model_output, sample):
        use_corrector = self.step_index > 0 and (self.step_index - 1) not in self.disable_corrector and self.last_sample is not None
        converted = convert_to_x0(model_output, sample, self.sigmas[self.step_index], self.prediction)
        if use_corrector:
            sample = self.uni_c(converted, self.last_sample, self.this_order)
        for i in range(self.order - 1):
            self.model_outputs[i] = self.model_outputs[i + 1]
            self.timestep_list[i] = self.timestep_list[i + 1]
        self.model_outputs[-1] = converted
        self.timestep_list[-1] = self.timesteps[self.step_index]
        if self.lower_order_final:
            this_order = min(self.order, len(self.timesteps) - self.step_index)
        else:
            this_order = self.order
        self.this_order = min(this_order, self.lower_order_nums + 1)
        assert self.this_order > 0
        self.last_sample = sample
        prev_sample = self.uni_p(sample, self.this_order)
        if self.lower_order_nums < self.order:
            self.lower_order_nums += 1
        self.step_index += 1
        return prev_sample


# ---- DPMSolverMultistepScheduler.step, any solver_order (dpmsolver++, midpoint) -------------

class DPMSolverPP:
    """DPMSolverMultistepScheduler after set_timesteps, step for step (algorithm_type dpmsolver++).

    Written from diffusers' scheduling_dpmsolver_multistep.py: step()'s lower_order_final /
    lower_order_second, dpm_solver_first_order_update, multistep_dpm_solver_second_order_update
    (midpoint or heun) and multistep_dpm_solver_third_order_update. Independent of run_dpm above
    (main() checks that both agree at solver_order 2).
    """

    def __init__(self, cfg, timesteps):
        self.prediction = cfg.get('prediction_type', 'epsilon')
        self.order = cfg.get('solver_order', 2)
        self.solver_type = cfg.get('solver_type', 'midpoint')
        self.lower_order_final_cfg = cfg.get('lower_order_final', True)
        self.euler_at_final = cfg.get('euler_at_final', False)
        self.final_sigmas_type = cfg.get('final_sigmas_type', 'zero')
        self.timesteps = np.asarray(timesteps)
        self.sigmas = solver_sigmas(cfg, self.timesteps)
        self.model_outputs = [None] * self.order
        self.lower_order_nums = 0
        self.step_index = 0

    def _lam(self, k):
        return _lambda(*_alpha_sigma(self.sigmas[k]))

    def first_order(self, m0, sample):
        alpha_t, sigma_t = _alpha_sigma(self.sigmas[self.step_index + 1])
        alpha_s, sigma_s = _alpha_sigma(self.sigmas[self.step_index])
        with np.errstate(divide='ignore'):
            h = _lambda(alpha_t, sigma_t) - _lambda(alpha_s, sigma_s)
        return (sigma_t / sigma_s) * sample - (alpha_t * (np.exp(-h) - 1.0)) * m0

    def second_order(self, sample):
        alpha_t, sigma_t = _alpha_sigma(self.sigmas[self.step_index + 1])
        alpha_s0, sigma_s0 = _alpha_sigma(self.sigmas[self.step_index])
        lambda_t = _lambda(alpha_t, sigma_t)
        lambda_s0 = self._lam(self.step_index)
        lambda_s1 = self._lam(self.step_index - 1)
        m0, m1 = self.model_outputs[-1], self.model_outputs[-2]
        h, h_0 = lambda_t - lambda_s0, lambda_s0 - lambda_s1
        r0 = h_0 / h
        D0, D1 = m0, (1.0 / r0) * (m0 - m1)
        if self.solver_type == 'midpoint':
            return (sigma_t / sigma_s0) * sample - (alpha_t * (np.exp(-h) - 1.0)) * D0 - 0.5 * (alpha_t * (np.exp(-h) - 1.0)) * D1
        return (sigma_t / sigma_s0) * sample - (alpha_t * (np.exp(-h) - 1.0)) * D0 + (alpha_t * ((np.exp(-h) - 1.0) / h + 1.0)) * D1

    def third_order(self, sample):
        alpha_t, sigma_t = _alpha_sigma(self.sigmas[self.step_index + 1])
        alpha_s0, sigma_s0 = _alpha_sigma(self.sigmas[self.step_index])
        lambda_t = _lambda(alpha_t, sigma_t)
        lambda_s0 = self._lam(self.step_index)
        lambda_s1 = self._lam(self.step_index - 1)
        lambda_s2 = self._lam(self.step_index - 2)
        m0, m1, m2 = self.model_outputs[-1], self.model_outputs[-2], self.model_outputs[-3]
        h, h_0, h_1 = lambda_t - lambda_s0, lambda_s0 - lambda_s1, lambda_s1 - lambda_s2
        r0, r1 = h_0 / h, h_1 / h
        D0 = m0
        D1_0, D1_1 = (1.0 / r0) * (m0 - m1), (1.0 / r1) * (m1 - m2)
        D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1)
        D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
        return (
            (sigma_t / sigma_s0) * sample
            - (alpha_t * (np.exp(-h) - 1.0)) * D0
            + (alpha_t * ((np.exp(-h) - 1.0) / h + 1.0)) * D1
            - (alpha_t * ((np.exp(-h) - 1.0 + h) / h ** 2 - 0.5)) * D2
        )

    def step(self, model_output, sample):
        n = len(self.timesteps)
        lower_order_final = (self.step_index == n - 1) and (
            self.euler_at_final or (self.lower_order_final_cfg and n < 15) or self.final_sigmas_type == 'zero'
        )
        lower_order_second = (self.step_index == n - 2) and self.lower_order_final_cfg and n < 15
        converted = convert_to_x0(model_output, sample, self.sigmas[self.step_index], self.prediction)
        for i in range(self.order - 1):
            self.model_outputs[i] = self.model_outputs[i + 1]
        self.model_outputs[-1] = converted
        if self.order == 1 or self.lower_order_nums < 1 or lower_order_final:
            prev_sample = self.first_order(converted, sample)
        elif self.order == 2 or self.lower_order_nums < 2 or lower_order_second:
            prev_sample = self.second_order(sample)
        else:
            prev_sample = self.third_order(sample)
        if self.lower_order_nums < self.order:
            self.lower_order_nums += 1
        self.step_index += 1
        return prev_sample


SCHEDULER_CLASSES = {'UniPCMultistepScheduler': UniPC, 'DPMSolverMultistepScheduler': DPMSolverPP}


def parse_schedule(text):
    """The schedule DSL's steps, flattened: 'F', 'N' or 'P<b>' (segments are only a grouping)."""
    steps = re.findall(r'F|N|P\d+', text.replace('|', ' '))
    assert ''.join(steps) == re.sub(r'[\s|]', '', text), text
    return steps


def float32_model_output(x, t, ac_t, prediction):
    """model_output on a float32 sample, rounded to float32: what the runtime's UNet stand-in gives."""
    return model_output(x.astype(np.float32).astype(np.float64), t, ac_t, prediction).astype(np.float32).astype(np.float64)


def run_multistep(cfg, T, prediction, xT, timesteps=None, schedule=None, null_mode='skip', model=None):
    """The sampling loop with a scheduler of SCHEDULER_CLASSES, optionally under a schedule with null steps.

    With a schedule, 'skip' runs the scheduler on the evaluated timesteps only (the plan's
    sub-sequence, as set_timesteps(timesteps=...) would; the null steps are not steps at all);
    'reuse' runs every timestep and passes the latest model output again at a null step (what a
    pipeline that skips the UNet and reuses its output does; ε models only, where the reused
    output is the ε the runtime reuses). Partial steps evaluate the model like full ones: the
    synthetic model has no cache. `model` replaces model_output. Returns the timesteps the model
    saw and the final sample.
    """
    model = model or model_output
    model_ac = model_alphas_cumprod(cfg)
    if timesteps is None:
        timesteps = dpm_timesteps(cfg, T)
    kinds = ['F'] * len(timesteps) if schedule is None else parse_schedule(schedule)
    assert len(kinds) == len(timesteps), (schedule, len(timesteps))
    if null_mode == 'skip':
        keep = [k != 'N' for k in kinds]
        timesteps = np.asarray(timesteps)[keep]
        kinds = [k for k in kinds if k != 'N']
    else:
        assert null_mode == 'reuse' and prediction == 'epsilon'
    scheduler = SCHEDULER_CLASSES[cfg['_class_name']](cfg, timesteps)
    x = xT.copy()
    seen = []
    out = None
    for t, kind in zip(timesteps, kinds):
        if kind != 'N':
            out = model(x, int(t), model_ac[t], prediction)
            seen.append(int(t))
        x = scheduler.step(out, x)
    return seen, x


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


def unipc_cfg(**kw):
    cfg = {'_class_name': 'UniPCMultistepScheduler', 'num_train_timesteps': 1000}
    cfg.update(kw)
    return cfg


# The schedules of the plan cases: full, partial and null steps, as a search proposes them (T = 10)
PLAN_SCHEDULES = ('F N P0 N N | F P1 N P0 N', 'F F N N N | F N N N N', 'F N N N N | N N N N N')


def multistep_cases():
    """(group, config, T, extra) for the samplers unipc and dpmpp-3m."""
    for sampler, make in (('unipc', unipc_cfg), ('dpmpp-3m', lambda **kw: dpm_cfg(solver_order=3, **kw))):
        # each beta schedule × prediction type × a few step counts, SD-1.x timestep settings
        for bname, b in BETAS.items():
            for pred in ('epsilon', 'v_prediction', 'sample'):
                for T in (5, 10, 25):
                    yield f'{sampler}-betas', make(**b, prediction_type=pred, timestep_spacing='leading', steps_offset=1), T, {}
        # spacing × final_sigmas_type × lower_order_final around DPM-Solver's 15-step boundary
        for spacing in ('leading', 'trailing', 'linspace'):
            for final in ('zero', 'sigma_min'):
                for lof in (True, False):
                    if sampler == 'unipc' and final == 'zero' and not lof:
                        # diffusers' UniPC: a 2nd-order last update to sigma 0 has h = inf and r_k = 0, so D1 = (m1 - m0) / 0 (inf / NaN); not a reference
                        continue
                    for T in (5, 10, 14, 15, 16, 25):
                        yield f'{sampler}-final', make(**SD15, timestep_spacing=spacing, steps_offset=1, final_sigmas_type=final, lower_order_final=lof), T, {}
        # warm-up: fewer steps than the order (linspace starts at t = 999, leading with offset 1 at 501 for T = 1)
        for spacing, offset in (('linspace', 0), ('leading', 1)):
            for T in (1, 2, 3, 4):
                for final in ('zero', 'sigma_min'):
                    yield f'{sampler}-short', make(**BETAS['linear'], timestep_spacing=spacing, steps_offset=offset, final_sigmas_type=final), T, {}
        # zero terminal SNR (2^-24 in place of the last alphas_cumprod, as both classes do)
        for spacing in ('leading', 'trailing', 'linspace'):
            for pred in ('v_prediction', 'sample'):
                for T in (10, 25):
                    yield f'{sampler}-zero-snr', make(**SD15, rescale_betas_zero_snr=True, prediction_type=pred, timestep_spacing=spacing), T, {}
        # the runtime's plans: null steps skipped (the evaluated sub-sequence) or reusing the latest ε
        for schedule in PLAN_SCHEDULES:
            for null_mode in ('skip', 'reuse'):
                for final in ('zero', 'sigma_min'):
                    yield f'{sampler}-plans', make(**SD15, timestep_spacing='leading', steps_offset=1, final_sigmas_type=final), 10, {
                        'schedule': schedule, 'nullMode': null_mode}
        # dpmSolverTimesteps "ddim": DDIM's timesteps (set_timesteps(timesteps=...))
        for T in (4, 6, 20):
            yield f'{sampler}-custom-timesteps', make(**BETAS['linear'], timestep_spacing='leading'), T, {'dpmSolverTimesteps': 'ddim'}


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
    # the independent solver_order-generic DPMSolverPP reproduces run_dpm's 2M on every DPM case
    for c in out_cases:
        cfg = c['config']
        if cfg['_class_name'] != 'DPMSolverMultistepScheduler':
            continue
        _, x = run_multistep(cfg, c['steps'], cfg.get('prediction_type', 'epsilon'), xT, timesteps=c['timesteps'])
        assert np.max(np.abs(x - np.array(c['final']))) < 1e-9 * np.max(np.abs(x)), c
    multistep = []
    for group, cfg, T, extra in multistep_cases():
        pred = cfg.get('prediction_type', 'epsilon')
        timesteps = ddim_timesteps(cfg, T) if extra.get('dpmSolverTimesteps') == 'ddim' else None
        args = dict(timesteps=timesteps, schedule=extra.get('schedule'), null_mode=extra.get('nullMode', 'skip'))
        seen, x = run_multistep(cfg, T, pred, xT, **args)
        assert np.all(np.isfinite(x)), (group, cfg, T, extra)
        # the float32 floor: how far the same float64 loop lands when only the model's output is rounded to float32
        # (the runtime's UNet output is float32). Where a single x0 = (x - sigma*eps)/alpha from high noise decides the
        # result (T = 1, a schedule with one evaluation) it is ~2e-6 relative, above the tests' usual 1e-6.
        _, x32 = run_multistep(cfg, T, pred, xT, model=float32_model_output, **args)
        floor = float(np.max(np.abs(x32 - x)) / np.max(np.abs(x)))
        sampler = 'unipc' if cfg['_class_name'] == 'UniPCMultistepScheduler' else 'dpmpp-%dm' % cfg['solver_order']
        multistep.append({'group': group, 'sampler': sampler, 'config': cfg, 'steps': T, **extra, 'timesteps': seen, 'final': f64list(x),
                          'float32Floor': float('%.3g' % floor)})
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
        'multistepCases': multistep,
        'grids': grid_checks(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(out_cases)} + {len(multistep)} cases -> {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
