import { RuntimeError, oneOf, show } from './errors.js';
import { alphaAt, dataPrediction, logSnr, zeroSnrAlphas } from './internal/solver.js';

/**
 * Names of the built-in samplers.
 *
 * - `ddim`: diffusers' `DDIMScheduler` (set_alpha_to_one, no clipping, eta configurable).
 * - `dpmpp-2m`: diffusers' `DPMSolverMultistepScheduler` with `algorithm_type="dpmsolver++"`,
 *   `solver_order=2`, midpoint, final step to x0 (`final_sigmas_type="zero"`).
 * - `dpmpp-3m`: the same class with `solver_order=3` (lower orders at the start and, with
 *   `lower_order_final` under 15 updates, at the last two updates, as diffusers).
 * - `unipc`: diffusers' `UniPCMultistepScheduler` with `solver_order=2`, `solver_type="bh2"`,
 *   `predict_x0=True`, the corrector UniC after every update (`disable_corrector=[]`).
 *
 * @public
 */
export type SamplerName = 'ddim' | 'dpmpp-2m' | 'dpmpp-3m' | 'unipc';

/**
 * What a model's UNet predicts (diffusers' `prediction_type`).
 *
 * @public
 */
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** The valid {@link PredictionType} values. @public */
export const PREDICTION_TYPES: readonly PredictionType[] = Object.freeze(['epsilon', 'v_prediction', 'sample']);

/**
 * Where DPM-Solver++'s last update goes (diffusers' `final_sigmas_type`): `'zero'` to σ = 0, the
 * predicted x0; `'sigma_min'` to the smallest training σ, that of ᾱ_0.
 *
 * @public
 */
export type FinalSigmasType = 'zero' | 'sigma_min';

/** The valid {@link FinalSigmasType} values. @public */
export const FINAL_SIGMAS_TYPES: readonly FinalSigmasType[] = Object.freeze(['zero', 'sigma_min']);

/**
 * Settings of a sampler run.
 *
 * @public
 */
export interface SamplerConfig {
  /** ᾱ_t of the model, t = 0..trainTimesteps−1 ({@link alphasCumprod}). */
  readonly alphasCumprod: Float64Array;
  /** DDIM's eta: 0 = deterministic DDIM (default), 1 = DDPM-like. Ignored by other samplers. */
  readonly eta?: number;
  /**
   * ᾱ that an update to the end of sampling (`nextTimestep` −1) goes to: DDIM's
   * `final_alpha_cumprod`, 1 with `set_alpha_to_one` (default), else ᾱ_0.
   */
  readonly finalAlphaCumprod?: number;
  /** DPM-Solver++ and UniPC: where the last update goes (default `'zero'`: to x0). */
  readonly finalSigmasType?: FinalSigmasType;
  /**
   * DPM-Solver++ and UniPC: diffusers' `lower_order_final` (default true). DPM-Solver++: when the
   * run has fewer than 15 updates, the last is first order (3M: and the one before it second
   * order). Needs `updates`. (With `finalSigmasType` `'zero'` the last update is first order
   * anyway, as in diffusers; for 2M `lower_order_final` changes nothing else.) UniPC: the last
   * update is first order whatever the number of updates, as diffusers' UniPC does.
   */
  readonly lowerOrderFinal?: boolean;
  /** Number of updates of the run (`plan.steps.length`); runPlan passes it. */
  readonly updates?: number;
}

/**
 * The sampler settings a model's scheduler block implies, besides ᾱ and eta (what runPlan's
 * `samplerSettings` takes).
 *
 * @public
 */
export type SamplerSettings = Pick<SamplerConfig, 'finalAlphaCumprod' | 'finalSigmasType' | 'lowerOrderFinal'>;

/**
 * One update: move `sample` from `timestep` to `nextTimestep` given the noise prediction.
 *
 * @public
 */
export interface SamplerStepInput {
  /** x_t for the whole batch (not modified). */
  readonly sample: Float32Array;
  /** ε predicted at (x_t, t), same length as `sample`. */
  readonly eps: Float32Array;
  /**
   * The predicted clean sample x0, given when the model predicts it or v (prediction `sample`,
   * `v_prediction`): samplers use it as is instead of deriving it from ε, which is exact where ᾱ
   * is tiny or 0 (zero terminal SNR), as diffusers' `pred_original_sample`. Absent for ε models.
   */
  readonly x0?: Float32Array;
  /** The current timestep t. */
  readonly timestep: number;
  /** The timestep to go to; −1 means the end of sampling (the clean sample). */
  readonly nextTimestep: number;
  /** Fresh standard normal noise, same length as `sample`; given only to stochastic samplers. */
  readonly noise?: Float32Array;
}

/**
 * A sampler as plain data plus a step function (the tfjs-kernel idea): `init` makes a per-run
 * state, `step` applies one update. Samplers work on any decreasing timestep sub-sequence; they
 * never call the model.
 *
 * @typeParam S - The sampler's per-run state.
 * @public
 */
export interface SamplerDefinition<S = unknown> {
  /** Name, for messages (the built-ins: their {@link SamplerName}). */
  readonly name: string;
  /** One line on what it is. */
  readonly summary: string;
  /** Whether `step` needs fresh noise for these settings (DDIM with eta > 0). */
  stochastic(config: SamplerConfig): boolean;
  /** A fresh state for one sampling run of one batch. */
  init(config: SamplerConfig): S;
  /** One update; returns x at `nextTimestep` (a new array). */
  step(state: S, input: SamplerStepInput): Float32Array;
  /**
   * Optional: the ᾱ this sampler works with, given the model's (default: the model's). runPlan
   * converts the model output with it and passes it as `config.alphasCumprod`. DPM-Solver++ uses
   * it for diffusers' 2^-24 in place of a zero terminal ᾱ.
   */
  alphasCumprod?(alphasCumprod: Float64Array): Float64Array;
}

interface DdimState {
  readonly ac: Float64Array;
  readonly eta: number;
  readonly final: number;
}

interface DpmState {
  readonly ac: Float64Array;
  readonly finalAc: number;
  readonly lowerOrderLast: boolean;
  readonly updates: number;
  done: number;
  prevX0: Float32Array | null;
  prevLambda: number;
}

const ddim: SamplerDefinition<DdimState> = Object.freeze({
  name: 'ddim' as const,
  summary: "DDIM (diffusers' DDIMScheduler: final ᾱ per set_alpha_to_one, no clipping, eta configurable)",
  stochastic: (config: SamplerConfig) => (config.eta ?? 0) > 0,
  init: (config: SamplerConfig): DdimState => ({ ac: config.alphasCumprod, eta: config.eta ?? 0, final: config.finalAlphaCumprod ?? 1 }),
  step(state: DdimState, input: SamplerStepInput): Float32Array {
    const { sample: x, eps, noise, x0: given } = input;
    const at = alphaAt(state.ac, input.timestep);
    const ap = alphaAt(state.ac, input.nextTimestep, state.final);
    const variance = ((1 - ap) / (1 - at)) * (1 - at / ap);
    const std = state.eta * Math.sqrt(Math.max(variance, 0));
    if (std > 0 && !noise) throw new RuntimeError('invalid-option', 'DDIM with eta > 0 needs noise for every step.');
    const sa = Math.sqrt(at);
    const s1a = Math.sqrt(1 - at);
    const sap = Math.sqrt(ap);
    const dirCoef = Math.sqrt(Math.max(1 - ap - std * std, 0));
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const e = eps[i]!;
      const x0 = given ? given[i]! : (x[i]! - s1a * e) / sa;
      let v = sap * x0 + dirCoef * e;
      if (std > 0) v += std * noise![i]!;
      out[i] = v;
    }
    return out;
  },
});

const dpmpp2m: SamplerDefinition<DpmState> = Object.freeze({
  name: 'dpmpp-2m' as const,
  summary: "DPM-Solver++ (2M, midpoint; diffusers' DPMSolverMultistepScheduler: final_sigmas_type, lower_order_final)",
  stochastic: () => false,
  init: (config: SamplerConfig): DpmState => {
    const updates = config.updates ?? Number.POSITIVE_INFINITY;
    return {
      ac: config.alphasCumprod,
      finalAc: config.finalSigmasType === 'sigma_min' ? alphaAt(config.alphasCumprod, 0) : 1,
      lowerOrderLast: (config.lowerOrderFinal ?? true) && updates < 15,
      updates,
      done: 0,
      prevX0: null,
      prevLambda: 0,
    };
  },
  alphasCumprod: zeroSnrAlphas, // diffusers' 2^-24 in place of a zero terminal ᾱ
  step(state: DpmState, input: SamplerStepInput): Float32Array {
    const { sample: x, eps, x0: given } = input;
    const as = Math.sqrt(alphaAt(state.ac, input.timestep));
    const ss = Math.sqrt(1 - alphaAt(state.ac, input.timestep));
    const lambdaS = Math.log(as) - Math.log(ss);
    const x0 = given ? given.slice() : new Float32Array(x.length);
    if (!given) for (let i = 0; i < x.length; i++) x0[i] = (x[i]! - ss * eps[i]!) / as;
    const prev = state.prevX0;
    const prevLambda = state.prevLambda;
    state.prevX0 = x0;
    state.prevLambda = lambdaS;
    state.done++;
    const end = input.nextTimestep < 0;
    if (end && state.finalAc === 1) return x0.slice(); // first-order step to sigma = 0 is x0 itself
    const aNext = alphaAt(state.ac, input.nextTimestep, state.finalAc);
    const at = Math.sqrt(aNext);
    const st = Math.sqrt(1 - aNext);
    const h = Math.log(at) - Math.log(st) - lambdaS;
    const c1 = st / ss;
    const c2 = at * (Math.exp(-h) - 1);
    const out = new Float32Array(x.length);
    const firstOrder = prev === null || (state.lowerOrderLast && state.done === state.updates);
    if (firstOrder) {
      for (let i = 0; i < x.length; i++) out[i] = c1 * x[i]! - c2 * x0[i]!;
    } else {
      const r0 = (lambdaS - prevLambda) / h;
      for (let i = 0; i < x.length; i++) {
        const d1 = (x0[i]! - prev[i]!) / r0;
        out[i] = c1 * x[i]! - c2 * x0[i]! - 0.5 * c2 * d1;
      }
    }
    return out;
  },
});

// DPM-Solver++ 3M (Lu et al. 2022, arXiv:2211.01095) as diffusers' DPMSolverMultistepScheduler runs
// it with solver_order 3, algorithm_type "dpmsolver++", solver_type "midpoint", lower_order_final.

/** The per-run state of {@link dpmpp3m}: diffusers' `model_outputs` and their λ, for the steps made. */
interface Dpm3State {
  readonly ac: Float64Array;
  /** ᾱ the update to the end goes to: 1 (`final_sigmas_type` `zero`) or ᾱ_0 (`sigma_min`). */
  readonly finalAc: number;
  /** `lower_order_final` and fewer than 15 updates: the last two updates lower their order. */
  readonly lowerOrderLast: boolean;
  readonly updates: number;
  /** Updates made so far (diffusers' `step_index`, and `lower_order_nums` up to 3). */
  done: number;
  /** x0 of the latest step and of the one before (`model_outputs[-1]`, `[-2]`), and their λ. */
  m0: Float32Array | null;
  m1: Float32Array | null;
  lambda0: number;
  lambda1: number;
}

/**
 * DPM-Solver++ 3M as a {@link SamplerDefinition}: diffusers' `DPMSolverMultistepScheduler` with
 * `solver_order=3`, `algorithm_type="dpmsolver++"`, `solver_type="midpoint"`.
 *
 * The first update is first order and the second second order (midpoint, as `dpmpp-2m`), then
 * third order. As in diffusers' `step`: with `lowerOrderFinal` (default true) and fewer than 15
 * updates the last update is first order and the one before it second order; the update to σ = 0
 * (`finalSigmasType` `zero`) is first order whatever the count: the last x0.
 *
 * Like `dpmpp-2m`, the history is that of the calls to `step`: under a `'skip'` plan the
 * evaluated steps (the sub-sequence of timesteps), under `'reuse'` every step, a reused ε giving
 * its x0 at that step's sample; `config.updates` (the plan's length) is diffusers'
 * `len(timesteps)`. Zero terminal SNR: ᾱ_{T−1} is 2^-24, as in diffusers.
 */
const dpmpp3m: SamplerDefinition<Dpm3State> = Object.freeze({
  name: 'dpmpp-3m' as const,
  summary: "DPM-Solver++ (3M; diffusers' DPMSolverMultistepScheduler solver_order 3: final_sigmas_type, lower_order_final)",
  stochastic: () => false,
  init: (config: SamplerConfig): Dpm3State => {
    const updates = config.updates ?? Number.POSITIVE_INFINITY;
    return {
      ac: config.alphasCumprod,
      finalAc: config.finalSigmasType === 'sigma_min' ? alphaAt(config.alphasCumprod, 0) : 1,
      lowerOrderLast: (config.lowerOrderFinal ?? true) && updates < 15,
      updates,
      done: 0,
      m0: null,
      m1: null,
      lambda0: 0,
      lambda1: 0,
    };
  },
  alphasCumprod: zeroSnrAlphas,
  step(state: Dpm3State, input: SamplerStepInput): Float32Array {
    const { sample: x } = input;
    const a = alphaAt(state.ac, input.timestep);
    const as = Math.sqrt(a);
    const ss = Math.sqrt(1 - a);
    const lambdaS = logSnr(as, ss);
    const x0 = dataPrediction(x, input.eps, input.x0, as, ss);
    const p1 = state.m0;
    const p2 = state.m1;
    const lambda1 = state.lambda0;
    const lambda2 = state.lambda1;
    state.m1 = p1;
    state.m0 = x0;
    state.lambda1 = lambda1;
    state.lambda0 = lambdaS;
    const k = state.done++;
    if (input.nextTimestep < 0 && state.finalAc === 1) return x0.slice(); // first-order step to sigma = 0 is x0 itself
    const aNext = alphaAt(state.ac, input.nextTimestep, state.finalAc);
    const at = Math.sqrt(aNext);
    const st = Math.sqrt(1 - aNext);
    const h = logSnr(at, st) - lambdaS;
    const em1 = Math.exp(-h) - 1;
    const c1 = st / ss;
    const c2 = at * em1;
    // diffusers' step: lower_order_final on the last update, lower_order_second on the one before
    const lowerFinal = state.lowerOrderLast && k === state.updates - 1;
    const lowerSecond = state.lowerOrderLast && k === state.updates - 2;
    const order = k < 1 || lowerFinal ? 1 : k < 2 || lowerSecond ? 2 : 3;
    const out = new Float32Array(x.length);
    if (order === 1) {
      for (let i = 0; i < x.length; i++) out[i] = c1 * x[i]! - c2 * x0[i]!;
    } else if (order === 2) {
      const r0 = (lambdaS - lambda1) / h;
      for (let i = 0; i < x.length; i++) {
        const d1 = (x0[i]! - p1![i]!) / r0;
        out[i] = c1 * x[i]! - c2 * x0[i]! - 0.5 * c2 * d1;
      }
    } else {
      const r0 = (lambdaS - lambda1) / h;
      const r1 = (lambda1 - lambda2) / h;
      const c3 = at * (em1 / h + 1);
      const c4 = at * ((em1 + h) / (h * h) - 0.5);
      const w = r0 / (r0 + r1);
      for (let i = 0; i < x.length; i++) {
        const d10 = (x0[i]! - p1![i]!) / r0;
        const d11 = (p1![i]! - p2![i]!) / r1;
        const d1 = d10 + w * (d10 - d11);
        const d2 = (d10 - d11) / (r0 + r1);
        out[i] = c1 * x[i]! - c2 * x0[i]! + c3 * d1 - c4 * d2;
      }
    }
    return out;
  },
});

// UniPC (Zhao et al. 2023, arXiv:2302.04867) as diffusers' UniPCMultistepScheduler runs it with
// solver_order 2, solver_type "bh2", predict_x0, lower_order_final and the corrector after every
// update (disable_corrector []), on the data prediction x0.

/**
 * The per-run state of {@link unipc}: diffusers' `model_outputs`, `timestep_list`, `last_sample`
 * and `this_order`, kept for the steps the run has made.
 */
interface UniPcState {
  readonly ac: Float64Array;
  /** ᾱ the update to the end goes to: 1 (`final_sigmas_type` `zero`) or ᾱ_0 (`sigma_min`). */
  readonly finalAc: number;
  readonly lowerOrderFinal: boolean;
  readonly updates: number;
  /** Updates made so far (diffusers' `step_index`). */
  done: number;
  /** x0 of the latest step and its timestep (`model_outputs[-1]`); null before the first step. */
  m0: Float32Array | null;
  t0: number;
  /** x0 of the step before it (`model_outputs[-2]`). */
  m1: Float32Array | null;
  t1: number;
  /** The sample the latest update started from, corrected (`last_sample`). */
  lastSample: Float32Array | null;
  /** The order of the latest update's predictor (`this_order`): the order of its correction. */
  lastOrder: number;
}

/**
 * UniC, diffusers' `multistep_uni_c_bh_update` (bh2, predict_x0): redo the latest update, from
 * `lastSample` at t0 to the current timestep t, with the x0 the model gave at its result.
 * B(h) = expm1(−h); order 1: ρ = ½; order 2: ρ solves R·ρ = b with R = [[1, 1], [r, 1]], in closed form.
 */
function correct(s: UniPcState, modelT: Float32Array, alphaT: number, sigmaT: number): Float32Array {
  const last = s.lastSample!;
  const m0 = s.m0!;
  const a0 = alphaAt(s.ac, s.t0);
  const sigma0 = Math.sqrt(1 - a0);
  const lambda0 = logSnr(Math.sqrt(a0), sigma0);
  const h = logSnr(alphaT, sigmaT) - lambda0;
  const hh = -h;
  const phi1 = Math.expm1(hh); // h·φ1 = e^(−h) − 1, also B(h) for bh2
  const c1 = sigmaT / sigma0;
  const c2 = alphaT * phi1;
  const out = new Float32Array(last.length);
  if (s.lastOrder === 1) {
    for (let i = 0; i < out.length; i++) {
      const m = m0[i]!;
      out[i] = c1 * last[i]! - c2 * m - c2 * 0.5 * (modelT[i]! - m);
    }
    return out;
  }
  const m1 = s.m1!;
  const a1 = alphaAt(s.ac, s.t1);
  const rk = (logSnr(Math.sqrt(a1), Math.sqrt(1 - a1)) - lambda0) / h;
  // diffusers' b_i = h·φ_{i+1}·i! / B(h): h_phi_k = h_phi_1/hh − 1, then h_phi_k/hh − 1/2
  const k1 = phi1 / hh - 1;
  const b1 = k1 / phi1;
  const b2 = (2 * (k1 / hh - 0.5)) / phi1;
  const rho0 = (b1 - b2) / (1 - rk);
  const rho1 = b1 - rho0;
  for (let i = 0; i < out.length; i++) {
    const m = m0[i]!;
    out[i] = c1 * last[i]! - c2 * m - c2 * ((rho0 * (m1[i]! - m)) / rk + rho1 * (modelT[i]! - m));
  }
  return out;
}

/**
 * UniPC as a {@link SamplerDefinition}: diffusers' `UniPCMultistepScheduler` with
 * `solver_order=2`, `solver_type="bh2"`, `predict_x0=True`, `disable_corrector=[]`.
 *
 * Each step first corrects the previous update (UniC, skipped at the first step), with the x0 the
 * model gave at the previous update's result, then predicts the next sample from the corrected one
 * (UniP, second order once two steps have run; the first step is first order). With
 * `lowerOrderFinal` (default true) the last update is first order whatever the number of steps,
 * as in diffusers (unlike DPM-Solver++'s "fewer than 15" rule); the last update is never
 * corrected (no model output comes after it). The step to σ = 0 (`finalSigmasType` `zero`) is the
 * x0 of the last step, also with `lowerOrderFinal` false, where diffusers' second-order update
 * divides by r = 0 and gives inf / NaN.
 *
 * Like `dpmpp-2m`, the history is that of the calls to `step`: under a `'skip'` plan the
 * evaluated steps (the sub-sequence of timesteps), under `'reuse'` every step, a reused ε giving
 * its x0 at that step's sample; `config.updates` (the plan's length) decides which update is the
 * last. Zero terminal SNR: ᾱ_{T−1} is 2^-24, as in diffusers.
 */
const unipc: SamplerDefinition<UniPcState> = Object.freeze({
  name: 'unipc' as const,
  summary: "UniPC (bh2, order 2, corrector after every update; diffusers' UniPCMultistepScheduler: final_sigmas_type, lower_order_final)",
  stochastic: () => false,
  init: (config: SamplerConfig): UniPcState => ({
    ac: config.alphasCumprod,
    finalAc: config.finalSigmasType === 'sigma_min' ? alphaAt(config.alphasCumprod, 0) : 1,
    lowerOrderFinal: config.lowerOrderFinal ?? true,
    updates: config.updates ?? Number.POSITIVE_INFINITY,
    done: 0,
    m0: null,
    t0: 0,
    m1: null,
    t1: 0,
    lastSample: null,
    lastOrder: 1,
  }),
  alphasCumprod: zeroSnrAlphas,
  step(state: UniPcState, input: SamplerStepInput): Float32Array {
    const a = alphaAt(state.ac, input.timestep);
    const as = Math.sqrt(a);
    const ss = Math.sqrt(1 - a);
    // x0 at the sample the model saw, before the correction (diffusers converts first)
    const x0 = dataPrediction(input.sample, input.eps, input.x0, as, ss);
    const x = state.lastSample !== null ? correct(state, x0, as, ss) : input.sample;
    state.m1 = state.m0;
    state.t1 = state.t0;
    state.m0 = x0;
    state.t0 = input.timestep;
    const k = state.done++;
    // diffusers: min(solver_order, len(timesteps) − step_index) with lower_order_final, then min(·, lower_order_nums + 1)
    const order = Math.max(1, Math.min(state.lowerOrderFinal ? Math.min(2, state.updates - k) : 2, k + 1));
    state.lastSample = x;
    state.lastOrder = order;
    if (input.nextTimestep < 0 && state.finalAc === 1) return x0.slice(); // first order to σ = 0 is x0 itself
    const aNext = alphaAt(state.ac, input.nextTimestep, state.finalAc);
    const at = Math.sqrt(aNext);
    const st = Math.sqrt(1 - aNext);
    const lambdaS = logSnr(as, ss);
    const h = logSnr(at, st) - lambdaS;
    const c1 = st / ss;
    const c2 = at * Math.expm1(-h); // α_t·h·φ1, and α_t·B(h) for bh2
    const out = new Float32Array(x.length);
    if (order === 1) {
      for (let i = 0; i < x.length; i++) out[i] = c1 * x[i]! - c2 * x0[i]!;
      return out;
    }
    // UniP-2: ρ = ½ and D1 = (m1 − m0) / r with r = (λ_{s1} − λ_{s0}) / h
    const m1 = state.m1!;
    const a1 = alphaAt(state.ac, state.t1);
    const rk = (logSnr(Math.sqrt(a1), Math.sqrt(1 - a1)) - lambdaS) / h;
    for (let i = 0; i < x.length; i++) {
      const m = x0[i]!;
      out[i] = c1 * x[i]! - c2 * m - c2 * 0.5 * ((m1[i]! - m) / rk);
    }
    return out;
  },
});

/**
 * The built-in samplers, by name. Each entry is plain data plus a step function; a sampler is
 * picked by name in `generate({ sampler })`.
 *
 * @public
 */
export const SAMPLERS: Readonly<Record<SamplerName, SamplerDefinition<unknown>>> = Object.freeze({
  ddim,
  'dpmpp-2m': dpmpp2m,
  'dpmpp-3m': dpmpp3m,
  unipc,
});

/** The names of the built-in samplers, in the order of {@link SAMPLERS}. @public */
export const SAMPLER_NAMES: readonly SamplerName[] = Object.freeze(['ddim', 'dpmpp-2m', 'dpmpp-3m', 'unipc'] as const);

/**
 * Look a sampler up by name, or check a custom {@link SamplerDefinition} (any object with a name,
 * `stochastic()`, `init()` and `step()`), as `generate({ sampler })` accepts either.
 *
 * @param sampler - A {@link SamplerName} or a definition.
 * @returns Its definition.
 * @throws {@link RuntimeError} `unsupported` naming a bad name and the valid ones; `invalid-option`
 *   for an object that is not a sampler definition.
 * @public
 */
export function getSampler(sampler: string | SamplerDefinition<unknown>): SamplerDefinition<unknown> {
  if (typeof sampler === 'object' && sampler !== null) {
    const d = sampler as Partial<SamplerDefinition<unknown>>;
    const missing = (['stochastic', 'init', 'step'] as const).filter((k) => typeof d[k] !== 'function');
    if (typeof d.name !== 'string' || missing.length > 0) {
      throw new RuntimeError(
        'invalid-option',
        `Invalid sampler ${show(sampler)}: expected a sampler name (${oneOf(SAMPLER_NAMES)}) or a SamplerDefinition with a name, ` +
          `stochastic(), init() and step()${missing.length > 0 ? ` (missing ${missing.join(', ')})` : ''}.`,
      );
    }
    return sampler;
  }
  const s = Object.hasOwn(SAMPLERS, sampler) ? SAMPLERS[sampler as SamplerName] : undefined;
  if (!s)
    throw new RuntimeError(
      'unsupported',
      `Unsupported sampler: ${JSON.stringify(sampler)}. Should be one of: ${oneOf(Object.keys(SAMPLERS))}.`,
    );
  return s;
}

/**
 * Turn a model output into ε (in place into `out`, or a new array) for the given prediction type:
 * `epsilon` as is; `v_prediction`: ε = √ᾱ·v + √(1−ᾱ)·x; `sample`: ε = (x − √ᾱ·x0) / √(1−ᾱ).
 *
 * @param output - The model output.
 * @param sample - x_t.
 * @param alphaCumprod - ᾱ_t.
 * @param prediction - The model's prediction type.
 * @returns ε.
 * @public
 */
export function predictionToEpsilon(
  output: Float32Array,
  sample: Float32Array,
  alphaCumprod: number,
  prediction: PredictionType,
): Float32Array {
  if (prediction === 'epsilon') return output;
  const sa = Math.sqrt(alphaCumprod);
  const s1a = Math.sqrt(1 - alphaCumprod);
  const out = new Float32Array(output.length);
  if (prediction === 'v_prediction') {
    for (let i = 0; i < out.length; i++) out[i] = sa * output[i]! + s1a * sample[i]!;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = (sample[i]! - sa * output[i]!) / s1a;
  }
  return out;
}

/**
 * The predicted clean sample x0 of a model output (diffusers' `pred_original_sample`), in a new
 * array: `sample` as is (a copy); `v_prediction`: x0 = √ᾱ·x − √(1−ᾱ)·v; `epsilon`:
 * x0 = (x − √(1−ᾱ)·ε) / √ᾱ.
 *
 * @param output - The model output.
 * @param sample - x_t.
 * @param alphaCumprod - ᾱ_t.
 * @param prediction - The model's prediction type.
 * @returns x0.
 * @public
 */
export function predictionToX0(output: Float32Array, sample: Float32Array, alphaCumprod: number, prediction: PredictionType): Float32Array {
  if (prediction === 'sample') return output.slice();
  const sa = Math.sqrt(alphaCumprod);
  const s1a = Math.sqrt(1 - alphaCumprod);
  const out = new Float32Array(output.length);
  if (prediction === 'v_prediction') {
    for (let i = 0; i < out.length; i++) out[i] = sa * sample[i]! - s1a * output[i]!;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = (sample[i]! - s1a * output[i]!) / sa;
  }
  return out;
}

/**
 * Classifier-free guidance: ε = ε_u + w·(ε_c − ε_u).
 *
 * @param uncond - ε of the unconditional half of the batch.
 * @param cond - ε of the conditional half, same length.
 * @param scale - Guidance scale w (1 = conditional only).
 * @returns A new array with the guided ε.
 * @public
 */
export function applyGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i]!;
    out[i] = u + scale * (cond[i]! - u);
  }
  return out;
}
