/**
 * What `flexi search` writes after the search: the baselines (nearest DDIM-k and DeepCache, judged
 * the same way), best.json, pareto.json and baselines.json.
 */
import { join } from 'node:path';
import { FileTrialStore } from '@flexiffusion/runtime-node';
import {
  formatSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  type Evaluator,
  type SearchResult,
  type Trial,
} from '@flexiffusion/schedule';
import { baselineGrid, listSearcher, listSpace } from '@flexiffusion/search-grid';
import { writeJson } from './files.js';
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

/** Evaluate the baselines with the search's evaluator (resumable: their own trial store in OUT/baselines). */
export async function evaluateBaselines(
  settings: SearchSettings,
  branches: number,
  costProfile: { fullMacs: number; partialMacs: readonly number[] },
  evaluator: Evaluator,
  out: string,
  which: BaselineSet,
  signal: AbortSignal,
): Promise<BaselineResult[]> {
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
  const schedules = grid.map((b) => b.schedule);
  const bar = createProgressBar({ label: 'baselines', total: schedules.length });
  const r = await runSearch({
    space: listSpace(schedules, { branches }),
    searcher: listSearcher(schedules, { name: 'baselines' }),
    evaluator,
    costProfile,
    trials: schedules.length,
    batchSize: schedules.length,
    store: new FileTrialStore(join(out, 'baselines')),
    meta: { settings },
    signal,
    onProgress: (p) => bar.update(p.evaluated),
  });
  bar.done();
  const byKey = new Map(r.trials.map((t) => [t.schedule, t] as const));
  const results: BaselineResult[] = [];
  for (const b of grid) {
    const t = byKey.get(formatSchedule(b.schedule));
    if (t?.state !== 'complete') continue;
    const rfid = t.metrics?.['rfid'];
    results.push({
      // DDIM-k means k uniform steps: named after the sampler that runs them (DPM-Solver++-12, UniPC-12)
      label: b.family === 'ddim' ? b.label.replace(/^DDIM/, SAMPLER_LABELS[settings.sampler] ?? settings.sampler) : b.label,
      schedule: t.schedule,
      speedup: t.cost.speedup,
      objective: t.objective!,
      ...(rfid !== undefined ? { rfid } : {}),
      metrics: t.metrics ?? {},
    });
  }
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
