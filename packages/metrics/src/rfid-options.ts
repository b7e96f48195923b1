import type { CostProfile, Schedule } from '@flexiffusion/schedule';
import type { FeatureStats } from './feature-stats.js';
import type { FrechetRoute } from './frechet.js';
import type { GenerateFn } from './generator.js';
import type { FeatureExtractor } from './onnx-extractor.js';
import type { StatsCache } from './stats-cache.js';

/**
 * A progress event of an rFID evaluator.
 *
 * @public
 */
export interface RfidProgress {
  /** `teacher` while preparing the teacher's statistics, `candidate` while evaluating schedules. */
  readonly phase: 'teacher' | 'candidate';
  /** What just started (`generate`, `extract`, `score`) or happened (`cache-hit`, `cached`, `done`). */
  readonly step: 'cache-hit' | 'generate' | 'extract' | 'score' | 'cached' | 'done';
  /** Index of the candidate in the `evaluate` call (−1 for the teacher). */
  readonly index: number;
  /** Number of candidates in the `evaluate` call (0 for the teacher). */
  readonly total: number;
}

/**
 * KID settings of the rFID evaluator.
 *
 * @public
 */
export interface RfidKidOptions {
  /** Number of subsets; default 100, or 1 when `subsetSize` is the whole sample set. */
  readonly subsets?: number;
  /** Samples per subset; default min(1000, N). */
  readonly subsetSize?: number;
  /** Seed of the subset sampler; default 0 (the same subsets for every candidate). */
  readonly seed?: number;
}

/**
 * Options of {@link createRfidEvaluator}.
 *
 * @public
 */
export interface RfidEvaluatorOptions {
  /** Generates the images of a schedule for the seeds and labels. */
  readonly generate: GenerateFn;
  /** Feature network (e.g. an {@link OnnxFeatureExtractor} with {@link fashionPreset}). */
  readonly extractor: FeatureExtractor;
  /** The teacher schedule (typically all full steps); its images are the reference. */
  readonly teacher: Schedule;
  /** One seed per sample; the same seeds are used for the teacher and every candidate. */
  readonly seeds: readonly number[];
  /** One label per sample (conditional models); at least `samples` of them. */
  readonly labels?: readonly number[];
  /**
   * One prompt per sample (text-to-image models); at least `samples` of them. Passed to `generate`
   * and part of the cache key.
   */
  readonly prompts?: readonly string[];
  /** One negative prompt per sample; at least `samples` of them. Passed to `generate` and part of the cache key. */
  readonly negativePrompts?: readonly string[];
  /** Number of samples N; default `seeds.length` (the first N seeds and labels are used). */
  readonly samples?: number;
  /** When given, each result also reports `macs` and `speedup` (over all-full of the same T). */
  readonly costProfile?: CostProfile;
  /** Cache of the teacher's statistics (and images, for paired metrics). Needs `modelId`. */
  readonly cache?: StatsCache;
  /** Identity of the model (e.g. the SHA-256 of its weights or manifest); part of the cache key. */
  readonly modelId?: string;
  /** Sampler and generation settings (name, steps, eta, guidance, ...); part of the cache key. */
  readonly sampler?: unknown;
  /** Progress events. */
  readonly onProgress?: (event: RfidProgress) => void;
  /** KID settings, or `false` to skip KID. */
  readonly kid?: RfidKidOptions | false;
  /**
   * Report paired metrics against the teacher image of the same seed (`mse`, `psnr`); default
   * `true`. Keeps the teacher images in memory (and in the cache).
   */
  readonly paired?: boolean;
  /** Value range width of the images for PSNR; default 2 (samples in [−1, 1]). */
  readonly dataRange?: number;
  /** Upper bound on per-sample PSNR in dB (identical images); default 100. */
  readonly maxPsnrDb?: number;
  /**
   * Statistics of real data in the extractor's feature space (e.g. a model's reference statistics).
   * When given, each result also reports `fid` (the candidate's Fréchet distance to them at N,
   * on the evaluator's seeds) and `teacherFid` (the teacher's, the same for every candidate):
   * what a data-aware objective needs.
   */
  readonly reference?: FeatureStats;
  /** Route of the Fréchet distance; default `auto`. */
  readonly frechetRoute?: FrechetRoute;
  /**
   * Shape [C, H, W] of one image, for generators that return a bare `Float32Array`; ignored
   * when they return `{ data, dims }`.
   */
  readonly imageShape?: readonly [c: number, h: number, w: number];
}
