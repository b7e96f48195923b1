import type { Schedule } from '@flexiffusion/schedule';
import { describe, expect, it, vi } from 'vitest';
import {
  MetricsError,
  createMemoryStatsCache,
  createRfidEvaluator,
  deserializeStats,
  featureStats,
  frechetDistance,
  teacherStatsKey,
  type FeatureExtractor,
  type GenerateFn,
  type GenerateRequest,
  type GeneratedImages,
  type ImageDims,
  type RfidEvaluatorOptions,
  type RfidProgress,
} from '../src/index.js';

const F = { kind: 'full' } as const;
const N = { kind: 'null' } as const;
const P = (branch: number) => ({ kind: 'partial', branch }) as const;
const teacher: Schedule = {
  segments: [
    [F, F],
    [F, F],
  ],
};
const fast: Schedule = {
  segments: [
    [F, N],
    [F, N],
  ],
};
const partial: Schedule = {
  segments: [
    [F, P(0)],
    [F, P(0)],
  ],
};

const C = 1;
const H = 4;
const W = 4;

/** A fake model: the teacher's images are a function of seed and label; skipped steps add error. */
function fakeGenerate(calls: Schedule[] = []): (s: Schedule, r: GenerateRequest) => Promise<GeneratedImages> {
  return (schedule, { seeds, labels }) => {
    calls.push(schedule);
    const steps = schedule.segments.flat();
    const err = steps.filter((s) => s.kind === 'null').length * 0.05 + steps.filter((s) => s.kind === 'partial').length * 0.01;
    const n = seeds.length;
    const data = new Float32Array(n * C * H * W);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < C * H * W; i++) {
        const base = Math.sin(seeds[s]! * 12.9898 + i * 78.233 + (labels?.[s] ?? 0));
        data[s * 16 + i] = Math.max(-1, Math.min(1, base + err * Math.cos(seeds[s]! + i * 3.1)));
      }
    }
    return Promise.resolve({ data, dims: [n, C, H, W] as ImageDims });
  };
}

/** A fake extractor: 2×2 block means and their squares (8 features). */
const extractor: FeatureExtractor = {
  id: 'fake-blocks-v1',
  dim: 8,
  extract(images, dims) {
    const n = dims[0];
    const out = new Float32Array(n * 8);
    for (let s = 0; s < n; s++) {
      for (let by = 0; by < 2; by++) {
        for (let bx = 0; bx < 2; bx++) {
          let m = 0;
          for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) m += images[s * 16 + (by * 2 + y) * 4 + bx * 2 + x]! / 4;
          out[s * 8 + by * 2 + bx] = m;
          out[s * 8 + 4 + by * 2 + bx] = m * m;
        }
      }
    }
    return Promise.resolve(out);
  },
};

const seeds = Array.from({ length: 40 }, (_, i) => i);
const labels = seeds.map((i) => i % 10);
const base = (over: Partial<RfidEvaluatorOptions> = {}): RfidEvaluatorOptions => ({
  generate: fakeGenerate(),
  extractor,
  teacher,
  seeds,
  labels,
  ...over,
});

describe('createRfidEvaluator', () => {
  it('scores candidates against the teacher images of the same seeds', async () => {
    const calls: Schedule[] = [];
    const onResult = vi.fn();
    const onProgress = vi.fn();
    const events: RfidProgress[] = [];
    const ev = createRfidEvaluator(
      base({ generate: fakeGenerate(calls), onProgress: (e) => events.push(e), costProfile: { fullMacs: 100, partialMacs: [40] } }),
    );
    const results = await ev.evaluate([teacher, fast, partial], { onResult, onProgress });
    expect(calls).toEqual([teacher, teacher, fast, partial]); // the teacher once for the reference
    const [t, f, p] = results.map((r) => {
      if (!r.ok) throw new Error(r.reason);
      return r;
    });
    expect(t!.objective).toBeLessThan(1e-9);
    expect(t!.metrics).toMatchObject({ psnr: 100, mse: 0, macs: 400, speedup: 1 });
    expect(f!.objective).toBeGreaterThan(p!.objective);
    expect(p!.objective).toBeGreaterThan(0);
    expect(f!.metrics).toMatchObject({ macs: 200, speedup: 2, rfid: f!.objective });
    expect(p!.metrics!['speedup']).toBeCloseTo(400 / 280, 12);
    for (const key of ['kid', 'kidStd', 'psnr', 'mse', 'latencyMs', 'extractMs']) expect(typeof f!.metrics![key]).toBe('number');
    expect(f!.metrics!['psnr']).toBeLessThan(p!.metrics!['psnr']!);
    expect(onResult).toHaveBeenCalledTimes(3);
    expect(onResult.mock.calls[1]).toEqual([1, results[1]]);
    expect(onProgress.mock.calls.map((c) => c[0])).toEqual([1 / 3, 2 / 3, 1]);
    expect(events[0]).toEqual({ phase: 'teacher', step: 'generate', index: -1, total: 0 });
    expect(events.at(-1)).toEqual({ phase: 'candidate', step: 'done', index: 2, total: 3 });
    // rFID is the Fréchet distance of the feature statistics
    const gen = fakeGenerate();
    const tf = await extractor.extract((await gen(teacher, { seeds, labels })).data, [40, 1, 4, 4]);
    const ff = await extractor.extract((await gen(fast, { seeds, labels })).data, [40, 1, 4, 4]);
    expect(f!.objective).toBeCloseTo(frechetDistance(featureStats(ff, 8), featureStats(tf, 8)), 10);
    const ts = await ev.teacherStats();
    expect(ts.count).toBe(40);
    expect(ts.features).toEqual(tf);
  });

  it("counts the profile's fixedMacs in macs and speed-up, and names a branch the profile lacks", async () => {
    const ev = createRfidEvaluator(base({ generate: fakeGenerate(), costProfile: { fullMacs: 100, partialMacs: [40], fixedMacs: 100 } }));
    const [r] = await ev.evaluate([fast]);
    if (!r?.ok) throw new Error('expected a result');
    expect(r.metrics).toMatchObject({ macs: 300, speedup: 500 / 300 });
    const bad = createRfidEvaluator(base({ generate: fakeGenerate(), costProfile: { fullMacs: 100, partialMacs: [] } }));
    const [b] = await bad.evaluate([partial]);
    expect(b?.ok).toBe(false);
    expect(b?.ok === false && b.reason).toMatch(/uses cache branch 0.*valid: none/);
  });

  it('with reference statistics, reports the distances of the candidate and the teacher to them', async () => {
    // "real data": the teacher's images of other seeds
    const gen = fakeGenerate();
    const other = Array.from({ length: 60 }, (_, i) => 1000 + i);
    const realFeatures = await extractor.extract(
      (await gen(teacher, { seeds: other, labels: other.map((i) => i % 10) })).data,
      [60, 1, 4, 4],
    );
    const reference = featureStats(realFeatures, 8);
    const ev = createRfidEvaluator(base({ reference }));
    const [t, f] = await ev.evaluate([teacher, fast]);
    if (!t!.ok || !f!.ok) throw new Error('failed');
    const tf = await extractor.extract((await gen(teacher, { seeds, labels })).data, [40, 1, 4, 4]);
    const ff = await extractor.extract((await gen(fast, { seeds, labels })).data, [40, 1, 4, 4]);
    expect(f!.metrics!['fid']).toBeCloseTo(frechetDistance(featureStats(ff, 8), reference), 10);
    expect(f!.metrics!['teacherFid']).toBeCloseTo(frechetDistance(featureStats(tf, 8), reference), 10);
    expect(t!.metrics!['fid']).toBeCloseTo(t!.metrics!['teacherFid']!, 10);
    expect(f!.objective).toBe(f!.metrics!['rfid']); // the objective stays rFID
    // without a reference, neither is reported
    const [plain] = await createRfidEvaluator(base()).evaluate([fast]);
    expect(plain!.ok && plain!.metrics!['fid']).toBe(undefined);
    // a reference of another dimension is refused, naming both
    expect(() => createRfidEvaluator(base({ reference: featureStats(new Float32Array(12), 4) }))).toThrow(
      /Invalid reference .*dimension 8 \(the extractor's\).*got dimension 4/,
    );
  });

  it('uses the first `samples` seeds and labels', async () => {
    const seen: number[][] = [];
    const gen = fakeGenerate();
    const ev = createRfidEvaluator(
      base({
        samples: 10,
        kid: false,
        paired: false,
        generate: (s, r) => {
          seen.push([...r.seeds, ...(r.labels ?? [])]);
          return gen(s, r);
        },
      }),
    );
    const [r] = await ev.evaluate([fast]);
    expect(seen[0]).toEqual([...seeds.slice(0, 10), ...labels.slice(0, 10)]);
    expect(r?.ok && Object.keys(r.metrics!).sort()).toEqual(['extractMs', 'latencyMs', 'rfid']);
  });

  it('caches the teacher statistics under a key of everything they depend on', async () => {
    const cache = createMemoryStatsCache();
    const calls: Schedule[] = [];
    const opts = base({ cache, modelId: 'model-a', sampler: { name: 'ddim', steps: 4 }, generate: fakeGenerate(calls) });
    const first = await createRfidEvaluator(opts).evaluate([fast]);
    expect(calls).toEqual([teacher, fast]);
    expect(cache.size).toBe(2); // statistics and teacher images (paired metrics)
    const events: RfidProgress[] = [];
    const again = createRfidEvaluator({ ...opts, onProgress: (e) => events.push(e) });
    const second = await again.evaluate([fast]);
    expect(calls).toEqual([teacher, fast, fast]); // the teacher came from the cache
    expect(events[0]).toMatchObject({ phase: 'teacher', step: 'cache-hit' });
    expect(second[0]).toMatchObject({ ok: true, objective: (first[0] as { objective: number }).objective });
    expect(again.cacheKey).toBe(createRfidEvaluator(opts).cacheKey);
    const stored = deserializeStats((await cache.get(again.cacheKey!))!);
    expect(stored.count).toBe(40);
    expect(stored.features?.length).toBe(40 * 8);

    // any change of what the statistics depend on gives another key: the teacher is regenerated
    const variants: Partial<RfidEvaluatorOptions>[] = [
      { modelId: 'model-b' },
      { sampler: { name: 'ddim', steps: 5 } },
      { seeds: seeds.map((s) => s + 1) },
      { labels: labels.map((l) => (l + 1) % 10) },
      { teacher: { segments: [[F, F, F, F]] } },
      { extractor: { ...extractor, id: 'fake-blocks-v2' } },
      { samples: 39 },
    ];
    const keys = new Set([again.cacheKey]);
    for (const v of variants) {
      const before = calls.length;
      const e = createRfidEvaluator({ ...opts, ...v });
      keys.add(e.cacheKey);
      await e.evaluate([fast]);
      expect(calls.length - before, JSON.stringify(v)).toBe(2);
    }
    expect(keys.size).toBe(variants.length + 1);
  });

  it('passes prompts and negative prompts to the generator and keys the cache by them', async () => {
    const prompts = seeds.map((i) => `prompt ${i % 3}`);
    const negativePrompts = seeds.map(() => 'blurry');
    const seen: GenerateRequest[] = [];
    const gen = fakeGenerate();
    const cache = createMemoryStatsCache();
    const opts = base({
      labels: undefined,
      prompts,
      negativePrompts,
      samples: 10,
      cache,
      modelId: 'sd',
      generate: (s, r) => {
        seen.push(r);
        return gen(s, r);
      },
    });
    await createRfidEvaluator(opts).evaluate([fast]);
    expect(seen[0]).toMatchObject({ prompts: prompts.slice(0, 10), negativePrompts: negativePrompts.slice(0, 10) });
    expect(seen[1]?.prompts).toEqual(prompts.slice(0, 10));
    const key = createRfidEvaluator(opts).cacheKey;
    expect(createRfidEvaluator({ ...opts, prompts: prompts.map((p) => `${p}!`) }).cacheKey).not.toBe(key);
    expect(createRfidEvaluator({ ...opts, negativePrompts: undefined }).cacheKey).not.toBe(key);
    expect(createRfidEvaluator({ ...opts, prompts: undefined, negativePrompts: undefined }).cacheKey).not.toBe(key);
    expect(() => createRfidEvaluator({ ...opts, prompts: ['a', 'b'] })).toThrow(/Invalid prompts .*at least 10 strings/);
    expect(() => createRfidEvaluator({ ...opts, prompts: seeds.map(() => 1) as unknown as string[] })).toThrow(/Invalid prompts/);
  });

  it('recomputes over a corrupt or mismatched cache entry and reports cache failures', async () => {
    const cache = createMemoryStatsCache();
    const calls: Schedule[] = [];
    const opts = base({ cache, modelId: 'm', generate: fakeGenerate(calls) });
    const key = createRfidEvaluator(opts).cacheKey!;
    await cache.set(key, new Uint8Array([1, 2, 3]));
    await createRfidEvaluator(opts).evaluate([fast]);
    expect(calls).toEqual([teacher, fast]);
    expect(deserializeStats((await cache.get(key))!).count).toBe(40);

    const broken = { get: () => Promise.reject(new Error('disk on fire')), set: () => Promise.resolve() };
    await expect(createRfidEvaluator({ ...opts, cache: broken }).evaluate([fast])).rejects.toMatchObject({
      code: 'cache-error',
      cause: expect.objectContaining({ message: 'disk on fire' }),
    });
  });

  it('reports a failing candidate without failing the batch', async () => {
    const gen = fakeGenerate();
    const ev = createRfidEvaluator(
      base({
        generate: (s, r) => {
          if (s === fast) return Promise.reject(new Error('out of memory'));
          if (s === partial) return gen(s, r).then((g) => ({ ...g, data: g.data.map((v, i) => (i === 3 ? Number.NaN : v)) }));
          return gen(s, r);
        },
      }),
    );
    const out = await ev.evaluate([fast, partial, teacher]);
    expect(out[0]).toEqual({ ok: false, reason: 'generate failed: out of memory' });
    expect(out[1]).toMatchObject({ ok: false, reason: expect.stringMatching(/NaN at index 3/) });
    expect(out[2]).toMatchObject({ ok: true });
  });

  it('fails the call when the teacher cannot be generated, and retries later', async () => {
    let fail = true;
    const gen = fakeGenerate();
    const ev = createRfidEvaluator(base({ generate: (s, r) => (fail ? Promise.reject(new Error('no model')) : gen(s, r)) }));
    await expect(ev.evaluate([fast])).rejects.toMatchObject({ code: 'generation-failed', message: expect.stringContaining('no model') });
    fail = false;
    await expect(ev.evaluate([fast])).resolves.toHaveLength(1);
  });

  it('rejects the whole call when aborted', async () => {
    const ac = new AbortController();
    const gen = fakeGenerate();
    const ev = createRfidEvaluator(
      base({
        generate: (s, r) => {
          if (s === fast) ac.abort();
          return gen(s, r);
        },
      }),
    );
    await expect(ev.evaluate([fast, partial], { signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' });
    const done = new AbortController();
    done.abort();
    await expect(ev.evaluate([fast], { signal: done.signal })).rejects.toBeInstanceOf(MetricsError);
  });

  it('validates its options, naming the bad value', () => {
    const err = (o: Partial<RfidEvaluatorOptions>): MetricsError => {
      try {
        createRfidEvaluator(base(o));
      } catch (e) {
        return e as MetricsError;
      }
      throw new Error('no error');
    };
    expect(err({ cache: createMemoryStatsCache() })).toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/A cache needs modelId/),
    });
    expect(err({ labels: [1, 2] })).toMatchObject({ message: expect.stringMatching(/expected at least 40 integers/) });
    expect(err({ samples: 41 })).toMatchObject({ message: expect.stringMatching(/samples \(seeds holds 40\) 41/) });
    expect(err({ seeds: [1] })).toMatchObject({ message: expect.stringMatching(/at least 2 samples/) });
    expect(err({ teacher: { segments: [[{ kind: 'half' }]] } as unknown as Schedule })).toMatchObject({ code: 'invalid-option' });
    expect(err({ generate: 3 as unknown as GenerateFn })).toMatchObject({ message: expect.stringMatching(/Invalid generate 3/) });
    expect(err({ kid: { subsetSize: 100 } })).toMatchObject({
      message: expect.stringMatching(/kid.subsetSize 100: expected an integer in \[2, 40\]/),
    });
  });

  it('accepts bare Float32Array images with imageShape', async () => {
    const gen = fakeGenerate();
    const bare: GenerateFn = (s, r) => gen(s, r).then((g) => g.data);
    const [r] = await createRfidEvaluator(base({ generate: bare, imageShape: [1, 4, 4] })).evaluate([fast]);
    const [ref] = await createRfidEvaluator(base()).evaluate([fast]);
    expect(r).toEqual({
      ...ref,
      metrics: { ...(ref as { metrics: object }).metrics, latencyMs: expect.any(Number), extractMs: expect.any(Number) },
    });
    await expect(createRfidEvaluator(base({ generate: bare })).evaluate([fast])).rejects.toMatchObject({
      message: expect.stringMatching(/pass imageShape \[C, H, W\]/),
    });
  });

  it('teacherStatsKey is stable and sensitive', () => {
    const parts = { modelId: 'm', teacher: 'F F', seeds: [1, 2], extractorId: 'x', kind: 'stats' as const, sampler: { b: 1, a: 2 } };
    const k = teacherStatsKey(parts);
    expect(k).toMatch(/^flexiffusion-teacher-stats-v1-[0-9a-f]{64}$/);
    expect(teacherStatsKey({ ...parts, sampler: { a: 2, b: 1 } })).toBe(k); // key order does not matter
    expect(teacherStatsKey({ ...parts, seeds: [2, 1] })).not.toBe(k);
    expect(teacherStatsKey({ ...parts, kind: 'images' })).not.toBe(k);
    expect(() => teacherStatsKey({ ...parts, sampler: { eta: Number.NaN } })).toThrow(/value.sampler.eta = NaN/);
    expect(() => teacherStatsKey({ ...parts, modelId: '' })).toThrow(/Invalid modelId ""/);
  });
});
