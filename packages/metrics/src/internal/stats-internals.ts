import type { PivotedCholesky } from './cholesky.js';

/**
 * Derived data memoised per statistics object (never serialised, never visible): the centred
 * features for the low-rank route and the pivoted Cholesky factor of the covariance for the full
 * route. A reference statistics object compared against many candidates is thus factored once.
 *
 * @internal
 */
export interface StatsInternals {
  /** Centred features (N×d, float64). */
  centred?: Float64Array;
  /** Squared Frobenius norm of `centred`. */
  centredSq?: number;
  /** Pivoted Cholesky factor of `cov`. */
  chol?: PivotedCholesky;
}

const internals = new WeakMap<object, StatsInternals>();

/** The memo of a statistics object. @internal */
export function statsInternals(stats: object): StatsInternals {
  let v = internals.get(stats);
  if (v === undefined) {
    v = {};
    internals.set(stats, v);
  }
  return v;
}
