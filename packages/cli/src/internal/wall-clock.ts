/**
 * The measured wall-clock speed-up of a search's best schedule and of its baselines: each timed
 * against the teacher in the same run, on the same seeds and conditioning, alternately, best of a
 * few rounds (the machine's drift and the first run's warm-up cancel out). MACs say what a
 * schedule saves on paper; this is what it saves here. `flexi search` keeps its timings in
 * OUT/wall-clock.json for the report; `flexi eval` times its one schedule the same way (one round).
 */
import { formatSchedule, parseSchedule, type Schedule } from '@flexiffusion/schedule';
import type { SampleConditioning } from './conditions.js';
import type { GeneratorPool, PoolRequest } from './generator-pool.js';

/** The file of a search folder that holds the last measured wall-clock speed-ups. */
export const WALL_CLOCK_FILE = 'wall-clock.json';

/** One timed schedule. */
export interface WallClockRow {
  readonly label: string;
  readonly schedule: string;
  /** Its best time per sample over the rounds (ms). */
  readonly msPerSample: number;
  /** The teacher's best time per sample over the same rounds divided by this row's. */
  readonly wallSpeedup: number;
}

/** What {@link measureWallClock} measured. */
export interface WallClock {
  /** Samples per timed generation (the first seeds of the search). */
  readonly samples: number;
  readonly rounds: number;
  /** The teacher's best time per sample over the rounds (ms). */
  readonly teacherMsPerSample: number;
  readonly rows: readonly WallClockRow[];
}

/** What to time, and how. */
export interface WallClockOptions {
  /** The schedules to time with the pool's sampler (the search's best first, then the baselines). */
  readonly rows: readonly { readonly label: string; readonly schedule: string }[];
  /** The all-full teacher schedule, and its sampler when it is not the pool's. */
  readonly teacher: Schedule;
  readonly teacherSampler?: PoolRequest['sampler'];
  /** The seeds timed (their count is the samples per generation), and their labels or prompts. */
  readonly seeds: readonly number[];
  readonly conditioning?: SampleConditioning | undefined;
  /** Rounds: each times the teacher, then every row once (at least 1). */
  readonly rounds: number;
  readonly signal?: AbortSignal | undefined;
  /** Called after each timed generation with the count done and the total. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** The clock (ms), `performance.now` unless a test passes its own. */
  readonly now?: () => number;
}

/**
 * Time the rows and the teacher: one warm-up generation of the first row, then `rounds` rounds of
 * the teacher followed by every row; each side's best time is kept, and a row's wall-clock
 * speed-up is the teacher's best over its own.
 *
 * @param pool - The command's generator pool (the same sessions the search evaluated with).
 * @param options - What to time: see {@link WallClockOptions}.
 * @returns The teacher's and each row's best time per sample, and each row's speed-up.
 * @throws RangeError when there are no seeds or `rounds` is not a whole number ≥ 1; the pool's errors (an abort among them) as they are.
 */
export async function measureWallClock(pool: Pick<GeneratorPool, 'generate'>, options: WallClockOptions): Promise<WallClock> {
  const { rows, seeds, conditioning, signal, rounds } = options;
  if (seeds.length === 0) throw new RangeError('measureWallClock: no seeds to time');
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`measureWallClock: rounds ${rounds}, expected a whole number ≥ 1`);
  const now = options.now ?? (() => performance.now());
  const schedules = rows.map((r) => parseSchedule(r.schedule));
  const total = (rows.length > 0 ? 1 : 0) + rounds * (rows.length + 1);
  let done = 0;
  const time = async (schedule: Schedule, sampler?: PoolRequest['sampler']) => {
    const t0 = now();
    await pool.generate({ schedule, seeds, conditioning, signal, sampler });
    const ms = now() - t0;
    options.onProgress?.(++done, total);
    return ms;
  };
  if (schedules.length > 0) await time(schedules[0]!); // warm-up
  let teacherBest = Number.POSITIVE_INFINITY;
  const best = rows.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    teacherBest = Math.min(teacherBest, await time(options.teacher, options.teacherSampler));
    for (const [i, s] of schedules.entries()) best[i] = Math.min(best[i]!, await time(s));
  }
  const n = seeds.length;
  return Object.freeze({
    samples: n,
    rounds,
    teacherMsPerSample: teacherBest / n,
    rows: Object.freeze(
      rows.map((row, i) =>
        Object.freeze({
          label: row.label,
          schedule: formatSchedule(schedules[i]!),
          msPerSample: best[i]! / n,
          wallSpeedup: teacherBest / best[i]!,
        }),
      ),
    ),
  });
}

/** The measured row of `schedule` in `wall`, when it was timed. */
export function wallClockOf(wall: WallClock | undefined, schedule: string): WallClockRow | undefined {
  if (!wall) return undefined;
  const key = formatSchedule(parseSchedule(schedule));
  return wall.rows.find((r) => r.schedule === key);
}
