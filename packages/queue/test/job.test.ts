import { createHash } from 'node:crypto';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type EvaluationJob, evaluationJobId, isEvaluationJobId, QueueError, validateJob } from '../src/index.js';

const job: EvaluationJob = {
  format: 1,
  kind: 'candidate',
  model: 'fashion:0123abcd',
  schedule: 'F P0 N N | F P0 N N',
  sampler: { sampler: 'ddim', guidance: 2, nullMode: 'skip', batchSize: 32 },
  seeds: [0, 1, 2, 3],
  labels: [0, 1, 2, 3],
  extractor: 'fashion-features',
  dim: 128,
};

/** Reorder an object's keys, deeply (same value, other JSON text). */
function shuffled(v: unknown, rng: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffled(x, rng));
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).sort(() => rng() - 0.5);
    return Object.fromEntries(entries.map(([k, x]) => [k, shuffled(x, rng)]));
  }
  return v;
}

describe('canonicalJson', () => {
  it('sorts keys and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 0, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":0,"z":0}}',
    );
  });

  fcTest.prop([fc.jsonValue(), fc.integer()])('is the same text whatever the key order', (value, seed) => {
    let s = seed;
    const rng = () => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
    expect(canonicalJson(shuffled(value, rng))).toBe(canonicalJson(value));
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('refuses what JSON cannot hold exactly, with the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow('$.a[1]: NaN is not JSON data');
    expect(() => canonicalJson({ a: [undefined] })).toThrow('$.a[0]: undefined is not JSON data');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f: a function is not JSON data');
    expect(() => canonicalJson(new Float32Array(2))).toThrow('typed array');
    const cyc: Record<string, unknown> = {};
    cyc['self'] = cyc;
    expect(() => canonicalJson(cyc)).toThrow('cycle');
  });
});

describe('evaluationJobId', () => {
  it('is the kind and the SHA-256 of the canonical payload, stable across key order', () => {
    const id = evaluationJobId(job);
    expect(id).toMatch(/^candidate-[0-9a-f]{64}$/);
    expect(isEvaluationJobId(id)).toBe(true);
    expect(evaluationJobId(shuffled(job, Math.random) as EvaluationJob)).toBe(id);
    // the recipe, written out: a change of it changes every id, and with it every cached result
    const canonical =
      '{"dim":128,"extractor":"fashion-features","format":1,"kind":"candidate","labels":[0,1,2,3],"model":"fashion:0123abcd",' +
      '"sampler":{"batchSize":32,"guidance":2,"nullMode":"skip","sampler":"ddim"},"schedule":"F P0 N N | F P0 N N","seeds":[0,1,2,3]}';
    expect(canonicalJson(job)).toBe(canonical);
    expect(id).toBe(`candidate-${createHash('sha256').update(canonical).digest('hex')}`);
  });

  it('changes with everything the result depends on', () => {
    const id = evaluationJobId(job);
    const variants: Partial<EvaluationJob>[] = [
      { model: 'fashion:ffff' },
      { schedule: 'F P1 N N | F P0 N N' },
      { sampler: { ...(job.sampler as object), guidance: 3 } },
      { seeds: [0, 1, 2, 4] },
      { labels: [0, 1, 2, 4] },
      { extractor: 'inception' },
      { pairWith: `teacher-${'a'.repeat(64)}` },
    ];
    const ids = new Set(variants.map((v) => evaluationJobId({ ...job, ...v })));
    expect(ids.size).toBe(variants.length);
    expect(ids.has(id)).toBe(false);
  });
});

describe('validateJob', () => {
  it('accepts a well-formed payload and keeps only the known fields', () => {
    expect(validateJob(job)).toEqual(job);
    expect(Object.isFrozen(validateJob(job))).toBe(true);
  });

  it('lists every problem with its JSON path', () => {
    const bad = {
      ...job,
      format: 2,
      kind: 'student',
      schedule: 'F  P0 N N | F P0 N N',
      seeds: [0, 1.5, 2, 3],
      labels: [0, 1],
      dim: 0,
      extra: 1,
    };
    let err: unknown;
    try {
      validateJob(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueueError);
    const msg = (err as QueueError).message;
    expect((err as QueueError).code).toBe('invalid-job');
    for (const part of [
      '$.extra: unknown field',
      '$.format: expected 1, got 2',
      '$.kind',
      '$.schedule: not in canonical notation',
      '$.seeds[1]: expected an integer, got 1.5',
      '$.labels: expected an array of 4',
      '$.dim',
    ]) {
      expect(msg).toContain(part);
    }
  });

  it('bounds sizes and rejects non-objects', () => {
    expect(() => validateJob(null)).toThrow(QueueError);
    expect(() => validateJob('x')).toThrow('expected an object');
    expect(() => validateJob({ ...job, seeds: [] })).toThrow('$.seeds');
    expect(() => validateJob({ ...job, prompts: ['a', 'b', 'c', 'x'.repeat(100_001)] })).toThrow('$.prompts[3]');
    expect(() => validateJob({ ...job, schedule: 'F Q N' })).toThrow('$.schedule: not a valid schedule');
    expect(() => validateJob({ ...job, keepImages: true })).toThrow('$.keepImages');
    expect(() => validateJob({ ...job, pairWith: 'candidate-x' })).toThrow('$.pairWith');
    expect(() => validateJob({ ...job, sampler: undefined })).toThrow('$.sampler');
  });
});
