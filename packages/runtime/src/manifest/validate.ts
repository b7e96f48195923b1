import * as v from 'valibot';
import { RuntimeError, show } from '../errors.js';
import { utf8Decode } from '../internal/platform.js';
import { isRecord, toRuntimeIssues } from './issues.js';
import { PREFIXED_KEYS, manifestSchema } from './schema.js';
import type { ModelManifest } from './types.js';

/**
 * Check a parsed `model.json` and return it typed. Every problem is collected, so one error lists
 * them all (`error.issues`, each with a JSON path, in the order of the file). Fields the format
 * does not define (e.g. a model package's `testSample` block) are kept and not checked.
 *
 * @param value - The parsed JSON.
 * @returns The same object, typed as a {@link ModelManifest}.
 * @throws {@link RuntimeError} `invalid-manifest` listing every problem.
 * @example
 * ```ts
 * const manifest = validateManifest(JSON.parse(text));
 * manifest.unet.cache.length; // number of cache branches
 * ```
 * @public
 */
export function validateManifest(value: unknown): ModelManifest {
  if (!isRecord(value)) {
    throw new RuntimeError('invalid-manifest', `Invalid manifest ${show(value)}: expected a JSON object.`, {
      issues: [{ path: '', message: 'expected a JSON object' }],
    });
  }
  const result = v.safeParse(manifestSchema, value);
  // the input itself, not valibot's copy: that one drops the fields the format does not define
  if (result.success) return value as unknown as ModelManifest;
  const issues = toRuntimeIssues(result.issues, manifestSchema, PREFIXED_KEYS);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more, see error.issues)` : '';
  throw new RuntimeError(
    'invalid-manifest',
    `Invalid model manifest (${issues.length} problem${issues.length > 1 ? 's' : ''}): ${issues[0]?.message}${more}`,
    { issues },
  );
}

/**
 * Parse and validate `model.json` text or bytes.
 *
 * @param data - The file's text or UTF-8 bytes.
 * @returns The manifest.
 * @throws {@link RuntimeError} `invalid-manifest` for invalid JSON or an invalid manifest.
 * @example
 * ```ts
 * const manifest = parseManifest(await fs.readFile('model.json'));
 * ```
 * @public
 */
export function parseManifest(data: string | Uint8Array): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : utf8Decode(data));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new RuntimeError('invalid-manifest', `The model manifest is not valid UTF-8 JSON: ${reason}.`, { cause });
  }
  return validateManifest(json);
}
