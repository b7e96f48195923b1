import { join } from 'node:path';
import {
  type AdherenceCount,
  type OnnxFeatureExtractor,
  type PromptAttributeRules,
  parsePromptAttributeRules,
  scorePromptAdherence,
  toUint8Images,
} from '@flexiffusion/metrics';
import { formatSchedule, fullSchedule, scheduleCost, scheduleLength, type Schedule } from '@flexiffusion/schedule';
import { CliError, choice, helpText, int, parseOptions, renamed, text } from '../internal/args.js';
import { METRIC_NAMES, objectiveOf } from '../internal/objective.js';
import { modelClipDir } from '../internal/clip.js';
import { modelTakes, readConditioning, sliceConditioning, withDefaultPrompts } from '../internal/conditions.js';
import { EXIT_INTERRUPTED } from '../internal/exit-codes.js';
import { defaultCacheDir, writeJson } from '../internal/files.js';
import { onInterrupt } from '../internal/interrupt.js';
import { type CliModel, modelLocation, openModel, readModelFile, warningPrinter } from '../internal/model.js';
import { generationValues, modelOptions, options, qualityOptions, teacherGenerationOptions } from '../internal/options.js';
import { createProgressBar } from '../internal/progress.js';
import { scheduleArg } from '../internal/schedule-arg.js';
import { measureWallClock } from '../internal/wall-clock.js';
import { createEvaluationSetup, referenceUnavailable } from '../internal/setup.js';
import { sha256Hex } from '../internal/features.js';

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
  metric: choice(METRIC_NAMES, {
    defaultText: 'none',
    help: 'a signal that must be computed (exit 2 saying why it cannot), printed first; every other signal is reported as well',
  }),
  seed: { ...options.seed, help: 'seed of the first sample' },
  ...qualityOptions,
  'cache-dir': options['cache-dir'],
  json: text({ placeholder: 'FILE', help: 'also write the results to this JSON file' }),
  'gen-batch': renamed('--batch-size (samples per network batch)'),
  help: options.help,
};

/** The feature network's predicted class of each image (argmax of its logits). */
async function predictClasses(
  extractor: OnnxFeatureExtractor,
  data: Float32Array,
  dims: readonly [number, number, number, number],
  logitsName: string,
): Promise<number[]> {
  const out = await extractor.run(data, dims, [logitsName]);
  const logits = out[logitsName]!.data;
  const k = logits.length / dims[0];
  return Array.from({ length: dims[0] }, (_, i) => {
    let arg = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + arg]!) arg = j;
    return arg;
  });
}

/** The prompt attribute rules of the model (`evaluation.attributes`), hash-checked. */
async function attributeRules(model: CliModel): Promise<PromptAttributeRules> {
  const spec = model.manifest.evaluation!.attributes!;
  const file = join(model.location, spec.file);
  const bytes = await readModelFile(model, spec.file).catch((e: unknown) => {
    throw new CliError('bad-model', `flexi eval: cannot read ${file} (evaluation.attributes.file): ${e instanceof Error ? e.message : e}.`);
  });
  if (spec.sha256 && sha256Hex(bytes) !== spec.sha256) {
    throw new CliError('bad-model', `flexi eval: ${file} does not match the SHA-256 in evaluation.attributes.sha256 of the manifest.`);
  }
  try {
    return parsePromptAttributeRules(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (e) {
    throw new CliError('bad-model', `flexi eval: ${file} (evaluation.attributes.file): ${e instanceof Error ? e.message : e}`, {
      cause: e,
    });
  }
}

type Value = number | string | null;

/** Integers as they are, others to 4 decimals, or 4 significant digits when that would show only zeros (a small KID). */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v !== 0 && Math.abs(v) < 0.001 ? v.toExponential(3) : v.toFixed(4);
}

/** `flexi eval`: every quality signal it can compute for a schedule, and its speed-up; says which it could not and why. */
export async function evalCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('eval', argv, evalSpec);
  if (values.help) {
    const summary = 'measure a schedule: FID, rFID/KID/PSNR vs the teacher, CLIP score, class accuracy and speed-up';
    console.log(helpText('eval', summary, evalSpec));
    return 0;
  }
  const { device, threads } = values;
  const model = await openModel('eval', values.model, { device, threads });
  const interrupt = onInterrupt('interrupting');
  let pool: { dispose(): Promise<void> } | undefined;
  try {
    const schedule: Schedule = scheduleArg('eval', 'schedule', values.schedule, model.branches);
    const T = scheduleLength(schedule);
    const teacherSampler = values['teacher-sampler'];
    const { stored, note } = await withDefaultPrompts('eval', model, await readConditioning('eval', model, values));
    if (note) process.stderr.write(`${note}\n`);
    const missing: Record<string, string> = {};
    const takes = modelTakes(model);
    let clipDir = values.clip ?? modelClipDir(model);
    if (!takes.prompts) missing['clip'] = `model "${model.manifest.name}" (${model.manifest.family}) takes no prompts`;
    else if (clipDir === undefined)
      missing['clip'] = 'no --clip DIR (a CLIP export with image and text encoders), and the model names none';
    else if (!stored.prompts) missing['clip'] = 'no prompts to score against (--prompt, --prompts)';
    if (missing['clip']) clipDir = undefined;
    if (values.metric === 'clip' && missing['clip'])
      throw new CliError('no-clip', `flexi eval: --metric clip cannot be computed: ${missing['clip']}.`);
    const setup = await createEvaluationSetup('eval', model, {
      model: modelLocation(values.model),
      device,
      threads,
      ...generationValues(values),
      teacherSampler,
      teacherSteps: T,
      samples: values.samples,
      seed: values.seed,
      concurrency: 1,
      cacheDir: values['cache-dir'] ?? defaultCacheDir(),
      stored,
      features: values.features,
      featuresPreset: values['features-preset'],
      clip: clipDir,
      onWarning: warningPrinter('eval'),
    });
    pool = setup.pool;
    const { network } = setup;
    const bar = createProgressBar({ label: 'eval', total: 3 });
    bar.update(0, 'teacher');
    const signal = interrupt.signal;
    await setup.rfid.teacherStats({ signal }); // the teacher first, under its own progress step
    bar.update(1, 'schedule');
    const [res] = await setup.objective('psnr').evaluate([schedule], { signal });
    if (!res?.ok) throw new Error(`evaluation failed: ${res && !res.ok ? res.reason : 'no result'}`);
    const images = setup.lastImages()!;
    bar.update(2, 'timing');
    // wall-clock: the schedule and the teacher on the same seeds, in this run
    const nt = Math.min(values['timing-samples'], values.samples);
    const tseeds = setup.seeds.slice(0, nt);
    const conditioning = sliceConditioning(setup.conditioning, 0, nt);
    const wall = await measureWallClock(setup.pool, {
      rows: [{ label: 'schedule', schedule: formatSchedule(schedule) }],
      teacher: fullSchedule(T),
      teacherSampler,
      seeds: tseeds,
      conditioning,
      rounds: 1,
      signal,
    });
    const timed = wall.rows[0]!;
    bar.update(3);
    bar.done();
    const noNetwork = 'no feature network: pass --features FILE.onnx, or add featureNetwork to the manifest';
    // the setup read the reference statistics when they apply to its feature network
    const ref = setup.reference;
    if (!network) missing['fid'] = noNetwork;
    else if (!ref) missing['fid'] = referenceUnavailable(model, network.source)!;
    if (!network) missing['rfid'] = missing['kid'] = noNetwork;
    const logitsName = network?.source === 'manifest' ? model.manifest.featureNetwork?.logits : undefined;
    const labels = setup.conditioning.labels;
    const prompts = setup.conditioning.prompts;
    const rules = model.manifest.evaluation?.attributes && prompts ? await attributeRules(model) : undefined;
    if (!rules) {
      missing['brightnessAccuracy'] = missing['sizeAccuracy'] = prompts
        ? `model "${model.manifest.name}" has no prompt attribute rules (evaluation.attributes in its manifest)`
        : `model "${model.manifest.name}" (${model.manifest.family}) takes no prompts`;
    }
    if (!labels && !rules) {
      missing['classAccuracy'] = prompts
        ? `model "${model.manifest.name}" has no prompt attribute rules to read a class from its prompts (evaluation.attributes)`
        : `model "${model.manifest.name}" (${model.manifest.family}) is not class-conditional`;
    } else if (!logitsName) missing['classAccuracy'] = "no class logits: the manifest's featureNetwork has no logits output";
    const predicted =
      logitsName && network && (labels || rules)
        ? await predictClasses(network.extractor, images.data, images.dims, logitsName)
        : undefined;
    const range = model.imageOptions.range ?? [-1, 1];
    const adherence =
      rules && prompts
        ? scorePromptAdherence(toUint8Images(images.data, images.dims, range, model.manifest.image?.crop), prompts, rules, predicted)
        : undefined;
    const accuracy = (c: AdherenceCount | null | undefined, what: string): number | null => {
      if (!c) return null;
      if (c.accuracy === null) missing[what] = 'no prompt asks for it';
      return c.accuracy;
    };
    const m = res.metrics ?? {};
    const teacherClip = setup.clip ? await setup.teacherClip() : undefined;
    const results: Record<string, Value> = {
      schedule: formatSchedule(schedule),
      samples: values.samples,
      macSpeedup: scheduleCost(schedule, model.costProfile).speedup,
      wallSpeedup: timed.wallSpeedup,
      msPerSample: timed.msPerSample,
      teacherMsPerSample: wall.teacherMsPerSample,
      // measured by the evaluator on the same images (setup.reference)
      fid: m['fid'] ?? null,
      teacherFid: m['teacherFid'] ?? null,
      rfid: m['rfid'] ?? null,
      kid: m['kid'] ?? null,
      psnr: m['psnr'] ?? null,
      // the search's default objective, from the same measurements (what `flexi search --metric rfid-fid` minimises)
      'rfid-fid': objectiveOf('rfid-fid', m) ?? null,
      clip: m['clip'] ?? null,
      teacherClip: teacherClip ?? null,
      clipDrop: teacherClip !== undefined && m['clip'] !== undefined ? teacherClip - m['clip'] : null,
      classAccuracy:
        predicted && labels
          ? predicted.filter((p, i) => p === labels[i]).length / predicted.length
          : accuracy(adherence?.classAccuracy, 'classAccuracy'),
      brightnessAccuracy: accuracy(adherence?.brightnessAccuracy, 'brightnessAccuracy'),
      sizeAccuracy: accuracy(adherence?.sizeAccuracy, 'sizeAccuracy'),
    };
    const reasonOf = (k: string): string | undefined =>
      missing[k] ??
      (k === 'teacherFid'
        ? missing['fid']
        : k === 'rfid-fid'
          ? (missing['rfid'] ?? missing['fid'])
          : k === 'teacherClip' || k === 'clipDrop'
            ? missing['clip']
            : undefined);
    const notComputed: Record<string, string> = {};
    const wanted = values.metric;
    if (wanted !== undefined && (results[wanted] ?? null) === null) {
      throw new CliError('bad-option', `flexi eval: --metric ${wanted} cannot be computed: ${reasonOf(wanted) ?? 'not available'}.`);
    }
    const order = wanted === undefined ? Object.keys(results) : [wanted, ...Object.keys(results).filter((k) => k !== wanted)];
    for (const k of order) {
      const v = results[k]!;
      const why = v === null ? (reasonOf(k) ?? 'not available') : undefined;
      if (why) notComputed[k] = why;
      console.log(`${k.padEnd(18)} ${why ? `not computed: ${why}` : typeof v === 'number' ? formatNumber(v) : v}`);
    }
    const using = [network ? `features: ${network.description}` : undefined, setup.clip ? `CLIP: ${setup.clip.description}` : undefined];
    if (using.some(Boolean)) console.error(`flexi eval: ${using.filter(Boolean).join('; ')}`);
    if (values.json) await writeJson(values.json, { ...results, notComputed });
    return 0;
  } catch (e) {
    if (interrupt.interrupted) {
      console.error('\neval interrupted.');
      return EXIT_INTERRUPTED;
    }
    throw e;
  } finally {
    interrupt.dispose();
    await pool?.dispose();
    await model.dispose();
  }
}
