// What loadManifest reads: a folder with model.json (the format as written), or a diffusers export
// (model_index.json) whose manifest is derived, with model.json's fields over it.
import type { ModelSource } from '../backend.js';
import { RuntimeError } from '../errors.js';
import { readModelFile, type ReadOptions } from '../manifest/read-file.js';
import { MANIFEST_FILE, type ModelManifest } from '../manifest/types.js';
import { parseManifest, validateManifest } from '../manifest/validate.js';
import { deriveManifest, type DerivedManifest } from './derive-manifest.js';
import { MODEL_INDEX_FILE, isAbsentFile, parseJsonObject, readOptionalFile } from './export-files.js';
import { hasPath, mergeManifest } from './merge.js';

/**
 * A model folder as {@link readModelFolder} found it.
 *
 * @public
 */
export interface ModelFolder {
  /** The manifest the model loads with (validated). */
  readonly manifest: ModelManifest;
  /** `manifest`: model.json alone; `export`: derived from a diffusers export (and model.json, if any). */
  readonly kind: 'manifest' | 'export';
  /** What was derived from the export's files (kind `export`). */
  readonly derived?: DerivedManifest;
  /** The folder's model.json as written, when it has one. */
  readonly override?: Readonly<Record<string, unknown>>;
}

/**
 * Read a model folder's manifest: `model.json` as it is, or, in a diffusers / optimum ONNX export
 * (a folder with `model_index.json`), the manifest derived from the export's files
 * ({@link deriveManifest}) with the folder's `model.json`, if any, merged over it
 * ({@link mergeManifest}: model.json wins, `null` removes a field) and validated as a whole.
 *
 * @param source - Reads the folder.
 * @param options - `signal`.
 * @returns The manifest, and what was derived.
 * @throws {@link RuntimeError} `missing-file` (neither model.json nor model_index.json; a file a
 *   component needs), `invalid-manifest` (a field that could not be derived and that model.json
 *   does not give; an invalid merged manifest; a path outside the folder), and deriveManifest's.
 * @example
 * ```ts
 * const { manifest, derived } = await readModelFolder(source);
 * for (const note of derived?.notes ?? []) console.log(note);
 * ```
 * @public
 */
export async function readModelFolder(source: ModelSource, options: ReadOptions = {}): Promise<ModelFolder> {
  const r = { source, signal: options.signal };
  const index = await readOptionalFile(r, MODEL_INDEX_FILE);
  if (index === null) {
    try {
      return { manifest: parseManifest(await readModelFile(source, MANIFEST_FILE, { ...options, role: 'manifest' })), kind: 'manifest' };
    } catch (e) {
      if (!isAbsentFile(e)) throw e;
      const where = source.location ? ` ${source.location}` : ' the model folder';
      throw new RuntimeError(
        'missing-file',
        `Cannot read${where} as a model: it has neither ${MANIFEST_FILE} nor ${MODEL_INDEX_FILE} (a diffusers ONNX export). ` +
          (e as RuntimeError).message,
        { cause: (e as RuntimeError).cause, issues: [{ path: MANIFEST_FILE, message: 'missing' }] },
      );
    }
  }
  const own = await readOptionalFile(r, MANIFEST_FILE);
  const override = own === null ? undefined : parseJsonObject(own, MANIFEST_FILE);
  const derived = await deriveManifest(source, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(override ? { override } : {}),
  });
  const merged = override ? mergeManifest(derived.manifest, override) : { ...derived.manifest };
  const open = derived.unresolved.filter((issue) => !hasPath(merged, issue.path));
  if (open.length > 0) {
    const more = open.length > 1 ? ` (and ${open.length - 1} more, see error.issues)` : '';
    throw new RuntimeError(
      'invalid-manifest',
      `The export in ${source.location ?? 'the model folder'} does not say everything a manifest needs, and ` +
        `${override ? `its ${MANIFEST_FILE} does not give it` : `there is no ${MANIFEST_FILE} to give it`}: ${open[0]!.message}${more}`,
      { issues: open },
    );
  }
  return { manifest: validateManifest(merged), kind: 'export', derived, ...(override ? { override } : {}) };
}
