/**
 * First and second moments of a set of feature vectors, in float64: what a Fréchet distance
 * needs. Frozen; the typed arrays inside must not be mutated.
 *
 * When the statistics keep their raw features (`features` is set), `cov` is computed on first
 * access and memoised: distances through the low-rank route never need it.
 *
 * @public
 */
export interface FeatureStats {
  /** Number of samples N (≥ 1). */
  readonly count: number;
  /** Feature dimension d. */
  readonly dim: number;
  /** Mean vector (length d). */
  readonly mean: Float64Array;
  /**
   * Covariance (d×d, row-major, symmetric), normalised by N − 1 like `np.cov`; all zeros when
   * N = 1.
   */
  readonly cov: Float64Array;
  /**
   * The raw features (N×d, row-major) when they were kept (`keepFeatures: true`). They enable the
   * exact low-rank Fréchet route when N < d, and KID.
   */
  readonly features?: Float32Array | Float64Array;
}
