import { RuntimeError, oneOf, show } from './errors.js';

/**
 * Names of the built-in samplers.
 *
 * - `ddim`: diffusers' `DDIMScheduler` (set_alpha_to_one, no clipping, eta configurable).
 * - `dpmpp-2m`: diffusers' `DPMSolverMultistepScheduler` with `algorithm_type="dpmsolver++"`,
 *   `solver_order=2`, midpoint, final step to x0 (`final_sigmas_type="zero"`).
 *
 * @public
 */
export type SamplerName = 'ddim' | 'dpmpp-2m';

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
  /** DPM-Solver++: where the last update goes (default `'zero'`: to x0). */
  readonly finalSigmasType?: FinalSigmasType;
  /**
   * DPM-Solver++: diffusers' `lower_order_final` (default true): when the run has fewer than 15
   * updates, the last is first order. Needs `updates`. (With `finalSigmasType` `'zero'` the last
   * update is first order anyway, as in diffusers; for 2M `lower_order_final` changes nothing else.)
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

function alphaAt(ac: Float64Array, t: number, final = 1): number {
  if (t < 0) return final; // final_alpha_cumprod / final sigma
  const a = ac[t];
  if (a === undefined || !Number.isInteger(t)) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid timestep ${String(t)}: expected an integer in 0..${ac.length - 1} (or -1 for the end).`,
    );
  }
  return a;
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

/** diffusers' DPMSolverMultistepScheduler: "close to 0 without being 0 so first sigma is not inf". */
const ZERO_SNR_ALPHA = 2 ** -24;

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
  alphasCumprod(ac: Float64Array): Float64Array {
    if (ac[ac.length - 1] !== 0) return ac;
    const out = ac.slice();
    out[ac.length - 1] = ZERO_SNR_ALPHA;
    return out;
  },
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

/**
 * The built-in samplers, by name. Each entry is plain data plus a step function; a sampler is
 * picked by name in `generate({ sampler })`.
 *
 * @public
 */
export const SAMPLERS: Readonly<Record<SamplerName, SamplerDefinition<unknown>>> = Object.freeze({
  ddim,
  'dpmpp-2m': dpmpp2m,
});

/** The names of the built-in samplers, in the order of {@link SAMPLERS}. @public */
export const SAMPLER_NAMES: readonly SamplerName[] = Object.freeze(['ddim', 'dpmpp-2m'] as const);

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
