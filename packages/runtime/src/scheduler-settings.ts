// What a model's scheduler block means for a run: the plan's timestep settings and the sampler's
// final ᾱ and DPM-Solver++ settings (here, not in samplers.ts, which manifest/types.ts imports).
import type { PlanOptions } from '@flexiffusion/schedule';
import { RuntimeError } from './errors.js';
import type { SchedulerSpec } from './manifest/types.js';
import { SAMPLERS, type PredictionType, type SamplerDefinition, type SamplerName, type SamplerSettings } from './samplers.js';

/** The built-ins that run on `dpmSolverTimesteps`: diffusers' multistep classes share DPMSolverMultistepScheduler's set_timesteps. */
const MULTISTEP_SAMPLERS: readonly SamplerName[] = ['dpmpp-2m', 'dpmpp-3m', 'unipc'];

/**
 * The {@link SamplerSettings} of a manifest's scheduler block: DDIM's final ᾱ from
 * `setAlphaToOne` (1 when true or absent, else ᾱ_0), DPM-Solver++'s `finalSigmasType` and
 * `lowerOrderFinal`.
 *
 * @param scheduler - The scheduler block.
 * @param alphasCumprod - ᾱ of the model.
 * @param prediction - The UNet's prediction type (default `epsilon`).
 * @returns The settings.
 * @throws {@link RuntimeError} `unsupported` for `rescaleBetasZeroSnr` with an ε-predicting UNet
 *   (ᾱ_{T−1} = 0 leaves x0 undefined at the last training timestep).
 * @public
 */
export function samplerSettings(
  scheduler: Pick<SchedulerSpec, 'setAlphaToOne' | 'finalSigmasType' | 'lowerOrderFinal' | 'rescaleBetasZeroSnr'>,
  alphasCumprod: Float64Array,
  prediction: PredictionType = 'epsilon',
): SamplerSettings {
  if (scheduler.rescaleBetasZeroSnr && prediction === 'epsilon') {
    throw new RuntimeError(
      'unsupported',
      'Unsupported scheduler.rescaleBetasZeroSnr true with unet.prediction "epsilon": zero terminal SNR makes ᾱ = 0 at the last ' +
        'training timestep, where x0 = (x − √(1−ᾱ)·ε)/√ᾱ is undefined. Supported: rescaleBetasZeroSnr false, or unet.prediction ' +
        '"v_prediction" or "sample".',
    );
  }
  return {
    finalAlphaCumprod: scheduler.setAlphaToOne === false ? alphasCumprod[0]! : 1,
    finalSigmasType: scheduler.finalSigmasType ?? 'zero',
    lowerOrderFinal: scheduler.lowerOrderFinal ?? true,
  };
}

/**
 * The timestep settings a plan needs for a model's scheduler block and a sampler: spacing and
 * offset, and for the built-in multistep samplers (`dpmpp-2m`, `dpmpp-3m`, `unipc`) with
 * `dpmSolverTimesteps: "dpm-solver"` the DPM-Solver grid, which diffusers'
 * `DPMSolverMultistepScheduler` and `UniPCMultistepScheduler` both use (every other sampler,
 * custom ones included, runs on DDIM's timesteps).
 *
 * @param scheduler - The scheduler block.
 * @param sampler - The sampler's name or definition (default `ddim`).
 * @returns Options for `planSchedule`.
 * @public
 */
export function planSettings(
  scheduler: Pick<SchedulerSpec, 'timestepSpacing' | 'stepsOffset' | 'dpmSolverTimesteps'>,
  sampler: string | SamplerDefinition<unknown> = 'ddim',
): Required<Pick<PlanOptions, 'timestepSpacing' | 'stepsOffset' | 'grid'>> {
  const dpm = MULTISTEP_SAMPLERS.some((name) => sampler === name || sampler === SAMPLERS[name]);
  return {
    timestepSpacing: scheduler.timestepSpacing ?? 'leading',
    stepsOffset: scheduler.stepsOffset ?? 0,
    grid: dpm ? (scheduler.dpmSolverTimesteps ?? 'ddim') : 'ddim',
  };
}
