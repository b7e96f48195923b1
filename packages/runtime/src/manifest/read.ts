import type { ModelSource } from '../backend.js';
import { readModelFolder } from '../import/model-folder.js';
import type { ReadOptions } from './read-file.js';
import type { ModelManifest } from './types.js';

export { readModelFile, type ReadOptions } from './read-file.js';

/**
 * Read and validate a model folder's manifest: `model.json`, or, in a diffusers / optimum ONNX
 * export folder (`model_index.json`, `unet/`, `scheduler/`, …), the manifest derived from its files
 * with the folder's `model.json`, if any, merged over it (see `readModelFolder` for what was
 * derived and the defaults used). Node and the browser read through their own source and get the
 * same manifest.
 *
 * @param source - Reads files of the model folder.
 * @param options - `signal`.
 * @returns The manifest.
 * @throws {@link RuntimeError} `missing-file` when neither model.json nor model_index.json can be
 *   read, or a file an export's component needs is missing; `invalid-manifest`.
 * @example
 * ```ts
 * const manifest = await loadManifest({ readFile: (p) => fs.readFile(path.join(dir, p)) });
 * ```
 * @public
 */
export async function loadManifest(source: ModelSource, options: ReadOptions = {}): Promise<ModelManifest> {
  return (await readModelFolder(source, options)).manifest;
}
