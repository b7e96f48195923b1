/**
 * `flexi search --cost latency`: a cost profile from step latencies measured on this machine, so
 * that `--speedup` is the whole pipeline's wall-clock speed-up instead of a MAC ratio.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CostProfile, parseSchedule, validateCostProfile } from '@flexiffusion/schedule';
import { CliError } from './args.js';
import { type SampleConditioning, sliceConditioning } from './conditions.js';
import { readJson, writeJson } from './files.js';
import type { GeneratorPool } from './generator-pool.js';

/** The valid `--cost` values. */
export const COST_NAMES = Object.freeze(['macs', 'latency'] as const);

/** What `--cost` takes. */
export type CostName = (typeof COST_NAMES)[number];

/** A measured profile as OUT/cost-profile.json holds it: the cost profile in full steps, and how it was measured. */
export interface LatencyProfile extends CostProfile {
  /** 1: every cost is in full steps. */
  readonly fullMacs: 1;
  /** Each branch's partial step over a full step, in (0, 1]. */
  readonly partialMacs: readonly number[];
  /** The time per sample outside the steps (text encoder, VAE decoder, setup), in full steps. */
  readonly fixedMacs: number;
  /** One full step, ms per sample. */
  readonly fullMs: number;
  /** T of the timed schedules. */
  readonly steps: number;
  /** Samples per timed generation (one network batch). */
  readonly samples: number;
  /** Timed generations per schedule; the fastest counts. */
  readonly rounds: number;
  /** ISO time of the measurement. */
  readonly measured: string;
}

/** File name of the measured profile in a search folder. */
export const COST_PROFILE_FILE = 'cost-profile.json';

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Time T-step schedules and derive each step kind's cost: a full step is (t(F×T) − t(F N×(T−1))) / (T − 1);
 * a partial step on branch b is (t(F Pb×(T−1)) − t(F N×(T−1))) / (T − 1) over a full step, clamped into
 * (0, 1]; the fixed part is t(F N×(T−1)) less one full step. Each time is the fastest of `rounds` runs of one
 * network batch, after one warm-up run.
 *
 * @throws {@link CliError} `latency-unmeasurable` when full steps do not take measurably longer than null ones.
 */
export async function measureLatencyProfile(
  pool: GeneratorPool,
  o: {
    readonly seeds: readonly number[];
    readonly conditioning: SampleConditioning;
    readonly branches: number;
    readonly steps?: number;
    readonly rounds?: number;
    readonly signal?: AbortSignal | undefined;
    readonly onProgress?: ((done: number, total: number) => void) | undefined;
  },
): Promise<LatencyProfile> {
  const T = o.steps ?? 10;
  const rounds = o.rounds ?? 3;
  const seeds = o.seeds;
  const conditioning = sliceConditioning(o.conditioning, 0, seeds.length);
  const rest = T - 1;
  const texts = [
    `F${' N'.repeat(rest)}`,
    `F${' F'.repeat(rest)}`,
    ...Array.from({ length: o.branches }, (_, b) => `F${` P${b}`.repeat(rest)}`),
  ];
  const total = texts.length * rounds + 1;
  let done = 0;
  const run = async (text: string): Promise<number> => {
    const t0 = performance.now();
    await pool.generate({ schedule: parseSchedule(text), seeds, conditioning, signal: o.signal });
    o.onProgress?.(++done, total);
    return (performance.now() - t0) / seeds.length;
  };
  await run(texts[1]!); // warm-up: session creation and first-run allocations
  const times = [];
  for (const text of texts) {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) best = Math.min(best, await run(text));
    times.push(best);
  }
  const [base, all, ...partials] = times as [number, number, ...number[]];
  const full = (all - base) / rest;
  if (!(full > 0)) {
    throw new CliError(
      'latency-unmeasurable',
      `flexi search: --cost latency: ${T}-step schedules of full steps (${all.toFixed(2)} ms/sample) were not slower than ` +
        `one full step and nulls (${base.toFixed(2)} ms/sample), so no step latency can be derived. Use --cost macs.`,
      { exitCode: 1 },
    );
  }
  return Object.freeze({
    fullMacs: 1 as const,
    partialMacs: Object.freeze(partials.map((p) => Math.min(1, Math.max(0.01, round2((p - base) / rest / full))))),
    fixedMacs: Math.max(0, round2((base - full) / full)),
    fullMs: Math.round(full * 1000) / 1000,
    steps: T,
    samples: seeds.length,
    rounds,
    measured: new Date().toISOString(),
  });
}

/**
 * The search's cost profile for `--cost latency`: the one in `out` (a resumed search keeps its
 * constraint), else a new measurement, which {@link saveLatencyProfile} writes once the folder exists.
 *
 * @throws {@link CliError} `bad-resume` when the folder has trials but no profile (they were judged
 *   under one that is lost), or its profile is invalid.
 */
export async function searchLatencyProfile(
  out: string,
  hasTrials: () => boolean,
  measure: () => Promise<LatencyProfile>,
): Promise<{ profile: LatencyProfile; measured: boolean }> {
  const file = join(out, COST_PROFILE_FILE);
  if (existsSync(file)) {
    const profile = await readJson<LatencyProfile>(file);
    try {
      validateCostProfile(profile);
    } catch (e) {
      throw new CliError('bad-resume', `flexi search: ${file} is not a valid cost profile: ${(e as Error).message}`, { cause: e });
    }
    return { profile, measured: false };
  }
  if (hasTrials()) {
    throw new CliError(
      'bad-resume',
      `flexi search: this --cost latency search has trials but no ${COST_PROFILE_FILE} in ${out}: its speed-ups were measured ` +
        'under a profile that is gone. Restore the file, or start a new search with another --out.',
    );
  }
  return { profile: await measure(), measured: true };
}

/** Write a measured profile into the search folder (atomically). */
export async function saveLatencyProfile(out: string, profile: LatencyProfile): Promise<void> {
  await writeJson(join(out, COST_PROFILE_FILE), profile);
}

/** One line describing a profile, for the console and the report. */
export function describeLatencyProfile(p: LatencyProfile): string {
  return (
    `measured latency (${p.fullMs.toFixed(2)} ms/sample a full step; partial ${p.partialMacs.join(' / ')} of a full step; ` +
    `${p.fixedMacs} full steps outside the steps; ${p.steps}-step schedules, ${p.samples} samples, best of ${p.rounds}, ${p.measured.slice(0, 16)})`
  );
}
