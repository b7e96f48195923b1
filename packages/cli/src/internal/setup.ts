import {
  createRfidEvaluator,
  deserializeStats,
  teacherStatsKey,
  type FeatureExtractor,
  type FeatureStats,
  type GenerateRequest,
  type RfidEvaluator,
  type RfidProgress,
} from '@flexiffusion/metrics';
import { formatSchedule, fullSchedule, type Evaluator, type Schedule } from '@flexiffusion/schedule';
import { CliError } from './args.js';
import { modelClipDir, openClip, type ClipJudge } from './clip.js';
import { modelTakes, sampleConditioning, type SampleConditioning, type StoredConditioning } from './conditions.js';
import { NO_FEATURES, openFeatureNetwork, type FeatureNetwork, type FeaturePreset } from './features.js';
import { fileStatsCache } from './files.js';
import { createGeneratorPool, type GeneratorPool, type PoolSettings } from './generator-pool.js';
import { checkRequest, modelId, readModelFile, type CliModel } from './model.js';
import { DATA_METRICS, objectiveEvaluator, type MetricName } from './objective.js';

/**
 * Why the model's reference statistics cannot judge with the feature network of `source` (the
 * manifest's, `--features`, or none), or undefined when they can: they are statistics in the
 * manifest's own featureNetwork space.
 */
export function referenceUnavailable(model: CliModel, source: FeatureNetwork['source'] | undefined): string | undefined {
  if (!model.manifest.referenceStats) return `model "${model.manifest.name}" has no referenceStats in its manifest`;
  if (source === 'file') return "the manifest's referenceStats belong to its own featureNetwork, not --features";
  if (source === undefined) return `model "${model.manifest.name}" has no featureNetwork for its referenceStats`;
  return undefined;
}

/** The model's reference statistics (real data), when its manifest has them. */
export async function referenceStats(model: CliModel): Promise<FeatureStats | undefined> {
  const ref = model.manifest.referenceStats;
  if (!ref) return undefined;
  return deserializeStats(await readModelFile(model, ref.file));
}

type Images = { data: Float32Array; dims: [number, number, number, number] };

/** What `eval` and `search` judge schedules with. */
export interface EvaluationSetup {
  readonly pool: GeneratorPool;
  /** The feature network of rFID and KID, when there is one. */
  readonly network: FeatureNetwork | undefined;
  /** The CLIP export of `--clip`, when given. */
  readonly clip: ClipJudge | undefined;
  /** The model's reference statistics, when its own feature network judges (then results report `fid`). */
  readonly reference: FeatureStats | undefined;
  /** Measures every signal against the teacher (rFID, KID, PSNR, ...). */
  readonly rfid: RfidEvaluator;
  /** `rfid` with the objective of `metric` (and CLIP scores when `--clip` is given). */
  objective(metric: MetricName): Evaluator;
  readonly teacher: Schedule;
  readonly seeds: readonly number[];
  readonly conditioning: SampleConditioning;
  /** The teacher's CLIP score (generated once, then cached on disk). */
  teacherClip(): Promise<number>;
  /** The images of the latest candidate generation (for eval's extra metrics). */
  lastImages(): Images | undefined;
}

/** Settings of {@link createEvaluationSetup}. */
export interface EvaluationSettings extends PoolSettings {
  readonly teacherSteps: number;
  readonly samples: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly cacheDir: string;
  readonly threads?: number | undefined;
  /** The teacher's sampler when it differs from the candidates' (`sampler`). */
  readonly teacherSampler?: PoolSettings['sampler'] | undefined;
  readonly stored: StoredConditioning;
  readonly features?: string | undefined;
  readonly featuresPreset: FeaturePreset;
  readonly clip?: string | undefined;
  /** `search --metric`: checked at start against what it needs. */
  readonly metric?: MetricName | undefined;
}

function needs(command: string, model: CliModel, s: EvaluationSettings, network: FeatureNetwork | undefined): void {
  const m = s.metric;
  if (m !== undefined && DATA_METRICS.includes(m)) {
    const why = referenceUnavailable(model, network?.source);
    if (why !== undefined) {
      throw new CliError(
        'no-reference',
        `flexi ${command}: --metric ${m} compares with real data, but ${why}. Choose --metric rfid (the paper's signal), kid or psnr.`,
      );
    }
  }
  if ((m === 'rfid' || m === 'kid') && !network) {
    throw new CliError(
      'no-feature-network',
      `flexi ${command}: --metric ${m} needs a feature network, and model "${model.manifest.name}" has no featureNetwork ` +
        "in its manifest. Pass --features FILE.onnx (e.g. --features inception.onnx, pytorch-fid's Inception exported once; " +
        'see docs/bring-your-own-model.md), or choose --metric psnr.',
    );
  }
  if (m === 'clip') {
    if (s.clip === undefined) {
      throw new CliError('no-clip', `flexi ${command}: --metric clip needs --clip DIR (a CLIP export; see docs/bring-your-own-model.md).`);
    }
    if (!modelTakes(model).prompts) {
      throw new CliError(
        'no-prompts',
        `flexi ${command}: --metric clip scores prompt-image agreement, but model "${model.manifest.name}" ` +
          `(${model.manifest.family}) takes no prompts. Choose --metric rfid, kid or psnr.`,
      );
    }
    if (!s.stored.prompts) throw new CliError('no-prompts', `flexi ${command}: --metric clip needs prompts: pass --prompt or --prompts.`);
  }
}

/**
 * Everything `eval` and `search` judge with, checked before anything is written: the sample
 * conditioning (checked against the model by a request that runs no network), the feature network
 * and CLIP export (each probed once), then the generator pool and the rFID evaluator with a
 * file-backed teacher cache keyed by the model's content hash.
 */
export async function createEvaluationSetup(
  command: string,
  model: CliModel,
  given: EvaluationSettings,
  onProgress?: (e: RfidProgress) => void,
): Promise<EvaluationSetup> {
  // the model's own CLIP judge (evaluation.clip) when --clip is not given
  const own = modelTakes(model).prompts && given.stored.prompts ? modelClipDir(model) : undefined;
  const s: EvaluationSettings = { ...given, clip: given.clip ?? own };
  const seeds = Array.from({ length: s.samples }, (_, i) => s.seed + i);
  const conditioning = sampleConditioning(command, model, s.stored, s.samples);
  const teacher = fullSchedule(s.teacherSteps);
  const request = {
    nullMode: s.nullMode,
    batchSize: s.batchSize,
    ...(s.guidanceScale !== undefined ? { guidanceScale: s.guidanceScale } : {}),
    ...(s.height !== undefined ? { height: s.height } : {}),
    ...(s.width !== undefined ? { width: s.width } : {}),
    ...(s.onWarning ? { onWarning: s.onWarning } : {}),
  };
  await checkRequest(command, model, { schedule: teacher, seeds, ...conditioning, ...request, sampler: s.teacherSampler ?? s.sampler });
  const network = await openFeatureNetwork(command, model, { features: s.features, preset: s.featuresPreset });
  needs(command, model, s, network);
  const clip = s.clip !== undefined ? await openClip(command, model, s.clip) : undefined;
  const pool = await createGeneratorPool(s, s.concurrency, model);
  // real data in the model's own feature space: every result then reports fid and teacherFid
  const reference = referenceUnavailable(model, network?.source) === undefined ? await referenceStats(model) : undefined;
  const cache = fileStatsCache(s.cacheDir);
  const id = modelId(model);
  // keys the teacher's cached statistics: the teacher's own sampler settings
  const sampler = {
    sampler: s.teacherSampler ?? s.sampler,
    guidance: s.guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1,
    nullMode: s.nullMode,
    batchSize: s.batchSize,
    ...(s.height !== undefined ? { height: s.height } : {}),
    ...(s.width !== undefined ? { width: s.width } : {}),
  };
  const negatives =
    conditioning.negativePrompts ?? (conditioning.negativePrompt !== undefined ? seeds.map(() => conditioning.negativePrompt!) : undefined);
  const clipKey = clip
    ? `clip-score-${teacherStatsKey({
        modelId: id,
        teacher: formatSchedule(teacher),
        seeds,
        ...(conditioning.prompts ? { prompts: conditioning.prompts } : {}),
        ...(negatives ? { negativePrompts: negatives } : {}),
        sampler,
        extractorId: clip.id,
        kind: 'stats',
      })}`
    : undefined;
  const clipScores = new Map<string, number>();
  let teacherClipValue: number | undefined;
  let last: Images | undefined;
  let pending: Schedule | undefined;
  const recordClip = async (schedule: Schedule, images: Images): Promise<void> => {
    if (!clip) return;
    const score = await clip.score(images.data, images.dims, conditioning.prompts ?? seeds.map(() => ''));
    clipScores.set(formatSchedule(schedule), score);
    if (schedule === teacher) {
      teacherClipValue = score;
      await cache.set(clipKey!, new Uint8Array(new Float64Array([score]).buffer));
    }
  };
  const generate = async (schedule: Schedule, req: Pick<GenerateRequest, 'seeds' | 'signal'>): Promise<Images> => {
    const r = await pool.generate({
      schedule,
      seeds: req.seeds,
      conditioning,
      signal: req.signal,
      ...(schedule === teacher && s.teacherSampler ? { sampler: s.teacherSampler } : {}),
    });
    const images: Images = { data: r.samples, dims: [...r.shape] };
    pending = schedule;
    last = images;
    return images;
  };
  // The CLIP score is measured where the evaluator extracts features (counted in extractMs, not in the generation latency).
  const features = network?.extractor ?? NO_FEATURES;
  const extractor: FeatureExtractor = !clip
    ? features
    : {
        id: features.id,
        dim: features.dim,
        async extract(images, dims, options) {
          const out = await features.extract(images, dims, options);
          const schedule = pending;
          pending = undefined;
          if (schedule) await recordClip(schedule, { data: images, dims: [...dims] });
          return out;
        },
      };
  const rfid = createRfidEvaluator({
    generate,
    extractor,
    teacher,
    seeds,
    ...(conditioning.labels ? { labels: conditioning.labels } : {}),
    ...(conditioning.prompts ? { prompts: conditioning.prompts } : {}),
    ...(negatives ? { negativePrompts: negatives } : {}),
    ...(network ? {} : { kid: false as const }),
    costProfile: model.costProfile,
    cache,
    modelId: id,
    sampler,
    ...(reference ? { reference } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const teacherClip = async (): Promise<number> => {
    if (!clip) throw new Error('no --clip');
    if (teacherClipValue !== undefined) return teacherClipValue;
    const bytes = await cache.get(clipKey!);
    if (bytes?.byteLength === 8) return (teacherClipValue = new Float64Array(bytes.slice().buffer)[0]!);
    await recordClip(teacher, await generate(teacher, { seeds }));
    pending = undefined;
    return teacherClipValue!;
  };
  return {
    pool,
    network,
    clip,
    reference,
    rfid,
    objective: (metric) =>
      objectiveEvaluator(rfid, {
        metric,
        drop: network ? [] : ['rfid', 'kid', 'kidStd'],
        ...(clip ? { clipOf: (sch: Schedule) => clipScores.get(formatSchedule(sch)), teacherClip } : {}),
      }),
    teacher,
    seeds,
    conditioning,
    teacherClip,
    lastImages: () => last,
  };
}
