import type { EvaluateOptions, EvaluationResult, Evaluator, Schedule } from '@flexiffusion/schedule';
import { MetricsError } from './errors.js';
import type { FeatureStats } from './feature-stats.js';
import { frechetDistance } from './frechet.js';
import type { GeneratedImages, GenerateRequest } from './generator.js';
import { errorMessage, fail, isAbort } from './internal/evaluation-failure.js';
import { checkGenerated } from './internal/generated-images.js';
import { resolveRfidSettings } from './internal/rfid-settings.js';
import { costOf } from './internal/schedule-cost.js';
import { scheduleText } from './internal/schedule-text.js';
import { readCachedTeacher, writeCachedTeacher, type Teacher } from './internal/teacher-cache.js';
import { checkFinite, describe, throwIfAborted } from './internal/validate.js';
import { kernelInceptionDistance } from './kid.js';
import { pairedMse } from './paired.js';
import type { RfidEvaluatorOptions, RfidProgress } from './rfid-options.js';
import { featureStats } from './stats.js';

/**
 * An rFID {@link Evaluator} with access to the teacher's statistics.
 *
 * @public
 */
export interface RfidEvaluator extends Evaluator {
  /** The cache key of the teacher statistics (undefined without a cache). */
  readonly cacheKey: string | undefined;
  /**
   * The teacher's feature statistics (with features): generated and extracted on first use,
   * or read from the cache.
   *
   * @param options - `signal` to abort.
   */
  teacherStats(options?: { readonly signal?: AbortSignal }): Promise<FeatureStats>;
}

/**
 * Create the rFID evaluator of the Flexiffusion search: each candidate schedule generates images
 * from the same seeds and labels as the teacher, and its quality is the Fréchet distance between
 * its images' features and the teacher's (rFID, the objective), plus KID, paired MSE/PSNR
 * against the teacher image of the same seed, the generation latency and optionally the cost.
 *
 * The teacher's statistics are computed once (on the first `evaluate` or `teacherStats` call)
 * and, with a `cache`, stored under a key hashing the model id, teacher schedule, seeds, labels,
 * prompts, sampler settings and extractor id, so that any change recomputes them.
 *
 * Result metrics: `rfid`, `kid`, `kidStd` (unless `kid: false`; paired KID, see
 * `KidOptions.paired`), `mse`, `psnr` (unless `paired: false`), `latencyMs` (wall time of
 * `generate`), `extractMs`, `macs` and `speedup` with a `costProfile`, and `fid`, `teacherFid` (distances to
 * real data at N) with a `reference`. A candidate whose
 * generation or extraction fails, or whose images hold NaN, is reported as `{ ok: false, reason }`;
 * an abort rejects the whole call.
 *
 * @param options - Generator, extractor, teacher, seeds and settings.
 * @returns The evaluator.
 * @throws {@link MetricsError} `invalid-option` for missing or inconsistent options (e.g. a
 *   cache without `modelId`, fewer labels than samples).
 * @example
 * ```ts
 * const evaluator = createRfidEvaluator({
 *   generate: (schedule, { seeds, labels, signal }) => pipeline.generate(schedule, { seeds, labels, signal }),
 *   extractor: new OnnxFeatureExtractor(featureSession, fashionPreset()),
 *   teacher: parseSchedule('F F F F F | F F F F F'),
 *   seeds: Array.from({ length: 256 }, (_, i) => i),
 *   labels: Array.from({ length: 256 }, (_, i) => i % 10),
 *   cache: createMemoryStatsCache(),
 *   modelId: manifest.sha256,
 *   sampler: { name: 'ddim', steps: 10, guidance: 2 },
 * });
 * const [result] = await evaluator.evaluate([parseSchedule('F P0 N N N | F P0 N N N')]);
 * ```
 * @public
 */
export function createRfidEvaluator(options: RfidEvaluatorOptions): RfidEvaluator {
  const settings = resolveRfidSettings(options);
  const { generate, extractor, teacher, onProgress, dim, n, seeds, labels, prompts, negativePrompts } = settings;
  const { paired, dataRange, maxPsnrDb, imageShape } = settings;
  const { costProfile, route, cacheEntry, reference } = settings;
  const kidSettings = settings.kid;
  const progress = (e: RfidProgress): void => onProgress?.(Object.freeze(e));

  /** Run the generator and normalise a bare Float32Array to { data, dims }. */
  async function run(schedule: Schedule, signal: AbortSignal | undefined): Promise<GeneratedImages> {
    const out = await generate(schedule, request(signal));
    if (!(out instanceof Float32Array)) return out;
    if (imageShape === undefined) {
      throw new MetricsError(
        'invalid-option',
        `The generator returned a bare Float32Array of ${out.length} values: ` +
          'pass imageShape [C, H, W] to the evaluator, or return { data, dims }.',
      );
    }
    return { data: out, dims: [n, ...imageShape] as const };
  }

  const request = (signal: AbortSignal | undefined): GenerateRequest =>
    Object.freeze({
      seeds,
      ...(labels === undefined ? {} : { labels }),
      ...(prompts === undefined ? {} : { prompts }),
      ...(negativePrompts === undefined ? {} : { negativePrompts }),
      ...(signal === undefined ? {} : { signal }),
    });

  async function prepareTeacher(signal: AbortSignal | undefined): Promise<Teacher> {
    throwIfAborted(signal);
    const cached = cacheEntry === undefined ? undefined : await readCachedTeacher(cacheEntry, dim, n);
    if (cached !== undefined) {
      progress({ phase: 'teacher', step: 'cache-hit', index: -1, total: 0 });
      return cached;
    }
    progress({ phase: 'teacher', step: 'generate', index: -1, total: 0 });
    let gen: GeneratedImages;
    try {
      gen = await run(teacher, signal);
    } catch (e) {
      throwIfAborted(signal);
      throw new MetricsError('generation-failed', `Generating the teacher images failed: ${errorMessage(e)}`, { cause: e });
    }
    throwIfAborted(signal);
    const dims = checkGenerated(gen, n, undefined, 'teacher');
    checkFinite(gen.data, 'The teacher images');
    progress({ phase: 'teacher', step: 'extract', index: -1, total: 0 });
    const features = await extractFeatures(gen, signal);
    const stats = featureStats(features, dim, { keepFeatures: true });
    if (cacheEntry !== undefined) {
      await writeCachedTeacher(cacheEntry, stats, gen.data, dims);
      progress({ phase: 'teacher', step: 'cached', index: -1, total: 0 });
    }
    progress({ phase: 'teacher', step: 'done', index: -1, total: 0 });
    return { stats, features, images: paired ? gen.data : undefined, dims };
  }

  async function extractFeatures(gen: GeneratedImages, signal: AbortSignal | undefined): Promise<Float32Array> {
    const features = await extractor.extract(gen.data, gen.dims, signal === undefined ? {} : { signal });
    if (!(features instanceof Float32Array) || features.length !== n * dim) {
      throw new MetricsError(
        'invalid-argument',
        `The extractor returned ${describe(features)}: expected a Float32Array of ${n} × ${dim} = ${n * dim} features.`,
      );
    }
    return features;
  }

  let teacherPromise: Promise<Teacher> | undefined;
  /** The teacher's distance to `reference`, computed with the first candidate. */
  let teacherFid: number | undefined;
  function getTeacher(signal: AbortSignal | undefined): Promise<Teacher> {
    teacherPromise ??= prepareTeacher(signal).catch((e: unknown) => {
      teacherPromise = undefined;
      throw e;
    });
    return teacherPromise;
  }

  async function evaluateOne(
    schedule: Schedule,
    t: Teacher,
    index: number,
    total: number,
    signal: AbortSignal | undefined,
  ): Promise<EvaluationResult> {
    const metrics: Record<string, number> = {};
    if (costProfile !== undefined) Object.assign(metrics, costOf(schedule, costProfile));
    progress({ phase: 'candidate', step: 'generate', index, total });
    const t0 = now();
    let gen: GeneratedImages;
    try {
      gen = await run(schedule, signal);
    } catch (e) {
      throwIfAborted(signal);
      if (isAbort(e)) throw new MetricsError('aborted', 'The evaluation was aborted.', { cause: e });
      return fail(`generate failed: ${errorMessage(e)}`);
    }
    metrics['latencyMs'] = now() - t0;
    throwIfAborted(signal);
    try {
      checkGenerated(gen, n, paired ? t.dims : undefined, 'candidate');
      checkFinite(gen.data, 'The generated images');
    } catch (e) {
      return fail(errorMessage(e));
    }
    progress({ phase: 'candidate', step: 'extract', index, total });
    const t1 = now();
    let features: Float32Array;
    try {
      features = await extractFeatures(gen, signal);
      checkFinite(features, 'The extracted features');
    } catch (e) {
      throwIfAborted(signal);
      if (isAbort(e)) throw new MetricsError('aborted', 'The evaluation was aborted.', { cause: e });
      return fail(`feature extraction failed: ${errorMessage(e)}`);
    }
    metrics['extractMs'] = now() - t1;
    progress({ phase: 'candidate', step: 'score', index, total });
    const stats = featureStats(features, dim, { keepFeatures: true });
    const rfid = frechetDistance(stats, t.stats, { route });
    metrics['rfid'] = rfid;
    if (reference !== undefined) {
      teacherFid ??= frechetDistance(t.stats, reference, { route });
      metrics['fid'] = frechetDistance(stats, reference, { route });
      metrics['teacherFid'] = teacherFid;
    }
    if (kidSettings !== undefined) {
      const k = kernelInceptionDistance(features, t.features, dim, { ...kidSettings, paired: true });
      metrics['kid'] = k.mean;
      metrics['kidStd'] = k.std;
    }
    if (paired && t.images !== undefined) {
      const mse = pairedMse(gen.data, t.images, { samples: n });
      metrics['mse'] = mse.mean;
      let sum = 0;
      const r2 = dataRange * dataRange;
      for (const m of mse.perSample) sum += m === 0 ? maxPsnrDb : Math.min(maxPsnrDb, 10 * Math.log10(r2 / m));
      metrics['psnr'] = sum / n;
    }
    progress({ phase: 'candidate', step: 'done', index, total });
    return Object.freeze({ ok: true as const, objective: rfid, metrics: Object.freeze(metrics) });
  }

  const evaluator: RfidEvaluator = {
    cacheKey: cacheEntry?.statsKey,
    async teacherStats(opts = {}): Promise<FeatureStats> {
      return (await getTeacher(opts.signal)).stats;
    },
    async evaluate(schedules: readonly Schedule[], opts: EvaluateOptions = {}): Promise<readonly EvaluationResult[]> {
      if (!Array.isArray(schedules)) {
        throw new MetricsError('invalid-argument', `Invalid schedules ${describe(schedules)}: expected an array of schedules.`);
      }
      const signal = opts.signal;
      throwIfAborted(signal);
      const t = await getTeacher(signal);
      const results: EvaluationResult[] = [];
      for (let i = 0; i < schedules.length; i++) {
        throwIfAborted(signal);
        let r: EvaluationResult;
        try {
          scheduleText(schedules[i], `schedules[${i}]`);
          r = await evaluateOne(schedules[i]!, t, i, schedules.length, signal);
        } catch (e) {
          if (e instanceof MetricsError && e.code === 'aborted') throw e;
          throwIfAborted(signal);
          r = fail(errorMessage(e));
        }
        results.push(r);
        opts.onResult?.(i, r);
        opts.onProgress?.((i + 1) / schedules.length);
      }
      return Object.freeze(results);
    },
  };
  return Object.freeze(evaluator);
}

function now(): number {
  const p = (globalThis as { performance?: { now(): number } }).performance;
  return p === undefined ? Date.now() : p.now();
}
