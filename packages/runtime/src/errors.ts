/**
 * Codes of {@link RuntimeError}: each names one way loading a model, cutting a graph, or
 * generating can go wrong.
 *
 * - `invalid-manifest`: model.json is not valid JSON or breaks the format (see `issues`).
 * - `missing-file`: a file the manifest names could not be read.
 * - `checksum-mismatch`: a file's SHA-256 differs from the manifest's.
 * - `invalid-model`: an ONNX file could not be parsed or written.
 * - `io-mismatch`: a model lacks an input or output the manifest names.
 * - `shape-mismatch`: a tensor has a shape other than the one expected.
 * - `unknown-tensor`: a tensor name (e.g. a cache cut point) is not in the graph.
 * - `invalid-cut`: a cut point does not lie on the path to the graph's output.
 * - `invalid-option`: an option has a bad value.
 * - `unsupported`: a sampler, family, data type or provider is not supported.
 * - `session-failed`: the ONNX runtime failed to create or run a session.
 * - `aborted`: the operation was cancelled through its `AbortSignal`.
 * - `disposed`: the resource was used after `dispose()`.
 * - `corrupt-file`: a stored file (e.g. a trial log) is damaged beyond its last line.
 *
 * @public
 */
export type RuntimeErrorCode =
  | 'invalid-manifest'
  | 'missing-file'
  | 'checksum-mismatch'
  | 'invalid-model'
  | 'io-mismatch'
  | 'shape-mismatch'
  | 'unknown-tensor'
  | 'invalid-cut'
  | 'invalid-option'
  | 'unsupported'
  | 'session-failed'
  | 'aborted'
  | 'disposed'
  | 'corrupt-file';

/**
 * One problem found while validating, e.g. one bad field of a manifest.
 *
 * @public
 */
export interface RuntimeIssue {
  /** Where: a JSON path such as `unet.cache[1].tensor`, or a tensor or file name. */
  readonly path: string;
  /** What is wrong, naming the bad value and the valid ones. */
  readonly message: string;
}

/**
 * Something the runtime did to a request that the caller should know about but that is not an
 * error, e.g. a prompt truncated to the text encoder's length (`prompt-truncated`). Passed to the
 * `onWarning` callback of `generate()`.
 *
 * @public
 */
export interface RuntimeWarning {
  /** What happened: `prompt-truncated`. */
  readonly code: 'prompt-truncated';
  /** A message naming the value and what was done to it. */
  readonly message: string;
}

/**
 * The one error class of `@flexiffusion/runtime` and the platform packages built on it.
 * `code` says what went wrong, `issues` lists every problem found when there were several, and
 * `cause` carries the underlying error (a file-system or onnxruntime error) where there was one.
 *
 * @example
 * ```ts
 * try {
 *   validateManifest(JSON.parse(text));
 * } catch (e) {
 *   if (e instanceof RuntimeError && e.code === 'invalid-manifest') {
 *     for (const issue of e.issues) console.log(issue.path, issue.message);
 *   }
 * }
 * ```
 *
 * @public
 */
export class RuntimeError extends Error {
  /** Machine-readable kind of the problem. */
  readonly code: RuntimeErrorCode;
  /** Every problem found (may be empty when the message says it all). */
  readonly issues: readonly RuntimeIssue[];

  /**
   * @param code - The kind of problem.
   * @param message - A message naming the bad value and the valid ones.
   * @param options - `cause` (the underlying error) and `issues` (every problem found).
   */
  constructor(code: RuntimeErrorCode, message: string, options: { cause?: unknown; issues?: readonly RuntimeIssue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = code;
    this.issues = Object.freeze([...(options.issues ?? [])]);
  }
}

/**
 * Quote a value for an error message.
 *
 * @internal
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The list of valid values for an error message: `"a", "b", "c"`.
 *
 * @internal
 */
export function oneOf(values: readonly unknown[]): string {
  return values.map((v) => show(v)).join(', ');
}
