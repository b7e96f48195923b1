import { MetricsError } from './errors.js';
import type { FeatureStats } from './feature-stats.js';
import { checkCov, checkStats, makeStats } from './internal/stats-object.js';
import { checkFinite, describe } from './internal/validate.js';

/** The 8 magic bytes that start serialised statistics: ASCII `FLXSTATS`. */
const MAGIC = [0x46, 0x4c, 0x58, 0x53, 0x54, 0x41, 0x54, 0x53] as const;
/** Current format version. */
const VERSION = 1;
const HEADER = 32;
const FLAG_FEATURES = 1;
const FLAG_FEATURES_F64 = 2;
const KNOWN_FLAGS = FLAG_FEATURES | FLAG_FEATURES_F64;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Options of {@link serializeStats}.
 *
 * @public
 */
export interface SerializeOptions {
  /**
   * Include the raw features when the statistics carry them (default `true`): the deserialised
   * statistics can then use the low-rank Fréchet route and KID.
   */
  readonly includeFeatures?: boolean;
}

/**
 * Serialise statistics to a compact, portable binary form (all numbers little-endian):
 *
 * | offset | size | content |
 * | --- | --- | --- |
 * | 0 | 8 | magic `FLXSTATS` |
 * | 8 | 4 | format version (uint32, currently 1) |
 * | 12 | 4 | flags (uint32): bit 0 features present, bit 1 features are float64 (else float32) |
 * | 16 | 4 | dim d (uint32) |
 * | 20 | 4 | reserved, 0 |
 * | 24 | 8 | count N (uint64) |
 * | 32 | 8·d | mean (float64) |
 * | … | 8·d(d+1)/2 | covariance upper triangle, row by row (float64) |
 * | … | 4·N·d or 8·N·d | features, row-major (when flag bit 0 is set) |
 *
 * @param stats - The statistics.
 * @param options - `includeFeatures` (default `true`).
 * @returns The bytes.
 * @throws {@link MetricsError} `invalid-argument` for malformed statistics.
 * @example
 * ```ts
 * const bytes = serializeStats(teacherStats);
 * const back = deserializeStats(bytes); // same count, dim, mean, cov (and features)
 * ```
 * @public
 */
export function serializeStats(stats: FeatureStats, options: SerializeOptions = {}): Uint8Array {
  const s = checkStats(stats, 'statistics');
  const cov = checkCov(s, 'statistics');
  const d = s.dim;
  const n = s.count;
  const features = options.includeFeatures === false ? undefined : s.features;
  const f64 = features instanceof Float64Array;
  const tri = (d * (d + 1)) / 2;
  const featureBytes = features === undefined ? 0 : features.length * (f64 ? 8 : 4);
  const size = HEADER + 8 * d + 8 * tri + featureBytes;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  MAGIC.forEach((b, i) => view.setUint8(i, b));
  view.setUint32(8, VERSION, true);
  view.setUint32(12, (features === undefined ? 0 : FLAG_FEATURES) | (f64 ? FLAG_FEATURES_F64 : 0), true);
  view.setUint32(16, d, true);
  view.setUint32(20, 0, true);
  view.setBigUint64(24, BigInt(n), true);
  let o = HEADER;
  for (let i = 0; i < d; i++, o += 8) view.setFloat64(o, s.mean[i]!, true);
  if (LITTLE_ENDIAN) {
    const tr = new Float64Array(out.buffer, o, tri);
    let t = 0;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) tr[t++] = cov[i * d + j]!;
    o += 8 * tri;
    if (features !== undefined) {
      new Uint8Array(out.buffer, o, featureBytes).set(new Uint8Array(features.buffer, features.byteOffset, featureBytes));
    }
  } else {
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++, o += 8) view.setFloat64(o, cov[i * d + j]!, true);
    if (features !== undefined) {
      for (let i = 0; i < features.length; i++) {
        if (f64) {
          view.setFloat64(o, features[i]!, true);
          o += 8;
        } else {
          view.setFloat32(o, features[i]!, true);
          o += 4;
        }
      }
    }
  }
  return out;
}

/**
 * Read statistics written by {@link serializeStats}, validating every field.
 *
 * @param bytes - The serialised statistics.
 * @returns Frozen {@link FeatureStats} (with `features` when they were stored).
 * @throws {@link MetricsError} `invalid-serialization` for bytes that are not serialised
 *   statistics (wrong magic, truncated, unknown flags, bad sizes, non-finite values),
 *   `unsupported-version` for a format version other than 1.
 * @example
 * ```ts
 * const stats = deserializeStats(await cache.get(key));
 * ```
 * @public
 */
export function deserializeStats(bytes: Uint8Array): FeatureStats {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetricsError('invalid-serialization', `Expected a Uint8Array of serialised statistics, got ${describe(bytes)}.`);
  }
  if (bytes.length < HEADER) {
    throw new MetricsError(
      'invalid-serialization',
      `Serialised statistics are ${bytes.length} bytes long: shorter than the ${HEADER}-byte header.`,
    );
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new MetricsError(
        'invalid-serialization',
        `Not serialised statistics: the bytes start with ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 8)))}, ` +
          'expected the magic "FLXSTATS".',
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new MetricsError(
      'unsupported-version',
      `Serialised statistics have format version ${version}; this package reads version ${VERSION} only.`,
    );
  }
  const flags = view.getUint32(12, true);
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & FLAG_FEATURES_F64 && !(flags & FLAG_FEATURES))) {
    throw new MetricsError(
      'invalid-serialization',
      `Serialised statistics have unknown flags 0x${flags.toString(16)}: ` +
        'valid flags are bit 0 (features) and bit 1 (float64 features, with bit 0).',
    );
  }
  const d = view.getUint32(16, true);
  const reserved = view.getUint32(20, true);
  const n64 = view.getBigUint64(24, true);
  if (d < 1 || reserved !== 0) {
    throw new MetricsError(
      'invalid-serialization',
      `Serialised statistics have dim ${d} and reserved field ${reserved}: expected dim >= 1 and 0.`,
    );
  }
  if (n64 < 1n || n64 > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MetricsError('invalid-serialization', `Serialised statistics have count ${n64}: expected an integer in [1, 2^53 − 1].`);
  }
  const n = Number(n64);
  const hasFeatures = (flags & FLAG_FEATURES) !== 0;
  const f64 = (flags & FLAG_FEATURES_F64) !== 0;
  const tri = (d * (d + 1)) / 2;
  const expected = HEADER + 8 * d + 8 * tri + (hasFeatures ? n * d * (f64 ? 8 : 4) : 0);
  if (bytes.length !== expected) {
    throw new MetricsError(
      'invalid-serialization',
      `Serialised statistics (dim ${d}, count ${n}${hasFeatures ? `, ${f64 ? 'float64' : 'float32'} features` : ''}) ` +
        `should be ${expected} bytes long, got ${bytes.length}.`,
    );
  }
  let o = HEADER;
  const mean = readF64(bytes, view, o, d);
  o += 8 * d;
  const packed = readF64(bytes, view, o, tri);
  o += 8 * tri;
  checkFinite(mean, 'The serialised mean');
  checkFinite(packed, 'The serialised covariance');
  const cov = new Float64Array(d * d);
  let t = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = packed[t++]!;
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  let features: Float32Array | Float64Array | undefined;
  if (hasFeatures) {
    features = f64 ? readF64(bytes, view, o, n * d) : readF32(bytes, view, o, n * d);
    checkFinite(features, 'The serialised features');
  }
  try {
    return makeStats(n, d, mean, cov, features);
  } catch (e) {
    throw new MetricsError('invalid-serialization', 'Serialised statistics are inconsistent.', { cause: e });
  }
}

function readF64(bytes: Uint8Array, view: DataView, offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 8 * count));
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  }
  return out;
}

function readF32(bytes: Uint8Array, view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * count));
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  }
  return out;
}
