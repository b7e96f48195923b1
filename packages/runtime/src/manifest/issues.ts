// Messages of the manifest schema and the step that turns valibot's issues into RuntimeIssues.
//
// A message is written where its check is declared, but valibot builds it before the issue knows
// its whole path (a nested schema sees only its own key). So messages hold AT where the JSON path
// goes, and toRuntimeIssues puts the path in once the issue has reached the root.
import * as v from 'valibot';
import { oneOf, show, type RuntimeIssue } from '../errors.js';

/**
 * Stands for the issue's JSON path in a message. A NUL never appears in a shown value: `show`
 * writes strings through JSON.stringify, which escapes it.
 *
 * @internal
 */
export const AT = '\u0000';

/**
 * A message of the manifest schema, built from valibot's issue.
 *
 * @internal
 */
export type Message = (issue: v.BaseIssue<unknown>) => string;

/**
 * `Missing <path>: expected <what>.` or `Invalid <path> <value>: expected <what>.`
 *
 * @param what - The valid values in words, e.g. `a positive integer (e.g. 1000)`.
 * @returns The message.
 * @internal
 */
export function expected(what: string): Message {
  return (issue) => `${issue.input === undefined ? `Missing ${AT}` : `Invalid ${AT} ${show(issue.input)}`}: expected ${what}.`;
}

/**
 * `Missing <path>. Should be one of: …` or `Unsupported <path> <value>. Should be one of: …`
 *
 * @param values - The valid values.
 * @returns The message.
 * @internal
 */
export function oneOfMessage(values: readonly unknown[]): Message {
  const valid = oneOf(values);
  return (issue) => {
    const bad = issue.input === undefined ? `Missing ${AT}` : `Unsupported ${AT} ${show(issue.input)}`;
    return `${bad}. Should be one of: ${valid}.`;
  };
}

/**
 * A message for an issue that a rule reports: `Invalid <path> <value>: expected <what>.`
 *
 * @param value - The bad value.
 * @param what - The valid values in words.
 * @returns The message, with {@link AT} for the path.
 * @internal
 */
export function invalid(value: unknown, what: string): string {
  return `Invalid ${AT} ${show(value)}: expected ${what}.`;
}

/** What the walkers below read of a valibot schema (its public, documented properties). */
interface SchemaNode {
  readonly kind: string;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly item?: SchemaNode;
  readonly items?: readonly SchemaNode[];
  readonly wrapped?: SchemaNode;
  readonly pipe?: readonly SchemaNode[];
}

/** The schema holding a value's structure: optional() unwrapped, a pipe's last schema. */
function structural(schema: SchemaNode): SchemaNode {
  let s = schema;
  for (;;) {
    if (s.wrapped) s = s.wrapped;
    else if (s.pipe) {
      const schemas = s.pipe.filter((item) => item.kind === 'schema');
      const last = schemas[schemas.length - 1];
      if (!last || last === s) return s;
      s = last;
    } else return s;
  }
}

/** The schema of the value at `key` inside a value of `schema`, if the schema declares it. */
function child(schema: SchemaNode, key: unknown): SchemaNode | undefined {
  const s = structural(schema);
  if (typeof key === 'number') return s.item ?? s.items?.[key];
  return typeof key === 'string' && s.entries && Object.hasOwn(s.entries, key) ? s.entries[key] : undefined;
}

/**
 * The schema at a path of keys, e.g. `['unet', 'inputs', 'classLabels']`.
 *
 * @param root - The schema to start from.
 * @param keys - Object keys and array indices.
 * @returns The schema, or undefined when the path leaves what the schema declares.
 * @internal
 */
export function schemaAt(root: v.GenericSchema, keys: readonly unknown[]): v.GenericSchema | undefined {
  let node: SchemaNode | undefined = root as unknown as SchemaNode;
  for (const key of keys) node = node && child(node, key);
  return node as unknown as v.GenericSchema | undefined;
}

/**
 * The message a schema gives when its value is missing (its check of `undefined`), with
 * `optional()` unwrapped: the message of a required object's missing key, and of a block or
 * field that a family requires.
 *
 * @param schema - The field's schema.
 * @returns The message, with {@link AT} for the path.
 * @internal
 */
export function missingMessage(schema: v.GenericSchema | undefined): string {
  let s = schema as unknown as SchemaNode | undefined;
  while (s?.wrapped) s = s.wrapped;
  const issue = s && v.safeParse(s as unknown as v.GenericSchema, undefined).issues?.[0];
  return issue?.message ?? `Missing ${AT}.`;
}

/**
 * The message of an object schema: only its missing keys reach it (a guard before it rejects
 * values that are not objects), and each gets its field's own "missing" message.
 *
 * @param entries - The object's entries.
 * @returns The message.
 * @internal
 */
export function missingKey(entries: v.ObjectEntries): Message {
  return (issue) => {
    const key = issue.path?.[0]?.key;
    return missingMessage(typeof key === 'string' && Object.hasOwn(entries, key) ? entries[key] : undefined);
  };
}

/**
 * Builds the path of an issue that a check on `root` reports at a value inside it.
 *
 * @param root - The value the check sees.
 * @param keys - Keys from `root` to the value the issue is about.
 * @returns valibot path items.
 * @internal
 */
export function pathTo(root: unknown, keys: readonly [unknown, ...unknown[]]): [v.IssuePathItem, ...v.IssuePathItem[]] {
  let input = root;
  const items = keys.map((key): v.IssuePathItem => {
    const value = isRecord(input) && (typeof key === 'string' || typeof key === 'number') ? input[key] : undefined;
    const item: v.IssuePathItem = { type: 'unknown', origin: 'value', input, key, value };
    input = value;
    return item;
  });
  return items as [v.IssuePathItem, ...v.IssuePathItem[]];
}

/**
 * A plain object (not null, not an array), as JSON objects are.
 *
 * @param value - Any value.
 * @returns Whether it is one.
 * @internal
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `unet.cache[1].tensor`; top-level scalars as `manifest.name`, as the hand-written validator wrote them. */
function jsonPath(keys: readonly unknown[], prefixed: ReadonlySet<string>): string {
  if (keys.length === 1 && typeof keys[0] === 'string' && prefixed.has(keys[0])) return `manifest.${keys[0]}`;
  let out = '';
  for (const key of keys) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** Where a path lies in the file: each key's place among its schema's entries (unknown keys last), each index. */
function documentOrder(root: v.GenericSchema, keys: readonly unknown[]): number[] {
  let node: SchemaNode | undefined = root as unknown as SchemaNode;
  return keys.map((key) => {
    const names = node ? Object.keys(structural(node).entries ?? {}) : [];
    const rank = typeof key === 'number' ? key : names.includes(String(key)) ? names.indexOf(String(key)) : names.length;
    node = node && child(node, key);
    return rank;
  });
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Turns valibot's issues into RuntimeIssues: the JSON path written into each message, in the
 * order of the file (a rule on the whole manifest reports where its field is, not last), each
 * problem once (one field's checks share a message, so two failing checks would repeat it).
 *
 * @param issues - valibot's issues.
 * @param root - The schema that found them (gives the order of the keys).
 * @param prefixed - Top-level keys written `manifest.<key>`.
 * @returns The issues, path and message each.
 * @internal
 */
export function toRuntimeIssues(
  issues: readonly v.BaseIssue<unknown>[],
  root: v.GenericSchema,
  prefixed: ReadonlySet<string> = new Set(),
): RuntimeIssue[] {
  const seen = new Set<string>();
  const out: { issue: RuntimeIssue; order: number[] }[] = [];
  for (const issue of issues) {
    const keys = issue.path?.map((item) => item.key) ?? [];
    const path = jsonPath(keys, prefixed);
    const message = issue.message.replace(AT, path);
    if (seen.has(`${path}\n${message}`)) continue;
    seen.add(`${path}\n${message}`);
    out.push({ issue: { path, message }, order: documentOrder(root, keys) });
  }
  return out.sort((a, b) => compareOrder(a.order, b.order)).map((entry) => entry.issue);
}
