import { existsSync, statSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  MANIFEST_FILE,
  MODEL_INDEX_FILE,
  RuntimeError,
  modelPathProblem,
  openModel,
  type AbortSignalLike,
  type ActiveBackend,
  type Backend,
  type Model,
  type ModelSource,
  type ProgressEvent,
} from '@flexiffusion/runtime';
import { nodeBackends, type NodeDevice } from './backends.js';

/** Names of the embedded models and the packages that hold them. @public */
export const EMBEDDED_MODELS: Readonly<Record<string, string>> = Object.freeze({
  fashion: '@flexiffusion/model-fashion',
  'fashion-sd': '@flexiffusion/model-fashion-sd',
});

/**
 * Files of a model folder on disk. A model is untrusted input, so a path that leaves the folder
 * (`../x`, an absolute or drive path) is refused, and so is a symlink that resolves outside it
 * (checked with realpath; a link to another file inside the folder is fine).
 *
 * @param dir - The folder holding model.json (or a diffusers export's model_index.json).
 * @returns A {@link ModelSource} reading `dir/<path>`. Its reads reject with a `RuntimeError`
 *   `invalid-manifest` for a refused path, and with the file system's error otherwise.
 * @public
 */
export function fileSource(dir: string): ModelSource {
  const root = resolve(dir);
  let realRoot: Promise<string> | undefined;
  return {
    location: root,
    readFile: async (p) => {
      const problem = modelPathProblem(p);
      if (problem !== null) {
        throw new RuntimeError('invalid-manifest', `Refused to read ${JSON.stringify(p)} from ${root}: ${problem}.`, {
          issues: [{ path: p, message: `refused: ${problem}` }],
        });
      }
      realRoot ??= realpath(root);
      const [base, real] = await Promise.all([realRoot, realpath(join(root, ...p.split('/')))]);
      const rel = relative(base, real);
      if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        throw new RuntimeError(
          'invalid-manifest',
          `Refused to read ${JSON.stringify(p)} from ${root}: it resolves to ${real}, outside the model folder (${base}); ` +
            "a model's files must lie inside its folder. (A Hugging Face cache snapshot links into its blobs/ folder: copy it " +
            'with `cp -rL` first.)',
          { issues: [{ path: p, message: `refused: a symlink to ${real}, outside the model folder` }] },
        );
      }
      const buf = await readFile(real);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

function packageDir(pkg: string): string | null {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    // the package may not export ./package.json: look for it on the node_modules path
    for (const base of require.resolve.paths(pkg) ?? []) {
      const d = join(base, ...pkg.split('/'));
      if (existsSync(join(d, 'package.json'))) return d;
    }
    return null;
  }
}

/**
 * Resolve a model name or folder to the model folder: `'fashion'` is the embedded model (package
 * `@flexiffusion/model-fashion`, its `model/` folder); anything else is a path to a folder holding
 * model.json or a diffusers / optimum ONNX export (model_index.json).
 *
 * @param nameOrDir - An embedded model name or a folder.
 * @returns The absolute folder.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `missing-file` when the package or folder is missing or has neither
 *   model.json nor model_index.json.
 * @public
 */
export function resolveModelDir(nameOrDir: string): string {
  const pkg = EMBEDDED_MODELS[nameOrDir];
  if (pkg !== undefined) {
    const dir = packageDir(pkg);
    if (!dir) {
      throw new RuntimeError(
        'missing-file',
        `The embedded model ${JSON.stringify(nameOrDir)} lives in the package ${pkg}, which is not installed: npm install ${pkg}.`,
      );
    }
    for (const d of [join(dir, 'model'), dir]) if (existsSync(join(d, MANIFEST_FILE))) return d;
    throw new RuntimeError('missing-file', `The package ${pkg} (${dir}) has no ${MANIFEST_FILE} in model/ or its root.`);
  }
  const dir = resolve(nameOrDir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // handled below
  }
  if (!isDir || !(existsSync(join(dir, MANIFEST_FILE)) || existsSync(join(dir, MODEL_INDEX_FILE)))) {
    throw new RuntimeError(
      'missing-file',
      `Unknown model ${JSON.stringify(nameOrDir)}: expected one of the embedded models (${Object.keys(EMBEDDED_MODELS)
        .map((k) => `"${k}"`)
        .join(', ')}) or a folder holding ${MANIFEST_FILE} or a diffusers ONNX export (${MODEL_INDEX_FILE})` +
        `${isDir ? ` (${dir} has neither)` : ''}.`,
    );
  }
  return dir;
}

/**
 * Options of {@link loadModel}.
 *
 * @public
 */
export interface LoadModelOptions {
  /** `cpu` (default), `cuda`, or `auto` (CUDA where it loads and runs, else CPU). Ignored when `backend` is given. */
  readonly device?: NodeDevice;
  /** Intra-op threads per session (default: onnxruntime's choice). Used with `device`. */
  readonly threads?: number;
  /**
   * Backends to use instead of `device`: one ({@link cpuBackend}, {@link cudaBackend}, your own), a
   * list to try in order, or an already started one.
   */
  readonly backend?: Backend | ActiveBackend | readonly Backend[];
  /** Called for each backend that failed to start before one did (e.g. why `auto` fell back to CPU). */
  readonly onFallback?: (failed: { readonly name: string; readonly error: unknown }) => void;
  /** Check files against the manifest's SHA-256 (default true). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load (default: on first use). */
  readonly eagerPartials?: boolean;
  /** Cancels loading. */
  readonly signal?: AbortSignalLike;
  /** Loading progress. */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * Load a model for generation on Node with onnxruntime-node: resolve the name or folder
 * ({@link resolveModelDir}), start the backend, and open the model with `@flexiffusion/runtime`'s
 * `openModel` (the same `Model` class the browser gets). Its `location` is the absolute folder.
 *
 * @param nameOrDir - `'fashion'` (the embedded model), a folder holding model.json, or a diffusers /
 *   optimum ONNX export folder (model_index.json, unet/, scheduler/, …: its manifest is derived, see
 *   `readModelFolder` of `@flexiffusion/runtime`).
 * @param options - `device` (`cpu` | `cuda` | `auto`) and `threads`, or `backend`; `verifyChecksums`,
 *   `eagerPartials`, `signal`, `onProgress`, `onFallback`.
 * @returns The `Model`; `dispose()` it when done.
 * @throws `RuntimeError`: `missing-file` (no such model, package or file), `unsupported` (an unknown
 *   device, or no backend starts — for CUDA the message says how to install it), `invalid-option`,
 *   `invalid-manifest`, `io-mismatch`, `shape-mismatch`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * import { loadModel, saveImageGrid } from '@flexiffusion/runtime-node';
 * const model = await loadModel('fashion', { device: 'auto', threads: 2 });
 * console.log(model.backend.description); // "cuda (…)" or "cpu (…)"
 * const r = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [3], seeds: [42] });
 * await saveImageGrid('grid.png', r.samples, r.shape, model.imageOptions);
 * await model.dispose();
 * ```
 * @public
 */
export async function loadModel(nameOrDir: string, options: LoadModelOptions = {}): Promise<Model> {
  const dir = resolveModelDir(nameOrDir);
  const backend =
    options.backend ?? nodeBackends(options.device ?? 'cpu', options.threads !== undefined ? { threads: options.threads } : {});
  return openModel({
    source: fileSource(dir),
    backend,
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
    ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
    ...(options.eagerPartials ? { eagerPartials: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
