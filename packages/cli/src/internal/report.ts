import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileTrialStore } from '@flexiffusion/runtime-node';
import { bestTrial, formatSchedule, fullSchedule, paretoFront, parseSchedule, type Trial } from '@flexiffusion/schedule';
import { CliError } from './args.js';
import { sampleConditioning } from './conditions.js';
import { readJson, writeAtomic } from './files.js';
import { createGeneratorPool, type GeneratorPool } from './generator-pool.js';
import { COST_PROFILE_FILE, describeLatencyProfile, type LatencyProfile } from './latency-profile.js';
import { gridPng, openModel, type CliModel, type Device } from './model.js';
import { OBJECTIVE_SHORT, OBJECTIVE_LABELS } from './objective.js';
import { renderReport, type ReportGrid } from './report-html.js';
import { storedModelLocation, type BaselineResult, type SearchSettings } from './search-folder.js';
import { WALL_CLOCK_FILE, type WallClock } from './wall-clock.js';

interface GridEntry {
  readonly file: string;
  readonly label: string;
  readonly schedule: string;
  readonly note?: string;
  /** The sampler of this grid when it is not the search's (the teacher's). */
  readonly sampler?: SearchSettings['sampler'];
}

/**
 * Write OUT/report.html from the files of a search folder. Image grids (teacher, best, and the
 * fastest Pareto schedule) are generated once with the same seeds and labels and kept as PNGs.
 */
export async function buildReport(
  out: string,
  options: { model?: CliModel; pool?: GeneratorPool; gridImages: number; signal?: AbortSignal; device?: Device },
): Promise<string> {
  const settings = await readJson<SearchSettings>(join(out, 'settings.json'));
  const loaded = await new FileTrialStore(out).load();
  if (!loaded) throw new CliError('bad-report', `flexi report: "${out}" holds no trials (trials.jsonl / header.json).`, { exitCode: 1 });
  const trials: readonly Trial[] = loaded.trials;
  const pareto = paretoFront(trials);
  const best = bestTrial(trials, settings.speedup);
  const baselines = existsSync(join(out, 'baselines.json')) ? await readJson<BaselineResult[]>(join(out, 'baselines.json')) : [];
  const latency =
    settings.cost === 'latency' && existsSync(join(out, COST_PROFILE_FILE))
      ? await readJson<LatencyProfile>(join(out, COST_PROFILE_FILE))
      : undefined;
  const wallClock = existsSync(join(out, WALL_CLOCK_FILE)) ? await readJson<WallClock>(join(out, WALL_CLOCK_FILE)) : undefined;
  const metric = settings.metric ?? 'rfid';
  const short = OBJECTIVE_SHORT[metric].replace('-PSNR', '−PSNR');

  const wanted: GridEntry[] = [];
  if (options.gridImages > 0) {
    const T = settings.teacherSteps;
    wanted.push({
      file: 'grid-teacher.png',
      label: `teacher (${T} full steps)`,
      schedule: formatSchedule(fullSchedule(T)),
      ...(settings.teacherSampler ? { sampler: settings.teacherSampler } : {}),
    });
    if (best)
      wanted.push({
        file: 'grid-best.png',
        label: `best at ≥ ${settings.speedup}×: ${best.cost.speedup.toFixed(2)}×, ${short} ${best.objective!.toFixed(3)}`,
        schedule: best.schedule,
      });
    const fastest = pareto.at(-1);
    if (fastest && fastest.number !== best?.number) {
      wanted.push({
        file: 'grid-fastest.png',
        label: `fastest on the Pareto front: ${fastest.cost.speedup.toFixed(2)}×, ${short} ${fastest.objective!.toFixed(3)}`,
        schedule: fastest.schedule,
      });
    }
  }
  const gridIndex = existsSync(join(out, 'grids.json')) ? await readJson<Record<string, string>>(join(out, 'grids.json')) : {};
  const missing = wanted.filter((g) => gridIndex[g.file] !== g.schedule || !existsSync(join(out, g.file)));
  if (missing.length > 0) {
    let model = options.model;
    let pool = options.pool;
    const owned = !model;
    const location = storedModelLocation(settings.model, out);
    if (!model) model = await openModel('report', location, { device: options.device ?? 'cpu' });
    try {
      if (!pool) {
        pool = await createGeneratorPool(
          {
            model: location,
            device: options.device ?? 'cpu',
            sampler: settings.sampler,
            nullMode: settings.nullMode,
            guidanceScale: settings.guidance ?? undefined,
            batchSize: settings.genBatch,
            height: settings.height,
            width: settings.width,
          },
          1,
          model,
        );
      }
      const n = options.gridImages;
      const seeds = Array.from({ length: n }, (_, i) => settings.seed + i);
      const conditioning = sampleConditioning('report', model, settings.conditioning ?? {}, n);
      const numClasses = model.manifest.conditioning?.numClasses ?? 0;
      const columns = numClasses > 0 && n % numClasses === 0 ? numClasses : Math.ceil(Math.sqrt(n));
      for (const g of missing) {
        const r = await pool.generate({
          schedule: parseSchedule(g.schedule),
          seeds,
          conditioning,
          signal: options.signal,
          sampler: g.sampler,
        });
        await writeAtomic(join(out, g.file), gridPng(model, r, columns));
        gridIndex[g.file] = g.schedule;
        await writeAtomic(join(out, 'grids.json'), JSON.stringify(gridIndex, null, 2));
      }
    } finally {
      if (owned) await model.dispose();
    }
  }
  const grids: ReportGrid[] = [];
  for (const g of wanted)
    grids.push({
      label: g.label,
      schedule: g.schedule,
      png: new Uint8Array(await readFile(join(out, g.file))),
      note: settings.conditioning?.prompts ? 'same seeds and prompts' : 'same seeds and labels',
    });
  const prompts = settings.conditioning?.prompts;
  const html = renderReport({
    title: `Flexiffusion search on "${settings.model}" (${settings.searcher}, ≥ ${settings.speedup}×)`,
    createdAt: new Date().toISOString(),
    settings: {
      model: settings.model,
      searcher: settings.searcher,
      'minimum speed-up': settings.speedup,
      cost: latency
        ? describeLatencyProfile(latency)
        : settings.cost === 'latency'
          ? `measured latency (${COST_PROFILE_FILE} is missing)`
          : 'MACs (the denoising network)',
      'teacher steps (T)': settings.teacherSteps,
      'segment lengths': settings.segmentLengths.join(', '),
      'space form': settings.form,
      objective: OBJECTIVE_LABELS[metric],
      samples: settings.samples,
      sampler: settings.sampler,
      ...(settings.teacherSampler ? { 'teacher sampler': settings.teacherSampler } : {}),
      'null mode': settings.nullMode,
      guidance: settings.guidance ?? 'model default',
      seed: settings.seed,
      ...(settings.height !== undefined ? { height: settings.height } : {}),
      ...(settings.width !== undefined ? { width: settings.width } : {}),
      ...(settings.conditioning?.negativePrompt !== undefined ? { 'negative prompt': settings.conditioning.negativePrompt } : {}),
      ...(settings.features ? { features: `${settings.features.file} (${settings.features.preset})` } : {}),
      ...(settings.clip ? { clip: settings.clip } : {}),
    },
    objectiveLabel: OBJECTIVE_LABELS[metric],
    ...(settings.cost === 'latency' ? { costLabel: 'measured latency' } : {}),
    ...(prompts
      ? { prompts: prompts.map((p) => (p.negativePrompt !== undefined ? `${p.prompt}  [negative: ${p.negativePrompt}]` : p.prompt)) }
      : {}),
    trials,
    pareto,
    best,
    baselines: baselines.map((b) => ({
      label: b.label,
      schedule: b.schedule,
      speedup: b.speedup,
      objective: b.objective ?? b.rfid ?? Number.NaN,
    })),
    grids,
    minSpeedup: settings.speedup,
    ...(wallClock ? { wallClock } : {}),
  });
  const path = join(out, 'report.html');
  await writeAtomic(path, html);
  return path;
}
