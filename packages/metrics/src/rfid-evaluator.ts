import type { CostProfile, EvaluateOptions, EvaluationResult, Evaluator, Schedule } from '@flexiffusion/schedule';
import { MetricsError } from './errors.js';
import { frechetDistance, type FrechetRoute } from './frechet.js';
import { checkFinite, checkInt, checkPositive, describe, throwIfAborted } from './internal/validate.js';
import { kernelInceptionDistance } from './kid.js';
import type { FeatureExtractor } from './onnx-extractor.js';
import { pairedMse } from './paired.js';
import type { ImageDims } from './preprocess.js';
import { deserializeStats, serializeStats } from './serialize.js';
import { teacherStatsKey, type StatsCache } from './stats-cache.js';
import { featureStats, type FeatureStats } from './stats.js';

/**
 * What {@link RfidEvaluatorOptions.generate} is asked to produce: one image per seed (and
 * label), in order.
 *
 * @public
 */
export interface GenerateRequest {
  /** One initial-noise seed per sample. */
  readonly seeds: readonly number[];
  /** One class label (condition) per sample, when the model is conditional. */
  readonly labels?: readonly number[];
  /** Aborts generation. */
  readonly signal?: AbortSignal;
}

/**
 * Images produced by a generator: NCHW float32.
 *
 * @public
 */
export interface GeneratedImages {
  /** The values, NCHW, row-major. */
  readonly data: Float32Array;
  /** Their shape [N, C, H, W]; N must equal the number of seeds. */
  readonly dims: ImageDims;
}

/**
 * Generates images with a schedule. The runtime packages provide it (it runs the diffusion
 * model); the evaluator only times and scores it. It may return a bare `Float32Array` (NCHW) when
 * the evaluator is given `imageShape`.
 *
 * @public
 */
export type GenerateFn = (schedule: Schedule, request: GenerateRequest) => Promise<GeneratedImages | Float32Array>;

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
  /** Route of the Fréchet distance; default `auto`. */
  readonly frechetRoute?: FrechetRoute;
  /**
   * Shape [C, H, W] of one image, for generators that return a bare `Float32Array`; ignored
   * when they return `{ data, dims }`.
   */
  readonly imageShape?: readonly [c: number, h: number, w: number];
}

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

interface Teacher {
  readonly stats: FeatureStats;
  readonly features: Float32Array | Float64Array;
  readonly images: Float32Array | undefined;
  readonly dims: ImageDims | undefined;
}

/**
 * Create the rFID evaluator of the Flexiffusion search: each candidate schedule generates images
 * from the same seeds and labels as the teacher, and its quality is the Fréchet distance between
 * its images' features and the teacher's (rFID, the objective), plus KID, paired MSE/PSNR
 * against the teacher image of the same seed, the generation latency and optionally the cost.
 *
 * The teacher's statistics are computed once (on the first `evaluate` or `teacherStats` call)
 * and, with a `cache`, stored under a key hashing the model id, teacher schedule, seeds, labels,
 * sampler settings and extractor id, so that any change recomputes them.
 *
 * Result metrics: `rfid`, `kid`, `kidStd` (unless `kid: false`; paired KID, see `KidOptions.paired`), `mse`, `psnr` (unless
 * `paired: false`), `latencyMs` (wall time of `generate`), `extractMs`, and `macs`, `speedup`
 * with a `costProfile`. A candidate whose generation or extraction fails, or whose images hold
 * NaN, is reported as `{ ok: false, reason }`; an abort rejects the whole call.
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
  if (typeof options !== 'object' || options === null) {
    throw new MetricsError('invalid-option', `Invalid rFID evaluator options ${describe(options)}: expected an object.`);
  }
  const { generate, extractor, teacher, cache, onProgress } = options;
  if (typeof generate !== 'function') {
    throw new MetricsError('invalid-option', `Invalid generate ${describe(generate)}: expected a function (schedule, { seeds, labels, signal }) => Promise<{ data, dims }>.`);
  }
  if (typeof extractor !== 'object' || extractor === null || typeof extractor.extract !== 'function') {
    throw new MetricsError('invalid-option', `Invalid extractor ${describe(extractor)}: expected a FeatureExtractor { id, dim, extract }.`);
  }
  const dim = checkInt(extractor.dim, 'extractor.dim', 1);
  const teacherText = scheduleText(teacher, 'teacher');
  if (!Array.isArray(options.seeds) || options.seeds.some((s) => !Number.isSafeInteger(s))) {
    throw new MetricsError('invalid-option', `Invalid seeds ${describe(options.seeds)}: expected an array of integers, one per sample.`);
  }
  const n = options.samples === undefined ? options.seeds.length : checkInt(options.samples, `samples (seeds holds ${options.seeds.length})`, 2, options.seeds.length);
  if (n < 2) {
    throw new MetricsError('invalid-option', `rFID needs at least 2 samples: got ${n} seed${n === 1 ? '' : 's'}.`);
  }
  const seeds = Object.freeze(options.seeds.slice(0, n));
  let labels: readonly number[] | undefined;
  if (options.labels !== undefined) {
    if (!Array.isArray(options.labels) || options.labels.length < n || options.labels.some((l) => !Number.isSafeInteger(l))) {
      throw new MetricsError('invalid-option', `Invalid labels ${describe(options.labels)}: expected at least ${n} integers (one per sample).`);
    }
    labels = Object.freeze(options.labels.slice(0, n));
  }
  if (cache !== undefined && (typeof cache.get !== 'function' || typeof cache.set !== 'function')) {
    throw new MetricsError('invalid-option', `Invalid cache ${describe(cache)}: expected a StatsCache { get, set }.`);
  }
  if (cache !== undefined && (typeof options.modelId !== 'string' || options.modelId.length === 0)) {
    throw new MetricsError(
      'invalid-option',
      `A cache needs modelId (a hash identifying the model), got ${describe(options.modelId)}: without it a changed model could reuse stale teacher statistics.`,
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
  let kidSettings: { subsets: number; subsetSize: number; seed: number } | undefined;
  if (kidOpt !== false) {
    const k = kidOpt ?? {};
    const subsetSize = k.subsetSize === undefined ? Math.min(1000, n) : checkInt(k.subsetSize, 'kid.subsetSize', 2, n);
    kidSettings = {
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
  const costProfile = options.costProfile;
  const route = options.frechetRoute ?? 'auto';
  const keyParts = {
    modelId: options.modelId ?? '',
    teacher: teacherText,
    seeds,
    ...(labels === undefined ? {} : { labels }),
    ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
    extractorId: String(extractor.id),
  };
  const statsKey = cache === undefined ? undefined : teacherStatsKey({ ...keyParts, kind: 'stats' });
  const imagesKey = cache === undefined || !paired ? undefined : teacherStatsKey({ ...keyParts, kind: 'images' });
  const progress = (e: RfidProgress): void => onProgress?.(Object.freeze(e));

  /** Run the generator and normalise a bare Float32Array to { data, dims }. */
  async function run(schedule: Schedule, signal: AbortSignal | undefined): Promise<GeneratedImages> {
    const out = await generate(schedule, request(signal));
    if (!(out instanceof Float32Array)) return out;
    if (imageShape === undefined) {
      throw new MetricsError(
        'invalid-option',
        `The generator returned a bare Float32Array of ${out.length} values: pass imageShape [C, H, W] to the evaluator, or return { data, dims }.`,
      );
    }
    return { data: out, dims: [n, ...imageShape] as const };
  }

  const request = (signal: AbortSignal | undefined): GenerateRequest =>
    Object.freeze({ seeds, ...(labels === undefined ? {} : { labels }), ...(signal === undefined ? {} : { signal }) });

  async function cacheGet(key: string): Promise<Uint8Array | undefined> {
    try {
      return await cache!.get(key);
    } catch (e) {
      throw new MetricsError('cache-error', `Reading the teacher statistics cache failed for key ${key}.`, { cause: e });
    }
  }
  async function cacheSet(key: string, bytes: Uint8Array): Promise<void> {
    try {
      await cache!.set(key, bytes);
    } catch (e) {
      throw new MetricsError('cache-error', `Writing the teacher statistics cache failed for key ${key}.`, { cause: e });
    }
  }

  async function fromCache(): Promise<Teacher | undefined> {
    if (statsKey === undefined) return undefined;
    const bytes = await cacheGet(statsKey);
    if (bytes === undefined) return undefined;
    let stats: FeatureStats;
    try {
      stats = deserializeStats(bytes);
    } catch {
      return undefined; // corrupt entry: recompute and overwrite
    }
    if (stats.dim !== dim || stats.count !== n || stats.features === undefined) return undefined;
    let images: Float32Array | undefined;
    let dims: ImageDims | undefined;
    if (imagesKey !== undefined) {
      const ib = await cacheGet(imagesKey);
      const decoded = ib === undefined ? undefined : decodeImages(ib);
      if (decoded === undefined || decoded.dims[0] !== n) return undefined;
      images = decoded.data;
      dims = decoded.dims;
    }
    return { stats, features: stats.features, images, dims };
  }

  async function prepareTeacher(signal: AbortSignal | undefined): Promise<Teacher> {
    throwIfAborted(signal);
    const cached = await fromCache();
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
    if (statsKey !== undefined) {
      await cacheSet(statsKey, serializeStats(stats));
      if (imagesKey !== undefined) await cacheSet(imagesKey, encodeImages(gen.data, dims));
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
  function getTeacher(signal: AbortSignal | undefined): Promise<Teacher> {
    teacherPromise ??= prepareTeacher(signal).catch((e: unknown) => {
      teacherPromise = undefined;
      throw e;
    });
    return teacherPromise;
  }

  async function evaluateOne(schedule: Schedule, t: Teacher, index: number, total: number, signal: AbortSignal | undefined): Promise<EvaluationResult> {
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
    cacheKey: statsKey,
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

function fail(reason: string): EvaluationResult {
  return Object.freeze({ ok: false as const, reason });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isAbort(e: unknown): boolean {
  return (
    (e instanceof MetricsError && e.code === 'aborted') ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError')
  );
}

function now(): number {
  const p = (globalThis as { performance?: { now(): number } }).performance;
  return p === undefined ? Date.now() : p.now();
}

function checkGenerated(gen: unknown, n: number, expected: ImageDims | undefined, what: string): ImageDims {
  const g = gen as GeneratedImages;
  if (typeof gen !== 'object' || gen === null || !(g.data instanceof Float32Array) || !Array.isArray(g.dims)) {
    throw new MetricsError('invalid-argument', `The ${what} generator returned ${describe(gen)}: expected { data: Float32Array, dims: [N, C, H, W] }.`);
  }
  const d = g.dims;
  if (d.length !== 4 || d.some((v) => !Number.isSafeInteger(v) || v < 1) || d[0]! * d[1]! * d[2]! * d[3]! !== g.data.length) {
    throw new MetricsError(
      'invalid-argument',
      `The ${what} generator returned dims ${describe(d)} for ${g.data.length} values: expected [N, C, H, W] matching the data.`,
    );
  }
  if (d[0] !== n) {
    throw new MetricsError('dimension-mismatch', `The ${what} generator returned ${d[0]} images for ${n} seeds: expected one image per seed.`);
  }
  if (expected !== undefined && d.some((v, i) => v !== expected[i])) {
    throw new MetricsError(
      'dimension-mismatch',
      `The ${what} images have shape [${d.join(', ')}] but the teacher's have [${expected.join(', ')}]: paired metrics need the same shape.`,
    );
  }
  return Object.freeze([d[0]!, d[1]!, d[2]!, d[3]!] as const);
}

/** Canonical text of a schedule (same notation as `formatSchedule` of `@flexiffusion/schedule`). */
function scheduleText(s: unknown, what: string): string {
  const segs = (s as Schedule | undefined)?.segments;
  if (!Array.isArray(segs) || segs.length === 0) {
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(s)}: expected a Schedule { segments }.`);
  }
  return segs
    .map((seg: readonly unknown[], i: number) => {
      if (!Array.isArray(seg)) {
        throw new MetricsError('invalid-option', `Invalid ${what}: segment ${i} is ${describe(seg)}, expected an array of steps.`);
      }
      return seg
        .map((st) => {
          const k = (st as { kind?: unknown })?.kind;
          if (k === 'full') return 'F';
          if (k === 'null') return 'N';
          const b = (st as { branch?: unknown }).branch;
          if (k === 'partial' && typeof b === 'number' && Number.isSafeInteger(b) && b >= 0) return `P${b}`;
          throw new MetricsError('invalid-option', `Invalid ${what}: step ${describe(st)} in segment ${i} is not a full, partial or null step.`);
        })
        .join(' ');
    })
    .join(' | ');
}

function costOf(schedule: Schedule, p: CostProfile): { macs: number; speedup: number } {
  let macs = 0;
  let t = 0;
  for (const seg of schedule.segments) {
    for (const st of seg) {
      t++;
      if (st.kind === 'full') macs += p.fullMacs;
      else if (st.kind === 'partial') {
        const m = p.partialMacs[st.branch];
        if (m === undefined) {
          throw new MetricsError(
            'invalid-option',
            `The schedule uses cache branch ${st.branch} but the cost profile has ${p.partialMacs.length} branch costs (valid: 0..${p.partialMacs.length - 1}).`,
          );
        }
        macs += m;
      }
    }
  }
  return { macs, speedup: macs === 0 ? Number.POSITIVE_INFINITY : (t * p.fullMacs) / macs };
}

const IMG_MAGIC = 'FLXIMGS1';

function encodeImages(data: Float32Array, dims: ImageDims): Uint8Array {
  const out = new Uint8Array(24 + data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = IMG_MAGIC.charCodeAt(i);
  dims.forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  for (let i = 0; i < data.length; i++) view.setFloat32(24 + 4 * i, data[i]!, true);
  return out;
}

function decodeImages(bytes: Uint8Array): { data: Float32Array; dims: ImageDims } | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 24) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== IMG_MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [0, 1, 2, 3].map((i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number];
  const count = dims[0] * dims[1] * dims[2] * dims[3];
  if (count === 0 || bytes.length !== 24 + 4 * count) return undefined;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(24 + 4 * i, true);
  for (let i = 0; i < count; i++) if (!Number.isFinite(data[i]!)) return undefined;
  return { data, dims: Object.freeze(dims) };
}
