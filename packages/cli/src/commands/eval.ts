import { featureStats, fid, type OnnxFeatureExtractor } from '@flexiffusion/metrics';
import { formatSchedule, fullSchedule, scheduleCost, scheduleLength, type Schedule } from '@flexiffusion/schedule';
import type { SamplerName } from '@flexiffusion/runtime';
import { helpText, int, parseOptions, renamed, text } from '../internal/args.js';
import { defaultCacheDir, writeJson } from '../internal/files.js';
import { openModel } from '../internal/model.js';
import { generationValues, modelOptions, options, teacherGenerationOptions } from '../internal/options.js';
import { createProgressBar } from '../internal/progress.js';
import { scheduleArg } from '../internal/schedule-arg.js';
import { createEvaluationSetup, referenceStats } from '../internal/setup.js';

/** The options of `flexi eval`. */
export const evalSpec = {
  schedule: options.schedule,
  ...modelOptions,
  samples: int({ default: 200, min: 2, max: 1000000, help: 'samples (same seeds for the schedule and the teacher)' }),
  'timing-samples': int({
    default: 16,
    min: 1,
    max: 100000,
    help: 'samples timed for the wall-clock speed-up (schedule and teacher, same run)',
  }),
  ...teacherGenerationOptions,
  sampler: { ...options.sampler, help: 'sampler of the schedule' },
  seed: { ...options.seed, help: 'seed of the first sample' },
  'cache-dir': options['cache-dir'],
  json: text({ placeholder: 'FILE', help: 'also write the results to this JSON file' }),
  'gen-batch': renamed('--batch-size (samples per network batch)'),
  help: options.help,
};

/** Class accuracy of images under the feature network's logits (conditional models). */
async function classAccuracy(
  extractor: OnnxFeatureExtractor,
  data: Float32Array,
  dims: readonly [number, number, number, number],
  labels: readonly number[],
  logitsName: string,
): Promise<number> {
  const out = await extractor.run(data, dims, [logitsName]);
  const logits = out[logitsName]!.data;
  const k = logits.length / dims[0];
  let correct = 0;
  for (let i = 0; i < dims[0]; i++) {
    let arg = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + arg]!) arg = j;
    if (arg === labels[i]) correct++;
  }
  return correct / dims[0];
}

/** `flexi eval`: FID, rFID, KID, class accuracy and latency of a schedule. */
export async function evalCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('eval', argv, evalSpec);
  if (values.help) {
    const summary = 'measure a schedule: FID, rFID/KID/PSNR vs the teacher, class accuracy and speed-up';
    console.log(helpText('eval', summary, evalSpec));
    return 0;
  }
  const { device, threads } = values;
  const model = await openModel('eval', values.model, { device, threads });
  try {
    const schedule: Schedule = scheduleArg('eval', 'schedule', values.schedule, model.branches);
    const T = scheduleLength(schedule);
    const teacherSampler = values['teacher-sampler'];
    const setup = await createEvaluationSetup('eval', model, {
      model: values.model,
      device,
      threads,
      ...generationValues(values),
      teacherSampler,
      teacherSteps: T,
      samples: values.samples,
      seed: values.seed,
      concurrency: 1,
      cacheDir: values['cache-dir'] ?? defaultCacheDir(),
    });
    const bar = createProgressBar({ label: 'eval', total: 3 });
    bar.update(0, 'teacher');
    const teacherStats = await setup.evaluator.teacherStats();
    bar.update(1, 'schedule');
    const [res] = await setup.evaluator.evaluate([schedule]);
    if (!res?.ok) throw new Error(`evaluation failed: ${res && !res.ok ? res.reason : 'no result'}`);
    const images = setup.lastImages()!;
    bar.update(2, 'timing');
    // wall-clock: the schedule and the teacher on the same seeds, in this run
    const nt = Math.min(values['timing-samples'], values.samples);
    const tseeds = setup.seeds.slice(0, nt);
    const tlabels = setup.labels?.slice(0, nt);
    const time = async (s: Schedule, sampler?: SamplerName) => {
      const t0 = performance.now();
      await setup.pool.generate({ schedule: s, seeds: tseeds, labels: tlabels, sampler });
      return performance.now() - t0;
    };
    await time(schedule); // warm-up
    const tSchedule = await time(schedule);
    const tTeacher = await time(fullSchedule(T), teacherSampler);
    bar.done();
    const ref = await referenceStats(model);
    const feats = await setup.extractor.extract(images.data, images.dims);
    const stats = featureStats(feats, setup.extractor.dim);
    const logitsName = model.manifest.featureNetwork?.logits;
    const results: Record<string, number | string | null> = {
      schedule: formatSchedule(schedule),
      samples: values.samples,
      macSpeedup: scheduleCost(schedule, model.costProfile).speedup,
      wallSpeedup: tTeacher / tSchedule,
      msPerSample: tSchedule / nt,
      teacherMsPerSample: tTeacher / nt,
      fid: ref ? fid(stats, ref) : null,
      teacherFid: ref ? fid(teacherStats, ref) : null,
      rfid: res.objective,
      kid: res.metrics?.['kid'] ?? null,
      psnr: res.metrics?.['psnr'] ?? null,
      classAccuracy:
        logitsName && setup.labels ? await classAccuracy(setup.extractor, images.data, images.dims, setup.labels, logitsName) : null,
    };
    for (const [k, v] of Object.entries(results))
      console.log(`${k.padEnd(18)} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`);
    if (values.json) await writeJson(values.json, results);
    await setup.pool.dispose();
    return 0;
  } finally {
    await model.dispose();
  }
}
