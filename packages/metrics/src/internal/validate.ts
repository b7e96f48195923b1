import { MetricsError } from '../errors.js';

/** Feature arrays accepted by the package: row-major N×d. @internal */
export type FeatureArray = Float32Array | Float64Array;

/** Short description of a value for error messages. @internal */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (ArrayBuffer.isView(v)) {
    const name = (v as object).constructor?.name ?? 'typed array';
    return `${name}(${(v as unknown as { length?: number }).length ?? (v as ArrayBufferView).byteLength})`;
  }
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

/** Check a dimension (positive safe integer). @internal */
export function checkDim(dim: unknown, what = 'dim'): number {
  if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 1) {
    throw new MetricsError('invalid-argument', `Invalid ${what} ${describe(dim)}: expected a positive integer.`);
  }
  return dim;
}

/** Check an N×d feature array and return N. @internal */
export function checkFeatures(features: unknown, dim: number, what = 'features'): number {
  if (!(features instanceof Float32Array) && !(features instanceof Float64Array)) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid ${what} ${describe(features)}: expected a Float32Array or Float64Array of N×${dim} values (row-major).`,
    );
  }
  if (features.length % dim !== 0) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid ${what}: length ${features.length} is not a multiple of dim ${dim} (expected N×${dim} values, row-major).`,
    );
  }
  return features.length / dim;
}

/** Throw `non-finite` when an array holds NaN or ±Infinity. @internal */
export function checkFinite(x: ArrayLike<number>, what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new MetricsError('non-finite', `${what} holds ${String(x[i])} at index ${i}: expected finite numbers only.`);
    }
  }
}

/** Check an integer option. @internal */
export function checkInt(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(v)}: expected ${range}.`);
  }
  return v;
}

/** Check a finite positive number option. @internal */
export function checkPositive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(v)}: expected a finite number > 0.`);
  }
  return v;
}

/** Throw `aborted` when the signal is aborted. @internal */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new MetricsError('aborted', 'The operation was aborted.', { cause: signal.reason });
  }
}

/**
 * Check an image batch against its NCHW shape.
 *
 * @internal
 */
export function checkImageDims(images: unknown, dims: unknown): [number, number, number, number] {
  if (!(images instanceof Float32Array)) {
    throw new MetricsError('invalid-argument', `Invalid images ${describe(images)}: expected a Float32Array (NCHW).`);
  }
  if (!Array.isArray(dims) || dims.length !== 4 || dims.some((v) => !Number.isSafeInteger(v) || v < 1)) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid image dims ${describe(dims)}: expected [N, C, H, W] with positive integers (NCHW layout).`,
    );
  }
  const [n, c, h, w] = dims as [number, number, number, number];
  if (n * c * h * w !== images.length) {
    throw new MetricsError(
      'invalid-argument',
      `Image dims [${dims.join(', ')}] describe ${n * c * h * w} values but the array holds ${images.length}.`,
    );
  }
  return [n, c, h, w];
}
