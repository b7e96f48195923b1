import type { CostProfile, Schedule } from '@flexiffusion/schedule';
import { MetricsError } from '../errors.js';
import type { FeatureStats } from '../feature-stats.js';
import type { FrechetRoute } from '../frechet.js';
import type { GenerateFn } from '../generator.js';
import type { FeatureExtractor } from '../onnx-extractor.js';
import type { RfidEvaluatorOptions, RfidProgress } from '../rfid-options.js';
import { teacherStatsKey } from '../stats-cache.js';
import { scheduleText } from './schedule-text.js';
import type { TeacherCacheEntry } from './teacher-cache.js';
import { checkInt, checkPositive, describe } from './validate.js';

/**
 * KID settings with their defaults applied.
 *
 * @internal
 */
export interface RfidKidSettings {
  readonly subsetSize: number;
  readonly subsets: number;
  readonly seed: number;
}

/**
 * {@link RfidEvaluatorOptions} checked, with the defaults applied and the first N seeds and labels
 * taken.
 *
 * @internal
 */
export interface RfidSettings {
  readonly generate: GenerateFn;
  readonly extractor: FeatureExtractor;
  readonly teacher: Schedule;
  readonly onProgress: ((event: RfidProgress) => void) | undefined;
  /** Feature dimension of the extractor. */
  readonly dim: number;
  /** Number of samples N. */
  readonly n: number;
  readonly seeds: readonly number[];
  readonly labels: readonly number[] | undefined;
  readonly prompts: readonly string[] | undefined;
  readonly negativePrompts: readonly string[] | undefined;
  readonly paired: boolean;
  readonly dataRange: number;
  readonly maxPsnrDb: number;
  /** Undefined with `kid: false`. */
  readonly kid: RfidKidSettings | undefined;
  readonly imageShape: readonly [c: number, h: number, w: number] | undefined;
  readonly costProfile: CostProfile | undefined;
  readonly route: FrechetRoute;
  /** The cache and the keys of the teacher's entries; undefined without a cache. */
  readonly cacheEntry: TeacherCacheEntry | undefined;
  /** Statistics of real data (`reference`), checked against the extractor's dimension. */
  readonly reference: FeatureStats | undefined;
}

/**
 * Check the options of {@link createRfidEvaluator} and resolve their defaults and cache keys.
 *
 * @param options - The evaluator's options.
 * @returns The settings.
 * @throws {@link MetricsError} `invalid-option` for missing or inconsistent options (e.g. a cache
 *   without `modelId`, fewer labels than samples).
 * @internal
 */
export function resolveRfidSettings(options: RfidEvaluatorOptions): RfidSettings {
  if (typeof options !== 'object' || options === null) {
    throw new MetricsError('invalid-option', `Invalid rFID evaluator options ${describe(options)}: expected an object.`);
  }
  const { generate, extractor, teacher, cache, onProgress } = options;
  if (typeof generate !== 'function') {
    throw new MetricsError(
      'invalid-option',
      `Invalid generate ${describe(generate)}: expected a function (schedule, { seeds, labels, signal }) => Promise<{ data, dims }>.`,
    );
  }
  if (typeof extractor !== 'object' || extractor === null || typeof extractor.extract !== 'function') {
    throw new MetricsError('invalid-option', `Invalid extractor ${describe(extractor)}: expected a FeatureExtractor { id, dim, extract }.`);
  }
  const dim = checkInt(extractor.dim, 'extractor.dim', 1);
  const teacherText = scheduleText(teacher, 'teacher');
  if (!Array.isArray(options.seeds) || options.seeds.some((s) => !Number.isSafeInteger(s))) {
    throw new MetricsError('invalid-option', `Invalid seeds ${describe(options.seeds)}: expected an array of integers, one per sample.`);
  }
  const n =
    options.samples === undefined
      ? options.seeds.length
      : checkInt(options.samples, `samples (seeds holds ${options.seeds.length})`, 2, options.seeds.length);
  if (n < 2) {
    throw new MetricsError('invalid-option', `rFID needs at least 2 samples: got ${n} seed${n === 1 ? '' : 's'}.`);
  }
  const seeds = Object.freeze(options.seeds.slice(0, n));
  let labels: readonly number[] | undefined;
  if (options.labels !== undefined) {
    if (!Array.isArray(options.labels) || options.labels.length < n || options.labels.some((l) => !Number.isSafeInteger(l))) {
      throw new MetricsError(
        'invalid-option',
        `Invalid labels ${describe(options.labels)}: expected at least ${n} integers (one per sample).`,
      );
    }
    labels = Object.freeze(options.labels.slice(0, n));
  }
  const prompts = perSampleTexts(options.prompts, 'prompts', n);
  const negativePrompts = perSampleTexts(options.negativePrompts, 'negativePrompts', n);
  if (cache !== undefined && (typeof cache.get !== 'function' || typeof cache.set !== 'function')) {
    throw new MetricsError('invalid-option', `Invalid cache ${describe(cache)}: expected a StatsCache { get, set }.`);
  }
  if (cache !== undefined && (typeof options.modelId !== 'string' || options.modelId.length === 0)) {
    throw new MetricsError(
      'invalid-option',
      `A cache needs modelId (a hash identifying the model), got ${describe(options.modelId)}: ` +
        'without it a changed model could reuse stale teacher statistics.',
    );
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new MetricsError('invalid-option', `Invalid onProgress ${describe(onProgress)}: expected a function.`);
  }
  const paired = options.paired !== false;
  const dataRange = checkPositive(options.dataRange ?? 2, 'dataRange');
  const maxPsnrDb = options.maxPsnrDb ?? 100;
  if (typeof maxPsnrDb !== 'number' || Number.isNaN(maxPsnrDb)) {
    throw new MetricsError('invalid-option', `Invalid maxPsnrDb ${describe(maxPsnrDb)}: expected a number.`);
  }
  const kidOpt = options.kid;
  let kid: RfidKidSettings | undefined;
  if (kidOpt !== false) {
    const k = kidOpt ?? {};
    const subsetSize = k.subsetSize === undefined ? Math.min(1000, n) : checkInt(k.subsetSize, 'kid.subsetSize', 2, n);
    kid = {
      subsetSize,
      subsets: k.subsets === undefined ? (subsetSize === n ? 1 : 100) : checkInt(k.subsets, 'kid.subsets', 1),
      seed: k.seed === undefined ? 0 : checkInt(k.seed, 'kid.seed', Number.MIN_SAFE_INTEGER),
    };
  }
  const imageShape = options.imageShape;
  if (
    imageShape !== undefined &&
    (!Array.isArray(imageShape) || imageShape.length !== 3 || imageShape.some((v) => !Number.isSafeInteger(v) || v < 1))
  ) {
    throw new MetricsError('invalid-option', `Invalid imageShape ${describe(imageShape)}: expected [C, H, W] with positive integers.`);
  }
  const keyParts = {
    modelId: options.modelId ?? '',
    teacher: teacherText,
    seeds,
    ...(labels === undefined ? {} : { labels }),
    ...(prompts === undefined ? {} : { prompts }),
    ...(negativePrompts === undefined ? {} : { negativePrompts }),
    ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
    extractorId: String(extractor.id),
  };
  const cacheEntry: TeacherCacheEntry | undefined =
    cache === undefined
      ? undefined
      : {
          cache,
          statsKey: teacherStatsKey({ ...keyParts, kind: 'stats' }),
          imagesKey: paired ? teacherStatsKey({ ...keyParts, kind: 'images' }) : undefined,
        };
  return {
    generate,
    extractor,
    teacher,
    onProgress,
    dim,
    n,
    seeds,
    labels,
    prompts,
    negativePrompts,
    paired,
    dataRange,
    maxPsnrDb,
    kid,
    imageShape,
    costProfile: options.costProfile,
    route: options.frechetRoute ?? 'auto',
    cacheEntry,
    reference: checkReference(options.reference, dim),
  };
}

function checkReference(reference: FeatureStats | undefined, dim: number): FeatureStats | undefined {
  if (reference === undefined) return undefined;
  const r = reference as Partial<FeatureStats> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    !(r.mean instanceof Float64Array) ||
    !(r.cov instanceof Float64Array) ||
    typeof r.count !== 'number' ||
    r.dim !== dim ||
    r.mean.length !== dim ||
    r.cov.length !== dim * dim
  ) {
    throw new MetricsError(
      'invalid-option',
      `Invalid reference ${describe(reference)}: expected FeatureStats of dimension ${dim} (the extractor's), ` +
        `e.g. from featureStats() or deserializeStats(); got dimension ${describe(r?.dim)}.`,
    );
  }
  return reference;
}

function perSampleTexts(texts: readonly string[] | undefined, name: string, n: number): readonly string[] | undefined {
  if (texts === undefined) return undefined;
  if (!Array.isArray(texts) || texts.length < n || texts.some((t) => typeof t !== 'string')) {
    throw new MetricsError('invalid-option', `Invalid ${name} ${describe(texts)}: expected at least ${n} strings (one per sample).`);
  }
  return Object.freeze(texts.slice(0, n));
}
