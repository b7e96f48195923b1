import { RuntimeError, oneOf } from './errors.js';

/**
 * How the training betas were spaced (diffusers' `beta_schedule`).
 *
 * - `linear`: β evenly spaced from `betaStart` to `betaEnd` (DDPM).
 * - `scaled_linear`: √β evenly spaced, squared (Stable Diffusion, LDM).
 * - `squaredcos_cap_v2`: the cosine schedule of improved DDPM, β capped at 0.999.
 *
 * @public
 */
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/** The valid {@link BetaSchedule} values. @public */
export const BETA_SCHEDULES: readonly BetaSchedule[] = Object.freeze(['linear', 'scaled_linear', 'squaredcos_cap_v2']);

/**
 * The training noise schedule of a model (the `scheduler` block of the manifest).
 *
 * @public
 */
export interface NoiseScheduleConfig {
  /** Number of training timesteps (diffusers' `num_train_timesteps`), e.g. 1000. */
  readonly trainTimesteps: number;
  /** Beta spacing. */
  readonly betaSchedule: BetaSchedule;
  /** First beta (ignored by `squaredcos_cap_v2`). */
  readonly betaStart: number;
  /** Last beta (ignored by `squaredcos_cap_v2`). */
  readonly betaEnd: number;
  /** β_t given directly (diffusers' `trained_betas`): replaces the three fields above. */
  readonly trainedBetas?: readonly number[];
  /** Rescale the betas to zero terminal SNR (diffusers' `rescale_betas_zero_snr`, default false). */
  readonly rescaleBetasZeroSnr?: boolean;
}

/**
 * ᾱ_t = ∏_{s ≤ t} (1 − β_s) for t = 0..trainTimesteps−1, as diffusers computes it (in float64
 * here; diffusers uses float32, a relative difference below 1e-6). `trainedBetas` replace the
 * schedule; `rescaleBetasZeroSnr` applies diffusers' `rescale_zero_terminal_snr` to the betas
 * (Lin et al. 2023, Algorithm 1): √ᾱ is shifted and scaled so that √ᾱ_0 is kept and ᾱ_{T−1} = 0.
 *
 * @param config - The training noise schedule.
 * @returns A frozen-length Float64Array of `trainTimesteps` values, decreasing from ≈1.
 * @throws {@link RuntimeError} `invalid-option` for a bad config, `unsupported` for an unknown schedule.
 * @example
 * ```ts
 * const ac = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 1e-4, betaEnd: 0.02 });
 * ac[0]; // 0.9999
 * ```
 * @public
 */
export function alphasCumprod(config: NoiseScheduleConfig): Float64Array {
  const n = config.trainTimesteps;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RuntimeError('invalid-option', `Invalid trainTimesteps ${String(n)}: expected a positive integer (e.g. 1000).`);
  }
  let betas = config.trainedBetas ? trainedBetas(config.trainedBetas, n) : scheduleBetas(config, n);
  if (config.rescaleBetasZeroSnr) {
    if (n < 2) throw new RuntimeError('invalid-option', 'rescaleBetasZeroSnr needs trainTimesteps >= 2.');
    betas = rescaleZeroTerminalSnr(betas);
  }
  return cumprod(betas);
}

function cumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i]!;
    out[i] = p;
  }
  return out;
}

function trainedBetas(b: readonly number[], n: number): Float64Array {
  if (b.length !== n || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid trainedBetas: expected ${n} (trainTimesteps) numbers in [0, 1), got ${b.length} values.`,
    );
  }
  return Float64Array.from(b);
}

function scheduleBetas(config: NoiseScheduleConfig, n: number): Float64Array {
  const betas = new Float64Array(n);
  const { betaStart: s, betaEnd: e } = config;
  if (config.betaSchedule === 'linear' || config.betaSchedule === 'scaled_linear') {
    if (!(s > 0 && e > 0 && s < 1 && e < 1)) {
      throw new RuntimeError('invalid-option', `Invalid betas ${String(s)}..${String(e)}: expected numbers in (0, 1).`);
    }
  }
  switch (config.betaSchedule) {
    case 'linear':
      for (let i = 0; i < n; i++) betas[i] = n === 1 ? s : s + ((e - s) * i) / (n - 1);
      break;
    case 'scaled_linear': {
      const a = Math.sqrt(s);
      const b = Math.sqrt(e);
      for (let i = 0; i < n; i++) {
        const r = n === 1 ? a : a + ((b - a) * i) / (n - 1);
        betas[i] = r * r;
      }
      break;
    }
    case 'squaredcos_cap_v2': {
      const bar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      for (let i = 0; i < n; i++) betas[i] = Math.min(1 - bar((i + 1) / n) / bar(i / n), 0.999);
      break;
    }
    default:
      throw new RuntimeError(
        'unsupported',
        `Unsupported betaSchedule ${JSON.stringify((config as { betaSchedule: unknown }).betaSchedule)}. Should be one of: ${oneOf(BETA_SCHEDULES)}.`,
      );
  }
  return betas;
}

/** diffusers' `rescale_zero_terminal_snr`, step for step (float64). */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const root = cumprod(betas).map(Math.sqrt);
  const first = root[0]!;
  const last = root[n - 1]!;
  const scale = first / (first - last);
  const bar = root.map((r) => ((r - last) * scale) ** 2);
  const out = new Float64Array(n);
  out[0] = 1 - bar[0]!;
  for (let i = 1; i < n; i++) out[i] = 1 - bar[i]! / bar[i - 1]!;
  return out;
}
