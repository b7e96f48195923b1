/**
 * Codes of {@link MetricsError}. Each names one way an input, an option, a serialised blob, an
 * ONNX session or an evaluation can be wrong.
 *
 * - `invalid-argument`: a value of the wrong type or shape (e.g. a feature array whose length is
 *   not a multiple of the dimension).
 * - `invalid-option`: an option out of its valid range.
 * - `dimension-mismatch`: two inputs that must agree (dimension, sample count, image shape) do not.
 * - `too-few-samples`: not enough samples for the statistic (e.g. a covariance needs 1 or more,
 *   KID subsets need 2 or more).
 * - `non-finite`: NaN or ±Infinity where finite numbers are required.
 * - `no-convergence`: an iterative numerical method (the eigenvalue iteration) did not converge.
 * - `invalid-serialization`: bytes that are not a valid serialised {@link FeatureStats}.
 * - `unsupported-version`: serialised bytes of a format version this package cannot read.
 * - `onnx-error`: an ONNX session is missing an input/output, returned an unexpected tensor, or
 *   failed to run.
 * - `cache-error`: a {@link StatsCache} failed to read or write.
 * - `generation-failed`: the generator failed on the teacher schedule (candidates' failures are
 *   reported as failed evaluations instead).
 * - `aborted`: the operation was cancelled through an `AbortSignal`.
 *
 * @public
 */
export type MetricsErrorCode =
  | 'invalid-argument'
  | 'invalid-option'
  | 'dimension-mismatch'
  | 'too-few-samples'
  | 'non-finite'
  | 'no-convergence'
  | 'invalid-serialization'
  | 'unsupported-version'
  | 'onnx-error'
  | 'cache-error'
  | 'generation-failed'
  | 'aborted';

/**
 * The one error class of `@flexiffusion/metrics`. Every function of the package throws only this
 * (or lets a caller-supplied callback's own error through as `cause`); `code` says what went
 * wrong and the message names the bad value and the valid ones.
 *
 * @example
 * ```ts
 * try {
 *   featureStats(new Float32Array(10), 3);
 * } catch (e) {
 *   if (e instanceof MetricsError) console.log(e.code); // 'invalid-argument'
 * }
 * ```
 *
 * @public
 */
export class MetricsError extends Error {
  /** Machine-readable kind of problem. */
  readonly code: MetricsErrorCode;

  /**
   * @param code - The kind of problem.
   * @param message - A message naming the bad value and the valid ones.
   * @param options - `cause`: the underlying error, where there was one.
   */
  constructor(code: MetricsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetricsError';
    this.code = code;
  }
}
