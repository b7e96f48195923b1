import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FileTrialStore } from '@flexiffusion/runtime-node';
import { autoDiffusionSearcher, subsetSizeForSpeedup, timestepSubsetSpace } from '@flexiffusion/search-autodiffusion';
import {
  ScheduleError,
  createSearchSpace,
  fullSchedule,
  runSearch,
  SPACE_FORMS,
  type Schedule,
  type Searcher,
} from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';
import { gridSearcher } from '@flexiffusion/search-grid';
import { randomSearcher } from '@flexiffusion/search-random';
import { choice, CliError, helpText, int, num, parseOptions, renamed, text } from '../internal/args.js';
import { checkConditioning, readPromptOptions, sliceConditioning, withDefaultPrompts } from '../internal/conditions.js';
import { EXIT_INTERRUPTED } from '../internal/exit-codes.js';
import { sha256Hex, unreadable } from '../internal/features.js';
import { defaultCacheDir, readJson, writeJson } from '../internal/files.js';
import {
  COST_NAMES,
  describeLatencyProfile,
  measureLatencyProfile,
  saveLatencyProfile,
  searchLatencyProfile,
  type LatencyProfile,
} from '../internal/latency-profile.js';
import { gitsTeacher, onceGits, openSeeds } from '../internal/gits.js';
import { onInterrupt } from '../internal/interrupt.js';
import { acquireLock, checkUnlocked } from '../internal/lock.js';
import { modelLocation, openModel, warningPrinter } from '../internal/model.js';
import { METRIC_NAMES, OBJECTIVE_LABELS, OBJECTIVE_SHORT } from '../internal/objective.js';
import { modelOptions, options, qualityOptions, teacherGenerationOptions } from '../internal/options.js';
import { createProgressBar } from '../internal/progress.js';
import { buildReport } from '../internal/report.js';
import { SEARCHER_NAMES, storedModelLocation, type SearcherName, type SearchSettings } from '../internal/search-folder.js';
import { BASELINE_SETS, evaluateBaselines, writeResults } from '../internal/search-results.js';
import { createEvaluationSetup, referenceUnavailable, type EvaluationSetup } from '../internal/setup.js';
import { readStartSchedules, startSeeds } from '../internal/start-from.js';
import { measureWallClock, WALL_CLOCK_FILE, wallClockOf, type WallClock } from '../internal/wall-clock.js';
import { type QueueEvaluation, queueEvaluation } from './worker.js';

/** The searchers by name; the evolutionary one starts from `seeds` (GITS-k in the open form). */
const SEARCHERS: Readonly<Record<SearcherName, (seeds: readonly Schedule[]) => Searcher>> = {
  evo: (seeds) => evolutionarySearcher({ seeds }),
  grid: () => gridSearcher(),
  random: () => randomSearcher(),
  // AutoDiffusion's peer baseline: k of the T steps kept (k from --speedup), its published settings
  autodiffusion: () => autoDiffusionSearcher(),
};

/** The options of `flexi search`. */
export const searchSpec = {
  ...modelOptions,
  searcher: choice(SEARCHER_NAMES, { default: 'evo', help: 'search strategy' }),
  speedup: num({
    default: 2,
    min: 1,
    max: 1000,
    help: 'minimum speed-up over the teacher (in MACs; with --cost latency, measured wall-clock of the whole pipeline)',
  }),
  cost: choice(COST_NAMES, {
    default: 'macs',
    help:
      "what --speedup counts: macs (the model's MAC profile, the denoising network only) or latency (step latencies " +
      'measured here before the search, the text encoder and VAE included; kept in OUT/cost-profile.json for --resume)',
  }),
  trials: int({ default: 40, min: 1, max: 100000, help: 'evaluations (complete or failed trials)' }),
  metric: choice(METRIC_NAMES, {
    defaultText: 'rfid-fid when the model has its own featureNetwork and referenceStats (and no --features), else rfid',
    help:
      'objective: rfid or kid vs the teacher (feature network), psnr (paired images), clip (CLIP-score drop: --clip DIR or the judge the model names), ' +
      "fid (vs the model's reference statistics at N), rfid-fid (½ rFID + ½ the FID change)",
  }),
  samples: int({ default: 100, min: 2, max: 100000, help: 'samples per evaluation (same seeds and prompts for teacher and candidates)' }),
  'teacher-steps': int({ default: 50, min: 2, max: 1000, help: 'T: steps of the all-full teacher schedule' }),
  'segment-lengths': text({
    placeholder: 'LIST',
    defaultText: 'divisors of T in 2..T/2 (up to 10 in the free form; in the open form one: the largest divisor <= sqrt(T))',
    help: 'segment lengths L to search, e.g. "5,10"',
  }),
  form: choice(SPACE_FORMS, {
    default: 'paper',
    help:
      "segment form of the search space: paper (F, partials of one branch, nulls per segment), free (any step after each segment's F), " +
      'open (any step after the first: full steps at any timestep; the evo searcher starts from GITS-k, the k nearest below T / --speedup)',
  }),
  ...teacherGenerationOptions,
  sampler: { ...options.sampler, help: 'sampler of the candidates' },
  seed: { ...options.seed, help: 'seed of the search and of the first sample' },
  ...qualityOptions,
  'round-size': int({ default: 8, min: 1, max: 4096, help: 'candidates asked for and evaluated per search round' }),
  concurrency: int({ default: 1, min: 1, max: 64, help: 'generator worker threads (results do not depend on it)' }),
  baselines: choice(BASELINE_SETS, {
    default: 'near',
    help:
      'baselines to evaluate for the report: near (the DDIM-k and DeepCache nearest to --speedup, and GITS-k: the k steps ' +
      "chosen by GITS's DP on the teacher's DDIM trajectory, same k and cost), all (every DDIM-k and GITS-k, every DeepCache), or none",
  }),
  'grid-images': options['grid-images'],
  'timing-samples': int({
    default: 16,
    min: 0,
    max: 100000,
    help:
      'samples timed for the measured wall-clock speed-up of the best schedule and the baselines (each against the teacher, ' +
      'alternately, best of 2 rounds; kept in OUT/wall-clock.json); 0 = no timing',
  }),
  'cache-dir': options['cache-dir'],
  out: text({
    default: 'flexi-out',
    placeholder: 'DIR',
    help: 'output folder (an existing search there with the same settings is continued)',
  }),
  resume: text({ placeholder: 'DIR', help: 'continue the search in this folder with its stored settings' }),
  'start-from': text({
    placeholder: 'DIR',
    help:
      "also start the evo searcher from another search's results (DIR/pareto.json and best.json) that meet --speedup and fit this space, " +
      'e.g. a search at 2 from where one at 3 ended (kept in settings.json for --resume)',
  }),
  queue: text({ placeholder: 'URL', help: 'evaluate on `flexi worker` processes through this Redis (redis://[:password@]host:port)' }),
  'redis-timeout': int({
    default: 30,
    min: 0,
    max: 86_400,
    help: 'with --queue: seconds Redis may be unreachable before the search exits 1',
  }),
  'gen-batch': renamed('--batch-size (samples per network batch; candidates per round is now --round-size)'),
  help: options.help,
};

type SearchValues = ReturnType<typeof parseOptions<typeof searchSpec>>['values'];

/** Divisors of T in 2..T/2; at most 10 in the free form, whose longer segments have too many variants to enumerate (5^(L−1)). */
function defaultLengths(T: number, form: string): number[] {
  // the open form takes one length (it only cuts the steps into genes): the largest divisor <= sqrt(T)
  if (form === 'open') {
    let best = 1;
    for (let d = 1; d * d <= T; d++) if (T % d === 0) best = d;
    return [best];
  }
  const out: number[] = [];
  const max = form === 'free' ? Math.min(10, T / 2) : T / 2;
  for (let d = 2; d <= max; d++) if (T % d === 0) out.push(d);
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

function fileSha(option: string, file: string): string {
  try {
    return sha256Hex(readFileSync(file));
  } catch (e) {
    throw unreadable('search', option, file, e);
  }
}

/** The settings of a new search from the command line; the newer fields only when they differ from the old behaviour. */
async function newSettings(values: SearchValues): Promise<SearchSettings> {
  if (values['start-from'] !== undefined && values.searcher !== 'evo') {
    throw new CliError(
      'bad-option',
      `flexi search: --start-from gives the evolutionary searcher its starting points: it needs --searcher evo, not "${values.searcher}".`,
    );
  }
  if (values.searcher === 'autodiffusion' && values['null-mode'] !== 'skip') {
    throw new CliError(
      'bad-option',
      `flexi search: --searcher autodiffusion searches timestep subsets (the skipped steps are not run): it needs --null-mode skip, not "${values['null-mode']}".`,
    );
  }
  if (values.searcher === 'autodiffusion' && values.cost === 'latency') {
    throw new CliError(
      'bad-option',
      `flexi search: --searcher autodiffusion keeps k = T / --speedup of the steps (a count of full steps, the MAC cost): it needs --cost macs, not "latency".`,
    );
  }
  const T = values['teacher-steps'];
  const teacherSampler = values['teacher-sampler'];
  const conditioning = await readPromptOptions('search', values);
  const features = values.features === undefined ? undefined : resolve(values.features);
  return {
    model: modelLocation(values.model),
    searcher: values.searcher,
    speedup: values.speedup,
    samples: values.samples,
    teacherSteps: T,
    segmentLengths: values['segment-lengths'] !== undefined ? parseLengths(values['segment-lengths'], T) : defaultLengths(T, values.form),
    form: values.form,
    sampler: values.sampler,
    // absent when it is the candidates' sampler: the stored settings of earlier searches stay equal
    ...(teacherSampler !== undefined && teacherSampler !== values.sampler ? { teacherSampler } : {}),
    nullMode: values['null-mode'],
    guidance: values.guidance ?? null,
    seed: values.seed,
    batchSize: values['round-size'],
    genBatch: values['batch-size'],
    ...(values.metric !== undefined && values.metric !== 'rfid' ? { metric: values.metric } : {}),
    ...(conditioning.prompts || conditioning.negativePrompt !== undefined ? { conditioning } : {}),
    ...(values.height !== undefined ? { height: values.height } : {}),
    ...(values.width !== undefined ? { width: values.width } : {}),
    ...(features ? { features: { file: features, sha256: fileSha('features', values.features!), preset: values['features-preset'] } } : {}),
    ...(values.clip !== undefined ? { clip: resolve(values.clip) } : {}),
    ...(values.cost === 'latency' ? { cost: 'latency' as const } : {}),
    ...(values['start-from'] !== undefined
      ? { startFrom: { dir: resolve(values['start-from']), schedules: readStartSchedules('search', values['start-from']) } }
      : {}),
  };
}

/** Remove what a failed start created in `out`: the folder itself, or the entries that were not there before. */
function cleanUp(out: string, before: ReadonlySet<string> | undefined): void {
  if (!existsSync(out)) return;
  if (!before) {
    rmSync(out, { recursive: true, force: true });
    return;
  }
  for (const name of readdirSync(out)) if (!before.has(name)) rmSync(join(out, name), { recursive: true, force: true });
}

function finishedTrials(out: string): number {
  try {
    return readFileSync(join(out, 'trials.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** `flexi search`: the Flexiffusion search on a model, resumable, with a report. */
export async function searchCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('search', argv, searchSpec);
  if (values.help) {
    console.log(
      helpText(
        'search',
        'search a fast schedule for a model, judged against the teacher and the data (rfid-fid by default where the model has reference statistics, else rFID)',
        searchSpec,
      ),
    );
    return 0;
  }
  const out = resolve(values.resume ?? values.out);
  const settingsPath = join(out, 'settings.json');
  // refused before anything is opened or written
  checkUnlocked('search', out);
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
    if (settings.features && fileSha('features', settings.features.file) !== settings.features.sha256) {
      throw new CliError(
        'features-changed',
        `flexi search: the feature network ${settings.features.file} changed since this search started (its SHA-256 differs): ` +
          'the stored trials were judged with the old one. Restore it, or start a new search with another --out.',
      );
    }
  } else {
    settings = await newSettings(values);
  }
  const location = storedModelLocation(settings.model, out);
  const { device, threads } = values;
  const model = await openModel('search', location, { device, threads });
  if (values.resume === undefined) {
    // the default objective: rfid-fid where the model can compare with real data in its own
    // feature space (it ranks like FID@5000 on both embedded models: bench/signal-study.mjs), else rfid
    const source = settings.features ? 'file' : model.manifest.featureNetwork ? 'manifest' : undefined;
    if (values.metric === undefined && referenceUnavailable(model, source) === undefined) settings = { ...settings, metric: 'rfid-fid' };
    if (existsSync(settingsPath)) {
      const stored = await readJson<SearchSettings>(settingsPath);
      if (JSON.stringify(stored) !== JSON.stringify(settings)) {
        await model.dispose();
        throw new CliError(
          'out-in-use',
          `flexi search: "${values.out}" holds a search with other settings (${JSON.stringify(stored)}). ` +
            `Use --resume ${values.out} to continue it, or another --out.`,
        );
      }
    }
  }
  const interrupt = onInterrupt('interrupting: finishing the trial store');
  const signal = interrupt.signal;
  let setup: EvaluationSetup | undefined;
  let queued: QueueEvaluation | undefined;
  let release: (() => void) | undefined;
  let before: Set<string> | undefined;
  let createdAnything = false;
  try {
    checkConditioning('search', model, settings.conditioning ?? {});
    // the default prompt set is the model's (hash-checked), not stored: a resumed search reads it again
    const { stored, note } = await withDefaultPrompts('search', model, settings.conditioning ?? {});
    if (note) process.stderr.write(`${note}\n`);
    const subsets = settings.searcher === 'autodiffusion';
    const space = subsets
      ? timestepSubsetSpace(settings.teacherSteps, subsetSizeForSpeedup(settings.teacherSteps, settings.speedup))
      : createSearchSpace({
          steps: settings.teacherSteps,
          segmentLengths: settings.segmentLengths,
          branches: model.branches,
          form: settings.form,
        });
    const metric = settings.metric ?? 'rfid';
    let teacherBar: ReturnType<typeof createProgressBar> | undefined;
    setup = await createEvaluationSetup(
      'search',
      model,
      {
        model: location,
        device,
        threads,
        sampler: settings.sampler,
        teacherSampler: settings.teacherSampler,
        nullMode: settings.nullMode,
        guidanceScale: settings.guidance ?? undefined,
        batchSize: settings.genBatch,
        height: settings.height,
        width: settings.width,
        teacherSteps: settings.teacherSteps,
        samples: settings.samples,
        seed: settings.seed,
        concurrency: values.concurrency,
        cacheDir: values['cache-dir'] ?? defaultCacheDir(),
        stored,
        features: settings.features?.file,
        featuresPreset: settings.features?.preset ?? 'inception',
        clip: settings.clip,
        metric,
        onWarning: warningPrinter('search'),
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
    if (values.queue !== undefined) {
      queued = await queueEvaluation(values.queue, model, setup, {
        ...settings,
        guidanceScale: settings.guidance ?? undefined,
        batchSize: settings.genBatch,
        metric,
        retryForMs: values['redis-timeout'] * 1000,
      });
    }
    const searchSignal = queued ? queued.signal(signal) : signal;
    // --cost latency: the folder's profile, or one measured now on the local generators
    let latency: { profile: LatencyProfile; measured: boolean } | undefined;
    if (settings.cost === 'latency') {
      const n = Math.min(settings.genBatch, setup.seeds.length);
      latency = await searchLatencyProfile(
        out,
        () => finishedTrials(out) > 0,
        async () => {
          const bar = createProgressBar({ label: `latency profile (${n} samples)`, total: (2 + model.branches) * 3 + 1 });
          const p = await measureLatencyProfile(setup!.pool, {
            seeds: setup!.seeds.slice(0, n),
            conditioning: setup!.conditioning,
            branches: model.branches,
            signal,
            onProgress: (done) => bar.update(done),
          });
          bar.done();
          return p;
        },
      );
      console.error(`cost: ${describeLatencyProfile(latency.profile)}${latency.measured ? '' : ' (from the folder)'}`);
    }
    const costProfile = latency?.profile ?? model.costProfile;
    // --start-from: the earlier search's results that meet this target and fit this space (checked
    // before the folder is written)
    const start = settings.startFrom ? startSeeds(settings.startFrom.schedules, space, costProfile, settings.speedup) : undefined;
    if (start && settings.startFrom) {
      const dropped = [
        start.tooSlow ? `${start.tooSlow} below ${settings.speedup}×` : '',
        start.otherLength ? `${start.otherLength} not of ${settings.teacherSteps} steps` : '',
        start.notInSpace
          ? `${start.notInSpace} not in the ${settings.form} space of segment lengths ${settings.segmentLengths.join(',')}`
          : '',
      ].filter(Boolean);
      if (start.seeds.length === 0) {
        throw new CliError(
          'bad-start',
          `flexi search: --start-from "${settings.startFrom.dir}": none of its ${settings.startFrom.schedules.length} schedules can start this search (${dropped.join(', ')}).`,
        );
      }
      console.error(
        `flexi search: starting from ${start.seeds.length} of the ${settings.startFrom.schedules.length} schedules in ${settings.startFrom.dir}${dropped.length ? ` (left out: ${dropped.join(', ')})` : ''}`,
      );
    }
    // everything is checked: only now is the folder created and written
    before = existsSync(out) ? new Set(readdirSync(out)) : undefined;
    await mkdir(out, { recursive: true });
    release = acquireLock('search', out);
    // from here on what this run writes is removed again if it fails before its first trial (never before: the folder may be another's)
    createdAnything = true;
    await writeJson(settingsPath, settings);
    await writeJson(join(out, 'run.json'), { trials: trialsBudget });
    if (latency?.measured) await saveLatencyProfile(out, latency.profile);
    const label = OBJECTIVE_LABELS[metric];
    console.error(
      `searching ${space.size()} schedules (T=${settings.teacherSteps}, ` +
        (subsets
          ? `${subsetSizeForSpeedup(settings.teacherSteps, settings.speedup)} of the ${settings.teacherSteps} steps kept, the others skipped) `
          : `L in {${settings.segmentLengths.join(', ')}}, ${model.branches} branches, ${settings.form} form) `) +
        `with the ${settings.searcher} searcher for >= ${settings.speedup}x; ` +
        `${trialsBudget} trials of ${settings.samples} samples, judged by ${label}` +
        (setup.network ? `; features: ${setup.network.description}` : ''),
    );
    const evaluator = queued ? queued.objective(metric) : setup.objective(metric);
    await (queued?.evaluator ?? setup.rfid).teacherStats({ signal });
    // the GITS rows' teacher (the evaluator's seeds and conditioning, the search's generation
    // settings), recorded once: for the open form's seeds and for the GITS baselines
    const gits = onceGits(
      gitsTeacher(model, {
        teacherSteps: settings.teacherSteps,
        seeds: setup.seeds,
        conditioning: setup.conditioning,
        guidanceScale: settings.guidance ?? undefined,
        batchSize: settings.genBatch,
        height: settings.height,
        width: settings.width,
      }),
    );
    const seeds = [
      // the earlier search's results first: they are the ones a fresh start would not find
      ...(start?.seeds ?? []),
      ...(settings.form === 'open' && settings.searcher === 'evo'
        ? await openSeeds(gits, {
            teacherSteps: settings.teacherSteps,
            speedup: settings.speedup,
            segmentLength: settings.segmentLengths[0]!,
            signal,
          })
        : []),
    ];
    const store = new FileTrialStore(out);
    const bar = createProgressBar({ label: 'search', total: trialsBudget });
    const meta = { model: model.manifest.name, unet: model.manifest.unet.sha256 ?? null, settings };
    const short = OBJECTIVE_SHORT[metric];
    const result = await runSearch({
      space,
      searcher: SEARCHERS[settings.searcher](seeds),
      evaluator,
      costProfile,
      trials: trialsBudget,
      minSpeedup: settings.speedup,
      batchSize: settings.batchSize,
      seed: settings.seed,
      store,
      meta,
      signal: searchSignal,
      onProgress: (p) =>
        bar.update(
          p.evaluated,
          p.best
            ? `best ${p.best.cost.speedup.toFixed(2)}x ${short} ${p.best.objective!.toFixed(3)}`
            : p.replayed > 0
              ? `${p.replayed} from the store`
              : '',
        ),
    });
    bar.done(result.replayed > 0 ? `(${result.replayed} trials replayed from the store)` : '');
    const baselines = await evaluateBaselines({
      settings,
      branches: model.branches,
      costProfile,
      evaluator,
      out,
      which: values.baselines,
      signal: searchSignal,
      gits,
    });
    await writeResults(out, result, baselines, settings);
    // the wall-clock speed-ups, measured here beside the teacher: MACs are what a schedule saves on paper
    const timed = [
      ...(result.best ? [{ label: 'search (best)', schedule: result.best.schedule }] : []),
      ...baselines.map((b) => ({ label: b.label, schedule: b.schedule })),
    ];
    const nTimed = Math.min(values['timing-samples'], settings.samples);
    let wall: WallClock | undefined;
    if (nTimed > 0 && timed.length > 0) {
      const rounds = 2;
      const timing = createProgressBar({
        label: `wall-clock (the teacher and ${timed.length} schedules, ${nTimed} samples, ${rounds} rounds)`,
        total: 1 + rounds * (timed.length + 1),
      });
      wall = await measureWallClock(setup.pool, {
        rows: timed,
        teacher: fullSchedule(settings.teacherSteps),
        teacherSampler: settings.teacherSampler,
        seeds: setup.seeds.slice(0, nTimed),
        conditioning: sliceConditioning(setup.conditioning, 0, nTimed),
        rounds,
        signal,
        onProgress: (done) => timing.update(done),
      });
      timing.done();
      await writeJson(join(out, WALL_CLOCK_FILE), wall);
    } else rmSync(join(out, WALL_CLOCK_FILE), { force: true }); // an earlier run's timings would not be this run's
    const reportPath = await buildReport(out, { model, pool: setup.pool, gridImages: values['grid-images'], signal });
    if (result.best) {
      const psnr = result.best.metrics?.['psnr'];
      console.log(`best schedule: ${result.best.schedule}`);
      console.log(
        `  ${result.best.cost.speedup.toFixed(2)}x ${latency ? 'faster (measured latency, whole pipeline)' : 'fewer MACs'} than the ${settings.teacherSteps}-step teacher, ` +
          `${label} ${result.best.objective!.toFixed(4)}, PSNR vs teacher ${psnr?.toFixed(2) ?? '–'} dB`,
      );
      const w = wallClockOf(wall, result.best.schedule);
      if (w)
        console.log(
          `  ${w.wallSpeedup.toFixed(2)}x faster in wall-clock time, measured here (${w.msPerSample.toFixed(1)} against ${wall!.teacherMsPerSample.toFixed(1)} ms/sample, ${wall!.samples} samples)`,
        );
    } else console.log(`no schedule reached ${settings.speedup}x (stopped: ${result.stopReason})`);
    if (baselines.length > 0) {
      // the gain at a glance: the baselines at about the same cost, judged on the same samples
      // measured here when timed (wall-clock speed-up and ms per sample), else the evaluation's own latency
      const perSample = (schedule: string, m: Readonly<Record<string, number>> | undefined) => {
        const w = wallClockOf(wall, schedule);
        if (w) return `  ${w.wallSpeedup.toFixed(2)}x wall-clock  ${w.msPerSample.toFixed(1)} ms/sample`;
        const ms = m?.['latencyMs'];
        return ms === undefined ? '' : `  ${(ms / settings.samples).toFixed(1)} ms/sample`;
      };
      console.log(
        `baselines at about the same cost (same seeds${stored.prompts ? ' and prompts' : ''}, same signal` +
          (wall ? `; wall-clock measured here against the teacher's ${wall.teacherMsPerSample.toFixed(1)} ms/sample` : '') +
          '):',
      );
      // labels such as "GITS-12 + DPM-Solver++" are longer than the usual 16 columns
      const width = Math.max(16, ...baselines.map((b) => b.label.length));
      if (result.best) {
        const b = result.best;
        console.log(
          `  ${'search (best)'.padEnd(width)} ${b.cost.speedup.toFixed(2)}x  ${label} ${b.objective!.toFixed(4)}${perSample(b.schedule, b.metrics)}`,
        );
      }
      for (const b of baselines) {
        console.log(
          `  ${b.label.padEnd(width)} ${b.speedup.toFixed(2)}x  ${label} ${b.objective?.toFixed(4) ?? '–'}${perSample(b.schedule, b.metrics)}  ${b.schedule}`,
        );
      }
    }
    console.log(`results: ${join(out, 'best.json')}, ${join(out, 'pareto.json')}, ${join(out, 'trials.jsonl')}`);
    console.log(`report:  ${reportPath}`);
    return 0;
  } catch (caught) {
    // the fleet's error (a worker refused a job, Redis lost) ends the search with exit 1, not as an interrupt
    const e = queued ? queued.failure(caught) : caught;
    if ((e instanceof ScheduleError && e.code === 'aborted') || interrupt.interrupted) {
      console.error(`\nsearch interrupted; finished trials are kept. Continue with: flexi search --resume ${out}`);
      return EXIT_INTERRUPTED;
    }
    // a search that failed before its first trial leaves the folder as it found it
    if (createdAnything && values.resume === undefined && finishedTrials(out) === 0) {
      release?.();
      release = undefined;
      cleanUp(out, before);
    }
    if (e instanceof ScheduleError && e.code === 'resume-mismatch') {
      throw new CliError('out-in-use', `flexi search: ${e.message}`, { cause: e });
    }
    throw e;
  } finally {
    release?.();
    interrupt.dispose();
    await queued?.close();
    await setup?.pool.dispose();
    await model.dispose();
  }
}
