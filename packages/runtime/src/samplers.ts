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
 * Settings of a sampler run.
 *
 * @public
 */
export interface SamplerConfig {
  /** ᾱ_t of the model, t = 0..trainTimesteps−1 ({@link alphasCumprod}). */
  readonly alphasCumprod: Float64Array;
  /** DDIM's eta: 0 = deterministic DDIM (default), 1 = DDPM-like. Ignored by other samplers. */
  readonly eta?: number;
}

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
}

interface DdimState {
  readonly ac: Float64Array;
  readonly eta: number;
}

interface DpmState {
  readonly ac: Float64Array;
  prevX0: Float32Array | null;
  prevLambda: number;
}

function alphaAt(ac: Float64Array, t: number): number {
  if (t < 0) return 1; // set_alpha_to_one / final sigma 0
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
  summary: "DDIM (diffusers' DDIMScheduler: set_alpha_to_one, no clipping, eta configurable)",
  stochastic: (config: SamplerConfig) => (config.eta ?? 0) > 0,
  init: (config: SamplerConfig): DdimState => ({ ac: config.alphasCumprod, eta: config.eta ?? 0 }),
  step(state: DdimState, input: SamplerStepInput): Float32Array {
    const { sample: x, eps, noise } = input;
    const at = alphaAt(state.ac, input.timestep);
    const ap = alphaAt(state.ac, input.nextTimestep);
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
      const x0 = (x[i]! - s1a * e) / sa;
      let v = sap * x0 + dirCoef * e;
      if (std > 0) v += std * noise![i]!;
      out[i] = v;
    }
    return out;
  },
});

const dpmpp2m: SamplerDefinition<DpmState> = Object.freeze({
  name: 'dpmpp-2m' as const,
  summary: "DPM-Solver++ (2M, midpoint; diffusers' DPMSolverMultistepScheduler, final step to x0)",
  stochastic: () => false,
  init: (config: SamplerConfig): DpmState => ({ ac: config.alphasCumprod, prevX0: null, prevLambda: 0 }),
  step(state: DpmState, input: SamplerStepInput): Float32Array {
    const { sample: x, eps } = input;
    const as = Math.sqrt(alphaAt(state.ac, input.timestep));
    const ss = Math.sqrt(1 - alphaAt(state.ac, input.timestep));
    const lambdaS = Math.log(as) - Math.log(ss);
    const x0 = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) x0[i] = (x[i]! - ss * eps[i]!) / as;
    const prev = state.prevX0;
    const prevLambda = state.prevLambda;
    state.prevX0 = x0;
    state.prevLambda = lambdaS;
    if (input.nextTimestep < 0) return x0.slice(); // first-order step to sigma = 0 is x0 itself
    const at = Math.sqrt(alphaAt(state.ac, input.nextTimestep));
    const st = Math.sqrt(1 - alphaAt(state.ac, input.nextTimestep));
    const h = Math.log(at) - Math.log(st) - lambdaS;
    const c1 = st / ss;
    const c2 = at * (Math.exp(-h) - 1);
    const out = new Float32Array(x.length);
    if (prev === null) {
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
