import { createHash } from 'node:crypto';
import { formatSchedule, parseSchedule } from '@flexiffusion/schedule';
import { QueueError } from './errors.js';
import { describe, errorMessage } from './internal/describe.js';

/** Version of the job payload; a worker refuses other versions as invalid. @public */
export const JOB_FORMAT = 1;

/**
 * Any JSON value: what a job's sampler settings may hold.
 *
 * @public
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Which job: the teacher's reference statistics, or one candidate schedule's.
 *
 * @public
 */
export type JobKind = 'teacher' | 'candidate';

/**
 * The payload of one evaluation job: everything the result depends on, and nothing else. Its
 * content hash is the job id ({@link evaluationJobId}), so the same evaluation asked twice (a
 * retry, a resumed driver, another search with the same teacher) is one job with one result.
 *
 * @public
 */
export interface EvaluationJob {
  /** {@link JOB_FORMAT}. */
  readonly format: typeof JOB_FORMAT;
  /** `teacher` or `candidate`. */
  readonly kind: JobKind;
  /** Content hash of the model (a worker holding another model refuses the job). */
  readonly model: string;
  /** The schedule in canonical notation (`formatSchedule`). */
  readonly schedule: string;
  /** Sampler and generation settings (sampler name, guidance, null mode, batch size…), as JSON. */
  readonly sampler: JsonValue;
  /** One initial-noise seed per sample. */
  readonly seeds: readonly number[];
  /** One class label per sample (class-conditional models). */
  readonly labels?: readonly number[];
  /** One prompt per sample (text-to-image models). */
  readonly prompts?: readonly string[];
  /** One negative prompt per sample. */
  readonly negativePrompts?: readonly string[];
  /** Identity of the feature extractor (`FeatureExtractor.id`). */
  readonly extractor: string;
  /** Feature dimension the extractor must return. */
  readonly dim: number;
  /** Teacher jobs only: keep the images in Redis, for the candidates' paired metrics (MSE, PSNR). */
  readonly keepImages?: true;
  /** Candidate jobs only: the teacher job whose kept images this candidate is paired with. */
  readonly pairWith?: string;
}

/** Largest accepted sample count and feature dimension: a malformed job cannot make a worker allocate without bound. */
const MAX_SAMPLES = 1_000_000;
const MAX_DIM = 65_536;
const MAX_TEXT = 100_000;
const MAX_SAMPLER_JSON = 65_536;
const JOB_ID = /^(teacher|candidate)-[0-9a-f]{64}$/;
const KEYS = new Set([
  'format',
  'kind',
  'model',
  'schedule',
  'sampler',
  'seeds',
  'labels',
  'prompts',
  'negativePrompts',
  'extractor',
  'dim',
  'keepImages',
  'pairWith',
]);

/**
 * JSON with object keys sorted (by UTF-16 code units), no whitespace, and numbers as JavaScript
 * prints them (the shortest text that reads back to the same double). Two equal values give the
 * same text whatever their key order. `undefined` object fields are left out.
 *
 * @param value - JSON data.
 * @returns The canonical text.
 * @throws {@link QueueError} `invalid-job` for values JSON cannot hold exactly (NaN, ±Infinity,
 *   functions, bigints, `undefined` in arrays, cycles).
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 * @public
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const notJson = Symbol('undefined');
  const walk = (v: unknown, path: string): string => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new QueueError('invalid-job', `${path}: ${v} is not JSON data (finite numbers only).`);
      return JSON.stringify(v);
    }
    if (v === notJson) throw new QueueError('invalid-job', `${path}: undefined is not JSON data.`);
    if (typeof v !== 'object') throw new QueueError('invalid-job', `${path}: ${describe(v)} is not JSON data.`);
    if (seen.has(v)) throw new QueueError('invalid-job', `${path}: a cycle is not JSON data.`);
    seen.add(v);
    let out: string;
    if (Array.isArray(v)) {
      out = `[${v.map((x, i) => walk(x === undefined ? notJson : x, `${path}[${i}]`)).join(',')}]`;
    } else if (ArrayBuffer.isView(v)) {
      throw new QueueError('invalid-job', `${path}: a typed array is not JSON data (use a plain array).`);
    } else {
      const keys = Object.keys(v)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      out = `{${keys.map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k], `${path}.${k}`)}`).join(',')}}`;
    }
    seen.delete(v);
    return out;
  };
  return walk(value, '$');
}

/**
 * The id of a job: `<kind>-` followed by the SHA-256 (hex) of the canonical JSON
 * ({@link canonicalJson}) of the whole validated payload — model hash, schedule, sampler
 * settings, seeds, labels or prompts, extractor id and dimension, and the pairing fields. BullMQ
 * keeps one job per id, so adding it again returns the existing job (and its result).
 *
 * @param job - The payload.
 * @returns The id, e.g. `candidate-3f1c…` (64 hex digits).
 * @throws {@link QueueError} `invalid-job` for a payload that fails {@link validateJob}.
 * @example
 * ```ts
 * const id = evaluationJobId({ format: 1, kind: 'teacher', model: 'fashion:ab12…', schedule: 'F F F F', sampler: { name: 'ddim' },
 *   seeds: [0, 1], extractor: 'fashion-features', dim: 128 });
 * ```
 * @public
 */
export function evaluationJobId(job: EvaluationJob): string {
  const valid = validateJob(job);
  return `${valid.kind}-${createHash('sha256').update(canonicalJson(valid)).digest('hex')}`;
}

/**
 * Whether a string is a well-formed job id (`teacher-` or `candidate-` and 64 hex digits).
 *
 * @param id - The string.
 * @returns `true` for a job id.
 * @public
 */
export function isEvaluationJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID.test(id);
}

/**
 * Check a job payload, collecting every problem with its JSON path (`$.seeds[3]: expected an
 * integer, got 1.5`). A worker calls it before anything else: a malformed job fails with the
 * reasons and is never retried. Sizes are bounded (≤ 1,000,000 samples, dimension ≤ 65,536,
 * texts ≤ 100,000 characters, sampler JSON ≤ 64 KiB).
 *
 * @param value - Untrusted data (a job read from Redis).
 * @returns The payload, frozen, with only the known fields.
 * @throws {@link QueueError} `invalid-job` listing every problem.
 * @public
 */
export function validateJob(value: unknown): EvaluationJob {
  const issues: string[] = [];
  const issue = (path: string, msg: string): void => {
    if (issues.length < 20) issues.push(`${path}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QueueError('invalid-job', `Invalid job ${describe(value)}: expected an object with format ${JOB_FORMAT}.`);
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k) && o[k] !== undefined) issue(`$.${k}`, `unknown field (valid: ${[...KEYS].join(', ')})`);
  if (o['format'] !== JOB_FORMAT) issue('$.format', `expected ${JOB_FORMAT}, got ${describe(o['format'])}`);
  const kind = o['kind'];
  if (kind !== 'teacher' && kind !== 'candidate') issue('$.kind', `expected "teacher" or "candidate", got ${describe(kind)}`);
  const text = (k: string, max: number): string | undefined => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) {
      issue(`$.${k}`, `expected a non-empty string of at most ${max} characters, got ${describe(v)}`);
      return undefined;
    }
    return v;
  };
  text('model', 512);
  text('extractor', 512);
  const schedule = text('schedule', MAX_TEXT);
  if (schedule !== undefined) {
    try {
      const canonical = formatSchedule(parseSchedule(schedule));
      if (canonical !== schedule)
        issue('$.schedule', `not in canonical notation: expected ${describe(canonical)}, got ${describe(schedule)}`);
    } catch (e) {
      issue('$.schedule', `not a valid schedule: ${errorMessage(e)}`);
    }
  }
  const dim = o['dim'];
  if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 1 || dim > MAX_DIM) {
    issue('$.dim', `expected an integer in [1, ${MAX_DIM}], got ${describe(dim)}`);
  }
  if (o['sampler'] === undefined) issue('$.sampler', 'expected the sampler settings (JSON data), got undefined');
  else {
    try {
      const json = canonicalJson(o['sampler']);
      if (json.length > MAX_SAMPLER_JSON) issue('$.sampler', `${json.length} characters of JSON, more than ${MAX_SAMPLER_JSON}`);
    } catch (e) {
      issue('$.sampler', errorMessage(e).replace(/^\$/, ''));
    }
  }
  const seeds = o['seeds'];
  let n = -1;
  if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > MAX_SAMPLES) {
    issue('$.seeds', `expected an array of 1 to ${MAX_SAMPLES} integers, got ${describe(seeds)}`);
  } else {
    n = seeds.length;
    const bad = seeds.findIndex((s) => typeof s !== 'number' || !Number.isSafeInteger(s));
    if (bad >= 0) issue(`$.seeds[${bad}]`, `expected an integer, got ${describe(seeds[bad])}`);
  }
  const perSample = (k: string, check: (x: unknown) => boolean, what: string): void => {
    const v = o[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || (n >= 0 && v.length !== n)) {
      issue(`$.${k}`, `expected an array of ${n >= 0 ? n : 'one per seed'} ${what}, got ${describe(v)}`);
      return;
    }
    const bad = v.findIndex((x) => !check(x));
    if (bad >= 0) issue(`$.${k}[${bad}]`, `expected ${what.replace(/s$/, '')}, got ${describe(v[bad])}`);
  };
  perSample('labels', (x) => typeof x === 'number' && Number.isSafeInteger(x), 'integers');
  perSample('prompts', (x) => typeof x === 'string' && x.length <= MAX_TEXT, `strings of at most ${MAX_TEXT} characters`);
  perSample('negativePrompts', (x) => typeof x === 'string' && x.length <= MAX_TEXT, `strings of at most ${MAX_TEXT} characters`);
  if (n > 0 && typeof dim === 'number' && n * dim > 2 ** 28) issue('$.dim', `${n} samples × ${dim} features is more than 2^28 values`);
  const keep = o['keepImages'];
  if (keep !== undefined && (keep !== true || kind !== 'teacher'))
    issue('$.keepImages', `expected true on a teacher job or nothing, got ${describe(keep)}`);
  const pair = o['pairWith'];
  if (pair !== undefined && (kind !== 'candidate' || !isEvaluationJobId(pair) || !pair.startsWith('teacher-'))) {
    issue('$.pairWith', `expected a teacher job id on a candidate job or nothing, got ${describe(pair)}`);
  }
  if (issues.length > 0) throw new QueueError('invalid-job', `Invalid job: ${issues.join('; ')}.`);
  const job: Record<string, unknown> = {};
  for (const k of KEYS) if (o[k] !== undefined) job[k] = o[k];
  return Object.freeze(job) as unknown as EvaluationJob;
}
