import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ScheduleError,
  createSearchSpace,
  formatSchedule,
  parseSchedule,
  runSearch,
  scheduleCost,
  SPACE_FORMS,
  type Searcher,
  type SearchResult,
  type Trial,
} from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { baselineGrid, gridSearcher, listSearcher, listSpace } from '@flexiffusion/search-grid';
import { randomSearcher } from '@flexiffusion/search-random';
import { FileTrialStore } from '@flexiffusion/runtime-node';
import { choice, CliError, helpText, int, num, parseOptions, renamed, text } from '../internal/args.js';
import { defaultCacheDir, readJson, writeJson } from '../internal/files.js';
import { openModel } from '../internal/model.js';
import { modelOptions, options, teacherGenerationOptions } from '../internal/options.js';
import { createProgressBar } from '../internal/progress.js';
import { buildReport } from '../internal/report.js';
import { SEARCHER_NAMES, type BaselineResult, type SearcherName, type SearchSettings } from '../internal/search-folder.js';
import { createEvaluationSetup, type EvaluationSetup } from '../internal/setup.js';

/** Which baselines a search evaluates for its report. */
type BaselineSet = 'near' | 'all' | 'none';
const BASELINE_SETS: readonly BaselineSet[] = ['near', 'all', 'none'];

/** The searchers by name. */
const SEARCHERS: Readonly<Record<SearcherName, () => Searcher>> = {
  evo: () => evolutionarySearcher(),
  grid: () => gridSearcher(),
  random: () => randomSearcher(),
};

/** The options of `flexi search`. */
export const searchSpec = {
  ...modelOptions,
  searcher: choice(SEARCHER_NAMES, { default: 'evo', help: 'search strategy' }),
  speedup: num({ default: 2, min: 1, max: 1000, help: 'minimum MAC speed-up over the teacher' }),
  trials: int({ default: 40, min: 1, max: 100000, help: 'evaluations (complete or failed trials)' }),
  samples: int({ default: 100, min: 2, max: 100000, help: 'samples per rFID evaluation (same seeds for teacher and candidates)' }),
  'teacher-steps': int({ default: 50, min: 2, max: 1000, help: 'T: steps of the all-full teacher schedule' }),
  'segment-lengths': text({
    placeholder: 'LIST',
    defaultText: 'divisors of T in 2..T/2',
    help: 'segment lengths L to search, e.g. "5,10"',
  }),
  form: choice(SPACE_FORMS, { default: 'paper', help: 'segment form of the search space' }),
  ...teacherGenerationOptions,
  sampler: { ...options.sampler, help: 'sampler of the candidates' },
  seed: { ...options.seed, help: 'seed of the search and of the first sample' },
  'round-size': int({ default: 8, min: 1, max: 4096, help: 'candidates asked for and evaluated per search round' }),
  concurrency: int({ default: 1, min: 1, max: 64, help: 'generator worker threads (results do not depend on it)' }),
  baselines: choice(BASELINE_SETS, {
    default: 'near',
    help: 'baselines to evaluate for the report: nearest DDIM-k and DeepCache, all, or none',
  }),
  'grid-images': options['grid-images'],
  'cache-dir': options['cache-dir'],
  out: text({
    default: 'flexi-out',
    placeholder: 'DIR',
    help: 'output folder (an existing search there with the same settings is continued)',
  }),
  resume: text({ placeholder: 'DIR', help: 'continue the search in this folder with its stored settings' }),
  'gen-batch': renamed('--batch-size (samples per network batch; candidates per round is now --round-size)'),
  help: options.help,
};

function defaultLengths(T: number): number[] {
  const out: number[] = [];
  for (let d = 2; d <= T / 2; d++) if (T % d === 0) out.push(d);
  return out.length > 0 ? out : [T];
}

function parseLengths(text: string, T: number): number[] {
  const out = text.split(',').map((s) => Number(s.trim()));
  for (const L of out) {
    if (!Number.isInteger(L) || L < 1 || T % L !== 0) {
      const divs = Array.from({ length: T }, (_, i) => i + 1).filter((d) => T % d === 0);
      throw new CliError(
        'bad-option',
        `flexi search: invalid --segment-lengths "${text}": ${L} does not divide T = ${T} (divisors: ${divs.join(', ')}).`,
      );
    }
  }
  return out;
}

/** `flexi search`: the Flexiffusion search on a model, resumable, with a report. */
export async function searchCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('search', argv, searchSpec);
  if (values.help) {
    console.log(helpText('search', 'search a fast schedule for a model, judged by rFID against the teacher', searchSpec));
    return 0;
  }
  const out = resolve(values.resume ?? values.out);
  const settingsPath = join(out, 'settings.json');
  let settings: SearchSettings;
  let trialsBudget = values.trials;
  if (values.resume !== undefined) {
    if (!existsSync(settingsPath)) {
      throw new CliError(
        'bad-resume',
        `flexi search: cannot resume "${values.resume}": no settings.json there (start a search with --out ${values.resume}).`,
      );
    }
    settings = await readJson<SearchSettings>(settingsPath);
    if (!argv.includes('--trials'))
      trialsBudget =
        (await readJson<{ trials?: number }>(join(out, 'run.json')).catch(() => ({ trials: undefined }))).trials ?? trialsBudget;
  } else {
    const T = values['teacher-steps'];
    const teacherSampler = values['teacher-sampler'];
    settings = {
      model: values.model,
      searcher: values.searcher,
      speedup: values.speedup,
      samples: values.samples,
      teacherSteps: T,
      segmentLengths: values['segment-lengths'] !== undefined ? parseLengths(values['segment-lengths'], T) : defaultLengths(T),
      form: values.form,
      sampler: values.sampler,
      // absent when it is the candidates' sampler: the stored settings of earlier searches stay equal
      ...(teacherSampler !== undefined && teacherSampler !== values.sampler ? { teacherSampler } : {}),
      nullMode: values['null-mode'],
      guidance: values.guidance ?? null,
      seed: values.seed,
      batchSize: values['round-size'],
      genBatch: values['batch-size'],
    };
    if (existsSync(settingsPath)) {
      const stored = await readJson<SearchSettings>(settingsPath);
      if (JSON.stringify(stored) !== JSON.stringify(settings)) {
        throw new CliError(
          'out-in-use',
          `flexi search: "${values.out}" holds a search with other settings (${JSON.stringify(stored)}). Use --resume ${values.out} to continue it, or another --out.`,
        );
      }
    }
  }
  const { device, threads } = values;
  const model = await openModel('search', settings.model, { device, threads });
  const ctrl = new AbortController();
  const onSigint = () => {
    if (ctrl.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupting: finishing the trial store (Ctrl-C again to quit at once)...\n');
    ctrl.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let setup: EvaluationSetup | undefined;
  try {
    const space = createSearchSpace({
      steps: settings.teacherSteps,
      segmentLengths: settings.segmentLengths,
      branches: model.branches,
      form: settings.form,
    });
    await writeJson(settingsPath, settings);
    await writeJson(join(out, 'run.json'), { trials: trialsBudget });
    let teacherBar: ReturnType<typeof createProgressBar> | undefined;
    setup = await createEvaluationSetup(
      'search',
      model,
      {
        model: settings.model,
        device,
        threads,
        sampler: settings.sampler,
        teacherSampler: settings.teacherSampler,
        nullMode: settings.nullMode,
        guidanceScale: settings.guidance ?? undefined,
        batchSize: settings.genBatch,
        teacherSteps: settings.teacherSteps,
        samples: settings.samples,
        seed: settings.seed,
        concurrency: values.concurrency,
        cacheDir: values['cache-dir'] ?? defaultCacheDir(),
      },
      (e) => {
        if (e.phase !== 'teacher') return;
        if (e.step === 'generate') {
          teacherBar = createProgressBar({ label: `teacher (${settings.teacherSteps} full steps, ${settings.samples} samples)`, total: 1 });
          teacherBar.update(0);
        } else if (e.step === 'cache-hit') process.stderr.write('teacher statistics: from the cache\n');
        else if (e.step === 'done') teacherBar?.done();
      },
    );
    console.error(
      `searching ${space.size()} schedules (T=${settings.teacherSteps}, L in {${settings.segmentLengths.join(', ')}}, ${model.branches} branches, ${settings.form} form) with the ${settings.searcher} searcher for >= ${settings.speedup}x; ${trialsBudget} trials of ${settings.samples} samples`,
    );
    await setup.evaluator.teacherStats({ signal: ctrl.signal });
    const store = new FileTrialStore(out);
    const bar = createProgressBar({ label: 'search', total: trialsBudget });
    const meta = { model: model.manifest.name, unet: model.manifest.unet.sha256 ?? null, settings };
    const result = await runSearch({
      space,
      searcher: SEARCHERS[settings.searcher](),
      evaluator: setup.evaluator,
      costProfile: model.costProfile,
      trials: trialsBudget,
      minSpeedup: settings.speedup,
      batchSize: settings.batchSize,
      seed: settings.seed,
      store,
      meta,
      signal: ctrl.signal,
      onProgress: (p) =>
        bar.update(
          p.evaluated,
          p.best
            ? `best ${p.best.cost.speedup.toFixed(2)}x rFID ${p.best.objective!.toFixed(3)}`
            : p.replayed > 0
              ? `${p.replayed} from the store`
              : '',
        ),
    });
    bar.done(result.replayed > 0 ? `(${result.replayed} trials replayed from the store)` : '');
    const baselines = await evaluateBaselines(settings, model.branches, model.costProfile, setup, out, values.baselines, ctrl.signal);
    await writeResults(out, result, baselines, settings);
    const reportPath = await buildReport(out, { model, pool: setup.pool, gridImages: values['grid-images'], signal: ctrl.signal });
    if (result.best) {
      console.log(`best schedule: ${result.best.schedule}`);
      console.log(
        `  ${result.best.cost.speedup.toFixed(2)}x fewer MACs than the ${settings.teacherSteps}-step teacher, rFID ${result.best.objective!.toFixed(4)}, PSNR vs teacher ${result.best.metrics?.['psnr']?.toFixed(2) ?? '–'} dB`,
      );
    } else console.log(`no schedule reached ${settings.speedup}x (stopped: ${result.stopReason})`);
    console.log(`results: ${join(out, 'best.json')}, ${join(out, 'pareto.json')}, ${join(out, 'trials.jsonl')}`);
    console.log(`report:  ${reportPath}`);
    return 0;
  } catch (e) {
    if ((e instanceof ScheduleError && e.code === 'aborted') || ctrl.signal.aborted) {
      console.error(`\nsearch interrupted; finished trials are kept. Continue with: flexi search --resume ${out}`);
      return 130;
    }
    if (e instanceof ScheduleError && e.code === 'resume-mismatch') {
      throw new CliError('out-in-use', `flexi search: ${e.message}`, { cause: e });
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await setup?.pool.dispose();
    await model.dispose();
  }
}

async function evaluateBaselines(
  settings: SearchSettings,
  branches: number,
  costProfile: { fullMacs: number; partialMacs: readonly number[] },
  setup: EvaluationSetup,
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
    evaluator: setup.evaluator,
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
    if (t?.state === 'complete')
      results.push({ label: b.label, schedule: t.schedule, speedup: t.cost.speedup, rfid: t.objective!, metrics: t.metrics ?? {} });
  }
  return results;
}

function summary(t: Trial) {
  return { trial: t.number, schedule: t.schedule, speedup: t.cost.speedup, macs: t.cost.macs, rfid: t.objective, ...t.metrics };
}

async function writeResults(out: string, result: SearchResult, baselines: BaselineResult[], settings: SearchSettings): Promise<void> {
  await writeJson(
    join(out, 'best.json'),
    result.best ? { ...summary(result.best), teacherSteps: settings.teacherSteps, minSpeedup: settings.speedup } : null,
  );
  await writeJson(join(out, 'pareto.json'), result.pareto.map(summary));
  await writeJson(join(out, 'baselines.json'), baselines);
  // validate what we wrote round-trips through the DSL
  if (result.best) parseSchedule(result.best.schedule);
}
