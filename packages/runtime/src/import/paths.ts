// A model is untrusted input: every file it names must lie inside its folder. One rule, used by the
// manifest schema (each `file` field), by model_index.json's component names, by readModelFile (so a
// manifest handed to openModel unvalidated is checked too) and by the platform sources.
import { RuntimeError } from '../errors.js';

/**
 * Why a path a model names does not stay inside the model folder, or `null` when it does. Valid:
 * a relative, `/`-separated path such as `unet/model.onnx`. Refused: an absolute path (`/x`,
 * `//host/x`), a Windows drive or UNC path (`C:\x`, `C:/x`, `\\host\x`), a URL or anything with a
 * scheme (`https://…`, `file:…`: a `:` in the first segment), a backslash, a `..` segment, a NUL,
 * and the empty path.
 *
 * @param path - The path as the model names it.
 * @returns The reason in words, or `null`.
 * @example
 * ```ts
 * modelPathProblem('unet/model.onnx'); // null
 * modelPathProblem('../x.onnx');       // 'it has a ".." segment, which leaves the model folder'
 * ```
 * @public
 */
export function modelPathProblem(path: string): string | null {
  if (typeof path !== 'string' || path === '') return 'it is empty';
  if (path.includes('\u0000')) return 'it holds a NUL character';
  if (/^[A-Za-z]:/.test(path)) return 'it is a Windows drive path';
  if (path.startsWith('/')) return 'it is an absolute path';
  if (path.includes('\\')) return "it has a backslash (paths inside a model folder are '/'-separated)";
  const segments = path.split('/');
  if (segments[0]!.includes(':')) return 'it has a scheme (a URL), not a path inside the model folder';
  if (segments.includes('..')) return 'it has a ".." segment, which leaves the model folder';
  return null;
}

/**
 * Throw when a path a model names leaves its folder.
 *
 * @param path - The path.
 * @param field - Where it is named, e.g. `unet.file` or `model_index.json entry "unet"`.
 * @throws {@link RuntimeError} `invalid-manifest` naming the field, the value and why.
 * @internal
 */
export function checkModelPath(path: string, field: string): void {
  const problem = modelPathProblem(path);
  if (problem === null) return;
  throw new RuntimeError(
    'invalid-manifest',
    `Refused ${field} ${JSON.stringify(path)}: ${problem}. A model may only name files inside its own folder ` +
      '(a relative \'/\'-separated path such as "unet/model.onnx").',
    { issues: [{ path: field, message: `refused: ${problem}` }] },
  );
}
