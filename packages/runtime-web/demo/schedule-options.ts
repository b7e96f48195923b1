/**
 * The text-to-image demo's schedule picker, as data: the teacher, uniform DDIM-k and DeepCache-style
 * baselines made with @flexiffusion/schedule's helpers, the searched schedules of
 * docs/benchmarks.json for the model (rows whose `model` is the model's name and whose
 * `searchSeconds` is above 0; the benchmark's own baseline rows are left to the helpers), and the
 * check of a custom schedule typed in the DSL. Pure: unit-tested in Node (test/schedule-options.test.ts).
 */
import { SAMPLER_NAMES, type SamplerName } from '@flexiffusion/runtime';
import { deepCacheSchedule, formatSchedule, fullSchedule, scheduleLength, uniformSchedule, validateSchedule } from '@flexiffusion/schedule';

/** One entry of the picker. */
export interface ScheduleOption {
  readonly id: string;
  readonly label: string;
  /** Canonical notation. */
  readonly schedule: string;
  /** T: the schedule's length. The teacher to compare with is DDIM-T, every step full. */
  readonly steps: number;
  /** The built-in sampler to run the schedule with (`ddim` for the teacher and the baselines). */
  readonly sampler: SamplerName;
  readonly group: 'teacher' | 'baseline' | 'searched';
}

/** The part of a docs/benchmarks.json row the picker reads. */
interface BenchmarkRow {
  readonly model?: unknown;
  readonly method?: unknown;
  readonly schedule?: unknown;
  readonly sampler?: unknown;
  readonly macSpeedup?: unknown;
  readonly wallSpeedup?: unknown;
  readonly fidDegradationPct?: unknown;
  readonly clipChangePct?: unknown;
  readonly searchSeconds?: unknown;
}

/** What the picker offers, and why some benchmark rows were left out. */
export interface ScheduleOptions {
  readonly options: readonly ScheduleOption[];
  /** A sentence about the searched schedules (none for this model yet; rows skipped as invalid or with an unknown sampler). */
  readonly searchedNote: string;
}

/** How the page names each built-in sampler. */
export const SAMPLER_LABELS: Readonly<Record<SamplerName, string>> = Object.freeze({
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM-Solver++ 2M',
  'dpmpp-3m': 'DPM-Solver++ 3M',
  unipc: 'UniPC',
});

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `+1.2`, `−0.4`, `±0.0` (a change that rounds to zero has no sign). */
function signed(v: number, digits: number): string {
  const s = Math.abs(v).toFixed(digits);
  return Number(s) === 0 ? `±${s}` : `${v < 0 ? '−' : '+'}${s}`;
}

/** The measured figures a row has, in words; none invented for a field that is absent. */
function figures(r: BenchmarkRow): string {
  return [
    finite(r.macSpeedup) ? `${r.macSpeedup.toFixed(2)}× fewer MACs` : null,
    finite(r.wallSpeedup) ? `${r.wallSpeedup.toFixed(2)}× wall-clock` : null,
    finite(r.fidDegradationPct) ? `FID ${signed(r.fidDegradationPct, 1)}%` : null,
    finite(r.clipChangePct) ? `CLIP ${signed(r.clipChangePct, 2)}%` : null,
  ]
    .filter((f) => f !== null)
    .map((f) => `, ${f}`)
    .join('');
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
    {
      id: 'teacher',
      label: `Teacher: DDIM-${steps}, every step full`,
      schedule: formatSchedule(fullSchedule(steps)),
      steps,
      sampler: 'ddim',
      group: 'teacher',
    },
  ];
  for (const k of [Math.round(steps / 2), Math.round(steps / 5)]) {
    if (k >= 1 && k < steps && !options.some((o) => o.id === `ddim-${k}`)) {
      options.push({
        id: `ddim-${k}`,
        label: `DDIM-${k}: ${k} evenly spaced full steps of ${steps}`,
        schedule: formatSchedule(uniformSchedule(steps, k)),
        steps,
        sampler: 'ddim',
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
      steps,
      sampler: 'ddim',
      group: 'baseline',
    });
  }
  const rows = (benchmarks as { rows?: unknown } | null)?.rows;
  const ofModel = Array.isArray(rows)
    ? (rows as BenchmarkRow[]).filter((r) => r && r.model === model && typeof r.schedule === 'string')
    : [];
  // searched rows only: the benchmark's baselines (searchSeconds 0) are what the helpers above make
  const mine = ofModel.filter((r) => finite(r.searchSeconds) && r.searchSeconds > 0);
  let invalid = 0;
  const unknownSamplers: string[] = [];
  mine.forEach((r, i) => {
    const sampler = r.sampler === undefined ? 'ddim' : r.sampler;
    if (typeof sampler !== 'string' || !(SAMPLER_NAMES as readonly string[]).includes(sampler)) {
      unknownSamplers.push(JSON.stringify(sampler) ?? String(sampler));
      return;
    }
    const v = validateSchedule(r.schedule, { branches });
    if (!v.ok) {
      invalid++;
      return;
    }
    const name = sampler as SamplerName;
    const len = scheduleLength(v.value);
    options.push({
      id: `searched-${i}`,
      label: `Searched: ${typeof r.method === 'string' ? r.method : `row ${i}`} (${len} steps, ${SAMPLER_LABELS[name]}${figures(r)})`,
      schedule: formatSchedule(v.value),
      steps: len,
      sampler: name,
      group: 'searched',
    });
  });
  const skipped = invalid + unknownSamplers.length;
  const distinct = [...new Set(unknownSamplers)];
  const samplerWhy = `unknown sampler${distinct.length === 1 ? '' : 's'} ${distinct.join(', ')}`;
  const invalidWhy = `invalid for this model's ${branches} branches`;
  const why =
    (invalid && unknownSamplers.length
      ? `${invalid} ${invalidWhy}, ${unknownSamplers.length} with ${samplerWhy}`
      : invalid
        ? invalidWhy
        : samplerWhy) + (unknownSamplers.length ? `; known: ${SAMPLER_NAMES.join(', ')}` : '');
  const searchedNote =
    benchmarks === null
      ? 'docs/benchmarks.json could not be read: no searched schedules to offer.'
      : ofModel.length === 0
        ? `docs/benchmarks.json has no searched schedules for ${model} yet (no row with "model": "${model}").`
        : mine.length === 0
          ? `docs/benchmarks.json has no searched schedules for ${model} yet (its ${ofModel.length} "${model}" row${ofModel.length === 1 ? ' is a baseline' : 's are baselines'}, searchSeconds 0; the baselines here are made by the schedule helpers).`
          : `${mine.length - skipped} searched schedule${mine.length - skipped === 1 ? '' : 's'} from docs/benchmarks.json` +
            (skipped ? ` (${skipped} skipped: ${why})` : '') +
            '.';
  return { options, searchedNote };
}

/** A custom schedule's verdict: the canonical text and its length T, or the first problem with its character offset. */
export type CustomCheck =
  | { readonly ok: true; readonly schedule: string; readonly steps: number }
  | { readonly ok: false; readonly message: string; readonly offset: number | null; readonly code: string };

/**
 * Check a schedule typed in the DSL against the model (parseSchedule's grammar and the branch count).
 *
 * @param text - The text as typed.
 * @param branches - Cache branches of the model.
 */
export function checkCustomSchedule(text: string, branches: number): CustomCheck {
  const v = validateSchedule(text, { branches });
  if (v.ok) return { ok: true, schedule: formatSchedule(v.value), steps: scheduleLength(v.value) };
  const first = v.issues[0]!;
  return { ok: false, message: first.message, offset: first.position?.offset ?? null, code: first.code };
}
