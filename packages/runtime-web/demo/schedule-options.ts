/**
 * The text-to-image demo's schedule picker, as data: the teacher, uniform DDIM-k and DeepCache-style
 * baselines made with @flexiffusion/schedule's helpers, the searched schedules of
 * docs/benchmarks.json for the model (rows whose `model` is the model's name), and the check of a
 * custom schedule typed in the DSL. Pure: unit-tested in Node (test/schedule-options.test.ts).
 */
import { deepCacheSchedule, formatSchedule, fullSchedule, scheduleLength, uniformSchedule, validateSchedule } from '@flexiffusion/schedule';

/** One entry of the picker. */
export interface ScheduleOption {
  readonly id: string;
  readonly label: string;
  /** Canonical notation. */
  readonly schedule: string;
  readonly group: 'teacher' | 'baseline' | 'searched';
}

/** The part of a docs/benchmarks.json row the picker reads. */
interface BenchmarkRow {
  readonly model?: unknown;
  readonly method?: unknown;
  readonly schedule?: unknown;
  readonly macSpeedup?: unknown;
  readonly fidDegradationPct?: unknown;
}

/** What the picker offers, and why some benchmark rows were left out. */
export interface ScheduleOptions {
  readonly options: readonly ScheduleOption[];
  /** A sentence about the searched schedules (none for this model yet; rows skipped as invalid). */
  readonly searchedNote: string;
}

/**
 * The picker's entries for a model with `branches` cache branches and a `steps`-step teacher.
 *
 * @param model - The model's name (`fashion-sd`), matched against the rows' `model` field.
 * @param steps - T of the teacher (all full) and of the baselines.
 * @param branches - Cache branches of the model.
 * @param benchmarks - docs/benchmarks.json, parsed, or `null` when it could not be read.
 */
export function scheduleOptions(model: string, steps: number, branches: number, benchmarks: unknown): ScheduleOptions {
  const options: ScheduleOption[] = [
    { id: 'teacher', label: `Teacher: DDIM-${steps}, every step full`, schedule: formatSchedule(fullSchedule(steps)), group: 'teacher' },
  ];
  for (const k of [Math.round(steps / 2), Math.round(steps / 5)]) {
    if (k >= 1 && k < steps && !options.some((o) => o.id === `ddim-${k}`)) {
      options.push({
        id: `ddim-${k}`,
        label: `DDIM-${k}: ${k} evenly spaced full steps of ${steps}`,
        schedule: formatSchedule(uniformSchedule(steps, k)),
        group: 'baseline',
      });
    }
  }
  for (const [interval, branch] of [
    [3, 0],
    [5, 0],
    [3, branches - 1],
  ] as const) {
    const id = `deepcache-${interval}-${branch}`;
    if (branch < 0 || interval >= steps || options.some((o) => o.id === id)) continue;
    options.push({
      id,
      label: `DeepCache: a full step every ${interval}, partial steps on branch ${branch} between`,
      schedule: formatSchedule(deepCacheSchedule(steps, interval, branch)),
      group: 'baseline',
    });
  }
  const rows = (benchmarks as { rows?: unknown } | null)?.rows;
  const mine = Array.isArray(rows) ? (rows as BenchmarkRow[]).filter((r) => r && r.model === model && typeof r.schedule === 'string') : [];
  let skipped = 0;
  mine.forEach((r, i) => {
    const v = validateSchedule(r.schedule, { branches });
    if (!v.ok) {
      skipped++;
      return;
    }
    const speed = typeof r.macSpeedup === 'number' ? `, ${r.macSpeedup.toFixed(2)}× fewer MACs` : '';
    const fid = typeof r.fidDegradationPct === 'number' ? `, FID +${r.fidDegradationPct.toFixed(1)}%` : '';
    const len = scheduleLength(v.value);
    options.push({
      id: `searched-${i}`,
      label: `Searched: ${typeof r.method === 'string' ? r.method : `row ${i}`} (${len} steps${speed}${fid})`,
      schedule: formatSchedule(v.value),
      group: 'searched',
    });
  });
  const searchedNote =
    benchmarks === null
      ? 'docs/benchmarks.json could not be read: no searched schedules to offer.'
      : mine.length === 0
        ? `docs/benchmarks.json has no searched schedules for ${model} yet (no row with "model": "${model}").`
        : `${mine.length - skipped} searched schedule${mine.length - skipped === 1 ? '' : 's'} from docs/benchmarks.json` +
          (skipped ? ` (${skipped} skipped: invalid for this model's ${branches} branches)` : '') +
          '.';
  return { options, searchedNote };
}

/** A custom schedule's verdict: the canonical text, or the first problem with its character offset. */
export type CustomCheck =
  | { readonly ok: true; readonly schedule: string }
  | { readonly ok: false; readonly message: string; readonly offset: number | null; readonly code: string };

/**
 * Check a schedule typed in the DSL against the model (parseSchedule's grammar and the branch count).
 *
 * @param text - The text as typed.
 * @param branches - Cache branches of the model.
 */
export function checkCustomSchedule(text: string, branches: number): CustomCheck {
  const v = validateSchedule(text, { branches });
  if (v.ok) return { ok: true, schedule: formatSchedule(v.value) };
  const first = v.issues[0]!;
  return { ok: false, message: first.message, offset: first.position?.offset ?? null, code: first.code };
}
