// Reading one file of a model folder: the path checked (a model is untrusted input), the source's
// failure wrapped once, the SHA-256 checked where the manifest gives one.
import type { ModelSource } from '../backend.js';
import { RuntimeError } from '../errors.js';
import { checkModelPath } from '../import/paths.js';
import { sha256Hex, throwIfAborted, type AbortSignalLike } from '../internal/platform.js';

/**
 * Options of {@link loadManifest} and {@link readModelFile}.
 *
 * @public
 */
export interface ReadOptions {
  /** Cancels the read. */
  readonly signal?: AbortSignalLike;
}

/**
 * Bytes already read while deriving a manifest from an export folder, handed to the next read of
 * the same path through the same source (then forgotten), so a UNet is downloaded once, not twice.
 */
const handedOver = new WeakMap<ModelSource, Map<string, Uint8Array>>();

/**
 * Keep bytes read through `source` for its next {@link readModelFile} of `path`.
 *
 * @internal
 */
export function handOver(source: ModelSource, path: string, bytes: Uint8Array): void {
  let kept = handedOver.get(source);
  if (!kept) {
    kept = new Map();
    handedOver.set(source, kept);
  }
  kept.set(path, bytes);
}

/**
 * Read one file of a model folder, checking its SHA-256 when given (and the platform has Web Crypto).
 *
 * @param source - Reads files of the model folder.
 * @param path - Path relative to the folder; one that leaves it (`../x`, `/x`, `C:/x`, a URL) is refused.
 * @param options - `sha256` to check, `role` (e.g. `unet.file`) for messages, `signal`.
 * @returns The bytes.
 * @throws {@link RuntimeError} `invalid-manifest` for a path outside the folder (or a source's
 *   refusal, e.g. a symlink out of it), `missing-file`, `checksum-mismatch`, `aborted`.
 * @example
 * ```ts
 * const unet = await readModelFile(source, manifest.unet.file, { sha256: manifest.unet.sha256, role: 'unet.file' });
 * ```
 * @public
 */
export async function readModelFile(
  source: ModelSource,
  path: string,
  options: ReadOptions & { readonly sha256?: string; readonly role?: string } = {},
): Promise<Uint8Array> {
  throwIfAborted(options.signal, `Reading ${path}`);
  checkModelPath(path, options.role ?? 'file');
  let bytes: Uint8Array;
  const where = source.location ? ` in ${source.location}` : '';
  const kept = handedOver.get(source);
  const early = kept?.get(path);
  if (early) {
    kept!.delete(path);
    bytes = early;
  } else {
    try {
      bytes = await source.readFile(path);
    } catch (cause) {
      // the source's own verdicts (a refused symlink, an aborted download) pass as they are
      if (cause instanceof RuntimeError && cause.code !== 'missing-file') throw cause;
      const file = `${options.role ? `${options.role} ` : ''}file ${JSON.stringify(path)}${where}`;
      throw new RuntimeError('missing-file', `Cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}.`, {
        cause,
        issues: [{ path, message: 'missing or unreadable' }],
      });
    }
  }
  if (options.sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== null && actual !== options.sha256) {
      throw new RuntimeError(
        'checksum-mismatch',
        `File ${JSON.stringify(path)}${where} has SHA-256 ${actual}, but the manifest says ${options.sha256}: ` +
          'the file is corrupt or from another model.',
      );
    }
  }
  return bytes;
}

/**
 * Whether a `missing-file` error from {@link readModelFile} means the file is absent (not found),
 * rather than unreadable (permissions, I/O): the test for optional files.
 *
 * @internal
 */
export function isAbsent(error: unknown): boolean {
  if (!(error instanceof RuntimeError) || error.code !== 'missing-file') return false;
  const cause = error.cause as { code?: unknown } | undefined;
  if (cause instanceof RuntimeError) return true; // a fetch source: HTTP 404, or no answer
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code === undefined || code === 'ENOENT' || code === 'ENOTDIR';
}
