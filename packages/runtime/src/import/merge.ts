// model.json beside an export folder: its fields win over the derived ones.
import { isRecord } from '../manifest/issues.js';

/**
 * Merge a folder's `model.json` over the manifest derived from its export files: objects are merged
 * key by key (recursively), anything else in `override` replaces the derived value (an array
 * replaces the whole array: `"cache": [...]` is the whole branch list), and `null` removes the
 * derived field (`"vae": null`). Neither input is changed.
 *
 * @param derived - The derived fields.
 * @param override - The parsed model.json.
 * @returns The merged object (validate it with validateManifest).
 * @example
 * ```ts
 * mergeManifest({ unet: { file: 'unet/model.onnx', output: 'out_sample' } }, { unet: { output: 'eps' } });
 * // { unet: { file: 'unet/model.onnx', output: 'eps' } }
 * ```
 * @public
 */
export function mergeManifest(
  derived: Readonly<Record<string, unknown>>,
  override: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...derived };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isRecord(value) && isRecord(out[key])) out[key] = mergeManifest(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}

/**
 * Whether a dotted path (`unet.inputs.sample`) holds a value in `value`.
 *
 * @internal
 */
export function hasPath(value: unknown, path: string): boolean {
  let at: unknown = value;
  for (const key of path.split('.')) {
    if (!isRecord(at) || at[key] === undefined) return false;
    at = at[key];
  }
  return true;
}
