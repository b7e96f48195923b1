// The kinds of field a manifest has, as valibot schemas with the manifest's messages. Every check
// of one field shares the field's message, so the first that fails says what the field needs.
import * as v from 'valibot';
import { oneOf, show } from '../errors.js';
import { expected, isRecord, missingKey, oneOfMessage, pathTo } from './issues.js';

/**
 * A relative, '/'-separated path inside the model folder: not absolute, no drive letter or scheme
 * (no `:` in the first segment: `C:/x`, `https://…`), no backslash, no `..` segment. Lookaheads
 * only, so the empty string passes (the non-empty check reports it). The same rule in code, with the
 * reason in words: `modelPathProblem` (src/import/paths.ts), which readModelFile also applies.
 */
const RELATIVE_PATH = /^(?!\/)(?![^/]*:)(?![\s\S]*\\)(?!(?:[\s\S]*\/)?\.\.(?:\/|$))/;

/**
 * A non-empty string (a graph input or output name, a model name).
 *
 * @returns The schema.
 * @internal
 */
export function text() {
  const m = expected('a non-empty string');
  return v.pipe(v.string(m), v.nonEmpty(m));
}

/**
 * A file of the model folder, relative to it.
 *
 * @returns The schema.
 * @internal
 */
export function relativeFile() {
  const m = expected('a non-empty string');
  return v.pipe(
    v.string(m),
    v.nonEmpty(m),
    v.regex(RELATIVE_PATH, expected("a relative '/'-separated path inside the model folder (no '..', absolute, drive or URL path)")),
  );
}

/**
 * An optional lowercase hex SHA-256, checked against the file on load.
 *
 * @returns The schema.
 * @internal
 */
export function sha256() {
  const m = expected('64 lowercase hex digits');
  return v.optional(v.pipe(v.string(m), v.regex(/^[0-9a-f]{64}$/, m)));
}

/**
 * A safe integer `>= min`.
 *
 * @param min - The smallest valid value.
 * @param what - The valid values in words, for the message.
 * @returns The schema.
 * @internal
 */
export function integer(min: number, what: string) {
  const m = expected(what);
  return v.pipe(v.number(m), v.safeInteger(m), v.minValue(min, m));
}

/**
 * A boolean.
 *
 * @returns The schema.
 * @internal
 */
export function flag() {
  return v.boolean(expected('true or false'));
}

/**
 * A number strictly between `low` and `high`.
 *
 * @param low - Exclusive lower bound.
 * @param high - Exclusive upper bound.
 * @returns The schema.
 * @internal
 */
export function between(low: number, high: number) {
  const m = expected(`a number in (${low}, ${high})`);
  return v.pipe(v.number(m), v.gtValue(low, m), v.ltValue(high, m));
}

/**
 * A finite number `> low`.
 *
 * @param low - Exclusive lower bound.
 * @param what - The valid values in words, for the message.
 * @returns The schema.
 * @internal
 */
export function above(low: number, what: string) {
  const m = expected(what);
  return v.pipe(v.number(m), v.finite(m), v.gtValue(low, m));
}

/**
 * A finite number `>= low`.
 *
 * @param low - Inclusive lower bound.
 * @param what - The valid values in words, for the message.
 * @returns The schema.
 * @internal
 */
export function atLeast(low: number, what: string) {
  const m = expected(what);
  return v.pipe(v.number(m), v.finite(m), v.minValue(low, m));
}

/**
 * One of a list of strings.
 *
 * @param values - The valid values.
 * @returns The schema.
 * @internal
 */
export function choice<const T extends readonly string[]>(values: T) {
  return v.picklist(values, oneOfMessage(values));
}

/**
 * A JSON object (not an array) with exactly the given fields: a key the format does not define is
 * reported (`Unknown field "x". Should be one of: …`), never silently accepted.
 *
 * @param entries - The fields.
 * @param what - What the value must be, for the message (default `an object`).
 * @returns The schema; its output is readonly.
 * @internal
 */
export function block<const E extends v.ObjectEntries>(entries: E, what = 'an object') {
  return closedBlock(entries, 'field', what);
}

/**
 * A JSON object with exactly the given fields: every key it does not declare is reported (valibot's
 * `strictObject` reports only the first). The loose object checks the fields and keeps the unknown
 * keys for the check; the strict object after it runs only when both passed, so it adds no issue,
 * gives the output type and `additionalProperties: false` in the JSON Schema.
 *
 * @param entries - The fields.
 * @param kind - What a key is, for the message: `Unknown <kind> "x". Should be one of: …`.
 * @param what - What the value must be, for the message (default `an object`).
 * @returns The schema; its output is readonly.
 * @internal
 */
export function closedBlock<const E extends v.ObjectEntries>(entries: E, kind: string, what = 'an object') {
  const known = Object.keys(entries);
  const loose = v.looseObject(entries, missingKey(entries));
  const unknownKeys = v.rawCheck<v.InferOutput<typeof loose>>(({ dataset, addIssue }) => {
    const value: unknown = dataset.value;
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      addIssue({ message: `Unknown ${kind} ${show(key)}. Should be one of: ${oneOf(known)}.`, path: pathTo(value, [key]) });
    }
  });
  return v.pipe(v.custom<Record<string, unknown>>(isRecord, expected(what)), loose, unknownKeys, v.strictObject(entries), v.readonly());
}

/**
 * A value checked as a whole: one issue at the value's own path (`unet.sampleShape`) instead of
 * one per bad item (`unet.sampleShape[2]`). The check runs `schema`; when it fails the pipe stops
 * before `schema`, which otherwise runs again (without issues) to give the output.
 *
 * @param schema - The value's schema (a tuple, an array).
 * @param what - The valid values in words, for the message.
 * @returns The schema.
 * @internal
 */
export function whole<const S extends v.GenericSchema>(schema: S, what: string) {
  const m = expected(what);
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!v.is(schema, dataset.value)) addIssue({ message: m });
    }),
    schema,
  );
}
