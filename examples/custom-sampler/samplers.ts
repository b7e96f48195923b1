import type { SamplerConfig, SamplerDefinition, SamplerStepInput } from '@flexiffusion/runtime';

/**
 * ᾱ at a timestep; the end of sampling (−1) is the run's final ᾱ, as the built-in samplers take it:
 * `config.finalAlphaCumprod`, 1 unless the model's scheduler says `setAlphaToOne: false` (SD-1.x: ᾱ_0).
 */
function alphaAt(alphasCumprod: Float64Array, t: number, final: number): number {
  if (t < 0) return final;
  const a = alphasCumprod[t];
  if (a === undefined || !Number.isInteger(t)) throw new RangeError(`timestep ${t} is not an integer in 0..${alphasCumprod.length - 1}`);
  return a;
}

/**
 * A deterministic Euler sampler on ε: Euler steps of the probability-flow ODE dx̃/dσ = ε in the
 * variables x̃ = x / √ᾱ and σ = √((1 − ᾱ) / ᾱ). Written from scratch; its only state is ᾱ (and the final ᾱ).
 *
 * The Euler step x̃' = x̃ + (σ' − σ)·ε is DDIM with eta = 0 rewritten, so it matches the built-in
 * `ddim` up to float rounding: a sampler you can check.
 */
export const eulerSampler: SamplerDefinition<{ readonly alphasCumprod: Float64Array; readonly final: number }> = {
  name: 'euler',
  summary: 'Euler steps of the probability-flow ODE in σ = √((1 − ᾱ) / ᾱ), on ε (deterministic)',
  stochastic: () => false, // never asks for fresh noise, so no seeds are needed beyond x_T
  init: (config: SamplerConfig) => ({ alphasCumprod: config.alphasCumprod, final: config.finalAlphaCumprod ?? 1 }),
  step(state, { sample, eps, timestep, nextTimestep }: SamplerStepInput): Float32Array {
    const a = alphaAt(state.alphasCumprod, timestep, state.final);
    const aNext = alphaAt(state.alphasCumprod, nextTimestep, state.final);
    const sigma = Math.sqrt((1 - a) / a);
    const sigmaNext = Math.sqrt((1 - aNext) / aNext); // 0 at an end of ᾱ = 1: x' is the predicted x_0
    const scale = Math.sqrt(a);
    const scaleNext = Math.sqrt(aNext);
    const out = new Float32Array(sample.length); // a new array: `sample` and `eps` are read-only
    for (let i = 0; i < sample.length; i++) {
      out[i] = scaleNext * (sample[i]! / scale + (sigmaNext - sigma) * eps[i]!);
    }
    return out;
  },
};

/**
 * DDIM with a tweak: the predicted x_0 is clipped to [−range, range] before the update, as
 * diffusers' `DDIMScheduler(clip_sample=True, clip_sample_range=range)` does with eta = 0 (the
 * built-in `ddim` never clips). With an infinite range it is the built-in `ddim`, bit for bit.
 *
 * @param range - The clipping range (diffusers' default 1).
 * @returns The sampler.
 */
export function clippedDdim(range = 1): SamplerDefinition<SamplerConfig> {
  return {
    name: `ddim-clip-${range}`,
    summary: `DDIM (eta 0) with the predicted x0 clipped to [-${range}, ${range}]`,
    stochastic: () => false,
    init: (config) => config,
    step(config, { sample, eps, timestep, nextTimestep }) {
      const at = alphaAt(config.alphasCumprod, timestep, 1);
      const ap = alphaAt(config.alphasCumprod, nextTimestep, config.finalAlphaCumprod ?? 1);
      const sa = Math.sqrt(at);
      const s1a = Math.sqrt(1 - at);
      const sap = Math.sqrt(ap);
      const dirCoef = Math.sqrt(Math.max(1 - ap, 0));
      const out = new Float32Array(sample.length);
      for (let i = 0; i < sample.length; i++) {
        const e = eps[i]!;
        const x0 = Math.min(range, Math.max(-range, (sample[i]! - s1a * e) / sa));
        out[i] = sap * x0 + dirCoef * e;
      }
      return out;
    },
  };
}
