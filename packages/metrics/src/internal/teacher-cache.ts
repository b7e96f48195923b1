import { MetricsError } from '../errors.js';
import type { FeatureStats } from '../feature-stats.js';
import type { ImageDims } from '../preprocess.js';
import { deserializeStats, serializeStats } from '../serialize.js';
import type { StatsCache } from '../stats-cache.js';
import { decodeImages, encodeImages } from './image-codec.js';

/**
 * The reference an rFID evaluator compares candidates with: the teacher's statistics and
 * features, and its images when paired metrics are on.
 *
 * @internal
 */
export interface Teacher {
  readonly stats: FeatureStats;
  readonly features: Float32Array | Float64Array;
  readonly images: Float32Array | undefined;
  readonly dims: ImageDims | undefined;
}

/**
 * Where the teacher lives in a {@link StatsCache}: its statistics under `statsKey`, its images
 * under `imagesKey` (only with paired metrics).
 *
 * @internal
 */
export interface TeacherCacheEntry {
  readonly cache: StatsCache;
  readonly statsKey: string;
  readonly imagesKey: string | undefined;
}

/**
 * Read the teacher from the cache. A missing, corrupt or mismatched entry (other dimension or
 * sample count, no features, images of another count) gives `undefined`: the caller recomputes
 * and overwrites it.
 *
 * @param entry - The cache and keys.
 * @param dim - The extractor's feature dimension.
 * @param n - The number of samples.
 * @throws {@link MetricsError} `cache-error` when the cache itself fails.
 * @internal
 */
export async function readCachedTeacher(entry: TeacherCacheEntry, dim: number, n: number): Promise<Teacher | undefined> {
  const bytes = await cacheGet(entry.cache, entry.statsKey);
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
  if (entry.imagesKey !== undefined) {
    const ib = await cacheGet(entry.cache, entry.imagesKey);
    const decoded = ib === undefined ? undefined : decodeImages(ib);
    if (decoded === undefined || decoded.dims[0] !== n) return undefined;
    images = decoded.data;
    dims = decoded.dims;
  }
  return { stats, features: stats.features, images, dims };
}

/**
 * Store the teacher's statistics, then (with an `imagesKey`) its images.
 *
 * @throws {@link MetricsError} `cache-error` when the cache fails.
 * @internal
 */
export async function writeCachedTeacher(
  entry: TeacherCacheEntry,
  stats: FeatureStats,
  images: Float32Array,
  dims: ImageDims,
): Promise<void> {
  await cacheSet(entry.cache, entry.statsKey, serializeStats(stats));
  if (entry.imagesKey !== undefined) await cacheSet(entry.cache, entry.imagesKey, encodeImages(images, dims));
}

async function cacheGet(cache: StatsCache, key: string): Promise<Uint8Array | undefined> {
  try {
    return await cache.get(key);
  } catch (e) {
    throw new MetricsError('cache-error', `Reading the teacher statistics cache failed for key ${key}.`, { cause: e });
  }
}

async function cacheSet(cache: StatsCache, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await cache.set(key, bytes);
  } catch (e) {
    throw new MetricsError('cache-error', `Writing the teacher statistics cache failed for key ${key}.`, { cause: e });
  }
}
