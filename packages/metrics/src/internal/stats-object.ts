import { MetricsError } from '../errors.js';
import type { FeatureStats } from '../feature-stats.js';
import { describe, type FeatureArray } from './validate.js';

/**
 * Build a frozen {@link FeatureStats}; `cov` may be a thunk, evaluated once on first access.
 *
 * @internal
 */
export function makeStats(
  count: number,
  dim: number,
  mean: Float64Array,
  cov: Float64Array | (() => Float64Array),
  features: FeatureArray | undefined,
): FeatureStats {
  const obj: Record<string, unknown> = { count, dim, mean };
  if (typeof cov === 'function') {
    let memo: Float64Array | undefined;
    Object.defineProperty(obj, 'cov', {
      enumerable: true,
      configurable: false,
      get(): Float64Array {
        memo ??= cov();
        return memo;
      },
    });
  } else {
    obj['cov'] = cov;
  }
  if (features !== undefined) obj['features'] = features;
  return Object.freeze(obj) as unknown as FeatureStats;
}

/**
 * Check that a value is a well-formed {@link FeatureStats} (without reading a lazy `cov`).
 *
 * @internal
 */
export function checkStats(s: unknown, what = 'statistics'): FeatureStats {
  if (typeof s !== 'object' || s === null) {
    throw new MetricsError('invalid-argument', `Invalid ${what} ${describe(s)}: expected FeatureStats { count, dim, mean, cov }.`);
  }
  const st = s as FeatureStats;
  const d = st.dim;
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) {
    throw new MetricsError('invalid-argument', `Invalid ${what}: dim is ${describe(d)}, expected a positive integer.`);
  }
  if (typeof st.count !== 'number' || !Number.isSafeInteger(st.count) || st.count < 1) {
    throw new MetricsError(
      st.count === 0 ? 'too-few-samples' : 'invalid-argument',
      `Invalid ${what}: count is ${describe(st.count)}, expected an integer >= 1.`,
    );
  }
  if (!(st.mean instanceof Float64Array) || st.mean.length !== d) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid ${what}: mean is ${describe(st.mean)}, expected a Float64Array of length dim = ${d}.`,
    );
  }
  if (st.features !== undefined) {
    if (!(st.features instanceof Float32Array) && !(st.features instanceof Float64Array)) {
      throw new MetricsError(
        'invalid-argument',
        `Invalid ${what}: features is ${describe(st.features)}, expected a Float32Array or Float64Array.`,
      );
    }
    if (st.features.length !== st.count * d) {
      throw new MetricsError(
        'invalid-argument',
        `Invalid ${what}: features has ${st.features.length} values, expected count × dim = ${st.count} × ${d} = ${st.count * d}.`,
      );
    }
  } else {
    checkCov(st, what);
  }
  return st;
}

/** @internal */
export function checkCov(st: FeatureStats, what: string): Float64Array {
  const d = st.dim;
  const cov = st.cov;
  if (!(cov instanceof Float64Array) || cov.length !== d * d) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid ${what}: cov is ${describe(cov)}, expected a Float64Array of length dim² = ${d * d}.`,
    );
  }
  return cov;
}
