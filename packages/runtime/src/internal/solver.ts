// Arithmetic the built-in samplers share: ᾱ at a timestep (or the end), the zero-SNR stand-in of
// diffusers' multistep schedulers, λ = log(α/σ) and the data prediction x0.
import { RuntimeError } from '../errors.js';

/**
 * ᾱ at timestep `t`, or `final` at the end of sampling (`t` −1: the final ᾱ / final σ).
 *
 * @param ac - ᾱ_t, t = 0..trainTimesteps−1.
 * @param t - An integer timestep, or a negative one for the end.
 * @param final - ᾱ at the end (default 1: σ = 0).
 * @returns ᾱ_t.
 * @throws {@link RuntimeError} `invalid-option` for a timestep that is not an integer in range.
 */
export function alphaAt(ac: Float64Array, t: number, final = 1): number {
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

/** diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler: "close to 0 without being 0 so first sigma is not inf". */
export const ZERO_SNR_ALPHA = 2 ** -24;

/**
 * The ᾱ diffusers' multistep schedulers work with: the model's, with 2^-24 in place of a zero
 * terminal ᾱ (zero terminal SNR); the same array when the last ᾱ is not 0.
 *
 * @param ac - ᾱ of the model.
 * @returns `ac` itself, or a copy with the last value 2^-24.
 */
export function zeroSnrAlphas(ac: Float64Array): Float64Array {
  if (ac[ac.length - 1] !== 0) return ac;
  const out = ac.slice();
  out[ac.length - 1] = ZERO_SNR_ALPHA;
  return out;
}

/**
 * λ = log α − log σ, the half log-SNR the DPM-Solver and UniPC updates step in (as diffusers
 * writes it: +∞ at σ = 0).
 *
 * @param alpha - α = √ᾱ.
 * @param sigma - σ = √(1−ᾱ).
 * @returns λ.
 */
export function logSnr(alpha: number, sigma: number): number {
  return Math.log(alpha) - Math.log(sigma);
}

/**
 * The data prediction x0 of a step (diffusers' `convert_model_output` with `dpmsolver++` /
 * `predict_x0`): the given x0 as is (v- and x0-predicting models), else (x − σ·ε) / α.
 *
 * @param x - x_t.
 * @param eps - ε at (x_t, t).
 * @param given - The model's own x0, if it has one.
 * @param alpha - α_t = √ᾱ_t.
 * @param sigma - σ_t = √(1−ᾱ_t).
 * @returns x0, a new array.
 */
export function dataPrediction(
  x: Float32Array,
  eps: Float32Array,
  given: Float32Array | undefined,
  alpha: number,
  sigma: number,
): Float32Array {
  if (given) return given.slice();
  const x0 = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) x0[i] = (x[i]! - sigma * eps[i]!) / alpha;
  return x0;
}
