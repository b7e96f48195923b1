/**
 * What `flexi search` writes after the search: the baselines (nearest DDIM-k, GITS-k at the same k
 * and DeepCache, judged the same way), best.json, pareto.json and baselines.json.
 */
import { join } from 'node:path';
import { FileTrialStore } from '@flexiffusion/runtime-node';
import {
  formatSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  scheduleSteps,
  type CostProfile,
  type Evaluator,
  type SearchResult,
  type Trial,
} from '@flexiffusion/schedule';
import { baselineGrid, gitsSchedule, listSearcher, listSpace } from '@flexiffusion/search-grid';
import { writeJson } from './files.js';
import { recordGitsCosts, type GitsTeacher } from './gits.js';
import { createProgressBar } from './progress.js';
import type { BaselineResult, SearchSettings } from './search-folder.js';

/** How baselines name the sampler of their uniform steps. */
const SAMPLER_LABELS: Readonly<Record<string, string>> = {
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM-Solver++',
  'dpmpp-3m': 'DPM-Solver++3M',
  unipc: 'UniPC',
};

/** Which baselines a search evaluates for its report. */
export type BaselineSet = 'near' | 'all' | 'none';

/** The valid `--baselines` values. */
export const BASELINE_SETS: readonly BaselineSet[] = ['near', 'all', 'none'];

/** What {@link evaluateBaselines} evaluates, and with what. */
export interface BaselineOptions {
  readonly settings: SearchSettings;
  readonly branches: number;
  /** The search's cost profile (the model's MACs, or a measured latency profile). */
  readonly costProfile: CostProfile;
  /** The search's own evaluator. */
  readonly evaluator: Evaluator;
  /** The search folder: the trial stores are OUT/baselines and OUT/baselines/gits. */
  readonly out: string;
  readonly which: BaselineSet;
  readonly signal: AbortSignal;
  /** The teacher trajectory of the GITS-k rows; without it (or when it cannot be recorded) they are left out. */
  readonly gits?: GitsTeacher | undefined;
}

/** A baseline row's name: `GITS-12`, or `GITS-12 + DPM-Solver++` when the search's sampler is not DDIM. */
export function gitsLabel(k: number, sampler: string): string {
  return sampler === 'ddim' ? `GITS-${k}` : `GITS-${k} + ${SAMPLER_LABELS[sampler] ?? sampler}`;
}

const fullSteps = (schedule: string): number => scheduleSteps(parseSchedule(schedule)).filter((s) => s.kind === 'full').length;

/**
 * Evaluate the baselines with the search's evaluator, resumable: the uniform DDIM-k (named after
 * the search's sampler) and DeepCache rows in their trial store OUT/baselines; then the GITS-k rows
 * (GITS-style timesteps, run with the search's sampler) for the same k as the uniform rows, so each
 * has the cost of its uniform peer, in their own store OUT/baselines/gits. They have their own
 * store because their schedules come from a measurement: folders written before GITS rows existed
 * keep resuming their OUT/baselines, and a resumed search reads the GITS schedules back from
 * OUT/baselines/gits instead of recording the teacher's trajectory again (which could also differ
 * in the last bits on another device). `which`: `near` = the DDIM-k and the DeepCache nearest to
 * the target speed-up and GITS at that k; `all` = baselineGrid's rows and GITS for each DDIM k.
 * When the trajectory cannot be recorded (a model whose ᾱ is zero somewhere) the GITS rows are
 * skipped with a one-line note on stderr; an abort is thrown as it is.
 */
export async function evaluateBaselines(options: BaselineOptions): Promise<BaselineResult[]> {
  const { settings, branches, costProfile, out, which } = options;
  if (which === 'none') return [];
  let grid = baselineGrid(settings.teacherSteps, { branches }).map((b) => ({
    ...b,
    speedup: scheduleCost(b.schedule, costProfile).speedup,
  }));
  if (which === 'near') {
    const pick = (family: string) =>
      grid
        .filter((b) => b.family === family)
        .sort((a, b) => Math.abs(Math.log(a.speedup / settings.speedup)) - Math.abs(Math.log(b.speedup / settings.speedup)))[0];
    grid = [pick('ddim'), pick('deepcache')].filter((b): b is (typeof grid)[number] => b !== undefined);
  }
  if (grid.length === 0) return [];
  const byKey = await evaluateList(options, {
    schedules: grid.map((b) => formatSchedule(b.schedule)),
    store: new FileTrialStore(join(out, 'baselines')),
    name: 'baselines',
    label: 'baselines',
    meta: { settings },
  });
  const results: BaselineResult[] = [];
  for (const b of grid) {
    const t = byKey.get(formatSchedule(b.schedule));
    // DDIM-k means k uniform steps: named after the sampler that runs them (DPM-Solver++-12, UniPC-12)
    if (t) push(results, b.family === 'ddim' ? b.label.replace(/^DDIM/, SAMPLER_LABELS[settings.sampler] ?? settings.sampler) : b.label, t);
  }
  const ks = grid.filter((b) => b.family === 'ddim').map((b) => b.params.k!);
  if (options.gits && ks.length > 0) results.push(...(await evaluateGits(options, options.gits, ks)));
  return results;
}

/**
 * Evaluate a fixed list of schedules with the search's evaluator, resumable in `store` (listed in
 * its header, so a resumed run replays them), with a progress bar; the trials by schedule text.
 */
async function evaluateList(
  options: BaselineOptions,
  list: { schedules: readonly string[]; store: FileTrialStore; name: string; label: string; meta: Record<string, unknown> },
): Promise<Map<string, Trial>> {
  const { branches, costProfile, evaluator, signal } = options;
  const { schedules } = list;
  const bar = createProgressBar({ label: list.label, total: schedules.length });
  const r = await runSearch({
    space: listSpace(schedules, { branches }),
    searcher: listSearcher(schedules, { name: list.name }),
    evaluator,
    costProfile,
    trials: schedules.length,
    batchSize: schedules.length,
    store: list.store,
    meta: list.meta,
    signal,
    onProgress: (p) => bar.update(p.evaluated),
  });
  bar.done();
  return new Map(r.trials.map((t) => [t.schedule, t] as const));
}

function push(results: BaselineResult[], label: string, t: Trial): void {
  if (t.state !== 'complete') return;
  const rfid = t.metrics?.['rfid'];
  results.push({
    label,
    schedule: t.schedule,
    speedup: t.cost.speedup,
    objective: t.objective!,
    ...(rfid !== undefined ? { rfid } : {}),
    metrics: t.metrics ?? {},
  });
}

/** The GITS-k rows, one per k, in OUT/baselines/gits (see {@link evaluateBaselines}). */
async function evaluateGits(options: BaselineOptions, gits: GitsTeacher, ks: readonly number[]): Promise<BaselineResult[]> {
  const { settings, out, signal } = options;
  const store = new FileTrialStore(join(out, 'baselines', 'gits'));
  // an earlier run's schedules, when it listed the same k (its header holds them; a damaged store fails in runSearch)
  const stored = (await store.load().catch(() => null))?.header.space as { members?: unknown } | undefined;
  const members = stored?.members;
  let schedules: string[];
  if (Array.isArray(members) && members.length === ks.length && members.every((m, i) => typeof m === 'string' && fullSteps(m) === ks[i])) {
    schedules = members as string[];
  } else {
    const costs = await recordGitsCosts(gits, {
      label: 'gits',
      signal,
      failure: 'the GITS baseline is left out: its teacher trajectory could not be recorded',
    });
    if (!costs) return [];
    schedules = ks.map((k) => formatSchedule(gitsSchedule(costs, k)));
  }
  const byKey = await evaluateList(options, {
    schedules,
    store,
    name: 'baselines-gits',
    label: 'baselines (GITS)',
    meta: { settings, gits: { samples: gits.samples, sampler: 'ddim' } },
  });
  const results: BaselineResult[] = [];
  schedules.forEach((s, i) => {
    const t = byKey.get(s);
    if (t) push(results, gitsLabel(ks[i]!, settings.sampler), t);
  });
  return results;
}

function summary(t: Trial, metric: string) {
  return {
    trial: t.number,
    schedule: t.schedule,
    speedup: t.cost.speedup,
    macs: t.cost.macs,
    metric,
    objective: t.objective,
    ...t.metrics,
  };
}

/** Write best.json, pareto.json and baselines.json. */
export async function writeResults(
  out: string,
  result: SearchResult,
  baselines: BaselineResult[],
  settings: SearchSettings,
): Promise<void> {
  const metric = settings.metric ?? 'rfid';
  await writeJson(
    join(out, 'best.json'),
    result.best ? { ...summary(result.best, metric), teacherSteps: settings.teacherSteps, minSpeedup: settings.speedup } : null,
  );
  await writeJson(
    join(out, 'pareto.json'),
    result.pareto.map((t) => summary(t, metric)),
  );
  await writeJson(join(out, 'baselines.json'), baselines);
  // validate what we wrote round-trips through the DSL
  if (result.best) parseSchedule(result.best.schedule);
}
