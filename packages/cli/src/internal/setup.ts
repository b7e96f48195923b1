import {
  OnnxFeatureExtractor,
  createRfidEvaluator,
  deserializeStats,
  fashionPreset,
  type FeatureStats,
  type RfidEvaluator,
  type RfidProgress,
} from '@flexiffusion/metrics';
import { fullSchedule, type Schedule } from '@flexiffusion/schedule';
import { CliError } from './args.js';
import { createGeneratorPool, type GeneratorPool, type PoolSettings } from './generator-pool.js';
import { fileStatsCache } from './files.js';
import { openModelSession, readModelFile, type CliModel } from './model.js';

/** The feature network of a model, opened on the model's backend. */
export async function openExtractor(command: string, model: CliModel): Promise<OnnxFeatureExtractor> {
  const fn = model.manifest.featureNetwork;
  if (!fn) {
    throw new CliError(
      'no-feature-network',
      `flexi ${command}: model "${model.manifest.name}" has no featureNetwork in its manifest: rFID needs one.`,
      { exitCode: 1 },
    );
  }
  const session = await openModelSession(model, fn.file, 'features');
  const { range = [-1, 1], crop } = model.imageOptions;
  return new OnnxFeatureExtractor(
    session,
    fashionPreset({
      id: `${model.manifest.name}-features`,
      input: fn.input,
      output: fn.features,
      dim: fn.dim,
      preprocess: {
        ...(crop ? { crop: { top: crop.top, left: crop.left, height: crop.height, width: crop.width } } : {}),
        range: { from: [range[0], range[1]], to: [0, 1], clamp: true },
      },
    }),
  );
}

/** The model's reference statistics (real data), when its manifest has them. */
export async function referenceStats(model: CliModel): Promise<FeatureStats | undefined> {
  const ref = model.manifest.referenceStats;
  if (!ref) return undefined;
  return deserializeStats(await readModelFile(model, ref.file));
}

/** What `eval` and `search` judge schedules with. */
export interface EvaluationSetup {
  readonly pool: GeneratorPool;
  readonly extractor: OnnxFeatureExtractor;
  readonly evaluator: RfidEvaluator;
  readonly teacher: Schedule;
  readonly seeds: readonly number[];
  readonly labels: readonly number[] | undefined;
  /** The images of the latest candidate generation (for eval's extra metrics). */
  lastImages(): { data: Float32Array; dims: [number, number, number, number] } | undefined;
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
}

/** Model + generator pool + extractor + rFID evaluator with a file-backed teacher cache. */
export async function createEvaluationSetup(
  command: string,
  model: CliModel,
  s: EvaluationSettings,
  onProgress?: (e: RfidProgress) => void,
): Promise<EvaluationSetup> {
  const pool = await createGeneratorPool(s, s.concurrency, model);
  const extractor = await openExtractor(command, model);
  const numClasses = model.manifest.conditioning?.numClasses ?? 0;
  const seeds = Array.from({ length: s.samples }, (_, i) => s.seed + i);
  const labels = numClasses > 0 ? seeds.map((_, i) => i % numClasses) : undefined;
  const teacher = fullSchedule(s.teacherSteps);
  let last: { data: Float32Array; dims: [number, number, number, number] } | undefined;
  const evaluator = createRfidEvaluator({
    generate: async (schedule, req) => {
      const r = await pool.generate({
        schedule,
        seeds: req.seeds,
        labels: req.labels,
        signal: req.signal,
        ...(schedule === teacher && s.teacherSampler ? { sampler: s.teacherSampler } : {}),
      });
      last = { data: r.samples, dims: [...r.shape] };
      return { data: r.samples, dims: [...r.shape] };
    },
    extractor,
    teacher,
    seeds,
    ...(labels ? { labels } : {}),
    costProfile: model.costProfile,
    cache: fileStatsCache(s.cacheDir),
    modelId: `${model.manifest.name}:${model.manifest.unet.sha256 ?? 'unhashed'}`,
    // keys the teacher's cached statistics: the teacher's own sampler settings
    sampler: {
      sampler: s.teacherSampler ?? s.sampler,
      guidance: s.guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1,
      nullMode: s.nullMode,
      batchSize: s.batchSize,
    },
    ...(onProgress ? { onProgress } : {}),
  });
  return { pool, extractor, evaluator, teacher, seeds, labels, lastImages: () => last };
}
