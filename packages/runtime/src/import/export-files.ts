// Reading the files of a diffusers / optimum export folder: each read names the component that
// needs the file, JSON is checked to be an object, optional files (configs) may be absent.
import type { ModelSource } from '../backend.js';
import { RuntimeError } from '../errors.js';
import { utf8Decode, type AbortSignalLike } from '../internal/platform.js';
import { isAbsent, readModelFile } from '../manifest/read-file.js';

/** The file listing an export's components. @public */
export const MODEL_INDEX_FILE = 'model_index.json';

/** What the readers below need. @internal */
export interface ExportReader {
  readonly source: ModelSource;
  readonly signal?: AbortSignalLike | undefined;
}

function where(source: ModelSource): string {
  return source.location ? ` in ${source.location}` : '';
}

function reasonOf(e: RuntimeError): string {
  const c = e.cause;
  return c instanceof Error ? c.message : c === undefined ? e.message : String(c);
}

/**
 * Read a file a component of the export needs; a missing file is `missing-file` naming the file,
 * the component and what it is for.
 *
 * @internal
 */
export async function readComponentFile(r: ExportReader, path: string, component: string, purpose: string): Promise<Uint8Array> {
  try {
    return await readModelFile(r.source, path, { role: `${component} component's`, ...(r.signal ? { signal: r.signal } : {}) });
  } catch (e) {
    if (!(e instanceof RuntimeError) || e.code !== 'missing-file') throw e;
    const onnx = path.endsWith('.onnx')
      ? ' (an ONNX export has <component>/model.onnx; export a PyTorch pipeline first, e.g. `optimum-cli export onnx --model DIR OUT`)'
      : '';
    const message =
      `Cannot read ${JSON.stringify(path)}${where(r.source)}, which the ${component} component (listed in ${MODEL_INDEX_FILE}) ` +
      `needs for ${purpose}: ${reasonOf(e)}${onnx}.`;
    throw new RuntimeError('missing-file', message, {
      cause: e.cause,
      issues: [{ path, message: `needed by the ${component} component` }],
    });
  }
}

const ABSENT_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR']);

/**
 * Whether a failed {@link readModelFile} means the file is absent, looking through a source's own
 * error. A source that reports failures as `RuntimeError`s (a fetch source) says "absent" with no
 * cause or an ENOENT-like one (HTTP 404 / 410), and "there but unreadable" with a cause carrying
 * another `code` (an HTTP 503, a dropped connection, a body cut short). Only absence makes an
 * optional file optional: a model.json overlay skipped because of a 503 would load the model with
 * other cut points and no error.
 *
 * @internal
 */
export function isAbsentFile(error: unknown): boolean {
  if (!isAbsent(error)) return false;
  const inner = (error as RuntimeError).cause;
  if (!(inner instanceof RuntimeError)) return true;
  const code = (inner.cause as { code?: unknown } | undefined)?.code;
  return typeof code !== 'string' || ABSENT_CODES.has(code);
}

/**
 * Read an optional file: `null` when it is absent (not found, {@link isAbsentFile}); other
 * failures are thrown.
 *
 * @internal
 */
export async function readOptionalFile(r: ExportReader, path: string): Promise<Uint8Array | null> {
  try {
    return await readModelFile(r.source, path, r.signal ? { signal: r.signal } : {});
  } catch (e) {
    if (isAbsentFile(e)) return null;
    throw e;
  }
}

/**
 * Parse a JSON file that must hold an object.
 *
 * @throws {@link RuntimeError} `invalid-manifest` naming the file.
 * @internal
 */
export function parseJsonObject(bytes: Uint8Array, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(bytes));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new RuntimeError('invalid-manifest', `${path} is not valid UTF-8 JSON: ${why}.`, { cause, issues: [{ path, message: why }] });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuntimeError(
      'invalid-manifest',
      `${path} holds ${Array.isArray(value) ? 'an array' : String(value)}: expected a JSON object.`,
      {
        issues: [{ path, message: 'expected a JSON object' }],
      },
    );
  }
  return value as Record<string, unknown>;
}

/** An optional JSON object file: `null` when absent. @internal */
export async function readOptionalJson(r: ExportReader, path: string): Promise<Record<string, unknown> | null> {
  const bytes = await readOptionalFile(r, path);
  return bytes === null ? null : parseJsonObject(bytes, path);
}
