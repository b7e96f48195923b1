import type { ModelSource } from '../backend.js';
import { RuntimeError } from '../errors.js';
import { sha256Hex, throwIfAborted, type AbortSignalLike } from '../internal/platform.js';
import { MANIFEST_FILE, type ModelManifest } from './types.js';
import { parseManifest } from './validate.js';

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
 * Read and validate `model.json` from a model folder.
 *
 * @param source - Reads files of the model folder.
 * @param options - `signal`.
 * @returns The manifest.
 * @throws {@link RuntimeError} `missing-file` when model.json cannot be read, `invalid-manifest`.
 * @example
 * ```ts
 * const manifest = await loadManifest({ readFile: (p) => fs.readFile(path.join(dir, p)) });
 * ```
 * @public
 */
export async function loadManifest(source: ModelSource, options: ReadOptions = {}): Promise<ModelManifest> {
  const bytes = await readModelFile(source, MANIFEST_FILE, { ...options, role: 'manifest' });
  return parseManifest(bytes);
}

/**
 * Read one file of a model folder, checking its SHA-256 when given (and the platform has Web Crypto).
 *
 * @param source - Reads files of the model folder.
 * @param path - Path relative to the folder.
 * @param options - `sha256` to check, `role` (e.g. `unet.file`) for messages, `signal`.
 * @returns The bytes.
 * @throws {@link RuntimeError} `missing-file`, `checksum-mismatch`, `aborted`.
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
  let bytes: Uint8Array;
  const where = source.location ? ` in ${source.location}` : '';
  try {
    bytes = await source.readFile(path);
  } catch (cause) {
    const file = `${options.role ? `${options.role} ` : ''}file ${JSON.stringify(path)}${where}`;
    throw new RuntimeError('missing-file', `Cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}.`, {
      cause,
      issues: [{ path, message: 'missing or unreadable' }],
    });
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
