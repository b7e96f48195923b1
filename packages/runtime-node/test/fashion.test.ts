/**
 * Correctness on the embedded Fashion-MNIST UNet (or its early export; see model-path.ts), each
 * check against an independent reference written here: plain onnxruntime-node calls and a
 * hand-written DDIM.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGraphOutputs, cutUnet, gaussianNoise } from '@flexiffusion/runtime';
import * as ort from 'onnxruntime-node';
import { loadModel, type Model } from '../src/index.js';
import { fashionExportInfo, fashionModelDir } from './model-path.js';

const dir = await fashionModelDir();
const exportInfo = await fashionExportInfo(dir);
const SIZE = 32 * 32;

function alphas(): number[] {
  const out: number[] = [];
  let p = 1;
  for (let i = 0; i < 1000; i++) {
    p *= 1 - (0.0001 + ((0.02 - 0.0001) * i) / 999);
    out.push(p);
  }
  return out;
}
const AC = alphas();

function ddim(x: Float32Array, eps: ArrayLike<number>, t: number, prev: number): Float32Array {
  const at = AC[t]!;
  const ap = prev >= 0 ? AC[prev]! : 1;
  return x.map((v, i) => {
    const x0 = (v - Math.sqrt(1 - at) * eps[i]!) / Math.sqrt(at);
    return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps[i]!;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('embedded fashion model', () => {
  let model: Model;
  let bytes: Uint8Array;
  let session: ort.InferenceSession;
  let cache: string[];
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };

  async function eps(
    s: ort.InferenceSession,
    x: Float32Array,
    labels: number[],
    t: number,
    w: number,
    extra: Record<string, ort.Tensor> = {},
  ) {
    const n = labels.length;
    const xx = new Float32Array(2 * n * SIZE);
    xx.set(x);
    xx.set(x, n * SIZE);
    const all: Record<string, ort.Tensor> = {
      sample: new ort.Tensor('float32', xx, [2 * n, 1, 32, 32]),
      timestep: new ort.Tensor('int64', new BigInt64Array(2 * n).fill(BigInt(t)), [2 * n]),
      class_labels: new ort.Tensor('int64', BigInt64Array.from([...labels.map(() => 10), ...labels].map(BigInt)), [2 * n]),
      ...extra,
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of s.inputNames) feeds[name] = all[name]!;
    const out = (await s.run(feeds)) as Record<string, ort.Tensor>;
    const e = out['noise_pred']!.data as Float32Array;
    return { eps: Float32Array.from({ length: n * SIZE }, (_, i) => e[i]! + w * (e[n * SIZE + i]! - e[i]!)), out };
  }

  beforeAll(async () => {
    model = await loadModel(dir!, { threads: 1 });
    bytes = new Uint8Array(await readFile(join(dir!, model.manifest.unet.file)));
    session = await ort.InferenceSession.create(bytes, opts);
    cache = model.manifest.unet.cache.map((c) => c.tensor);
  });
  afterAll(async () => {
    await model?.dispose();
    await session?.release();
  });

  it('all-full schedule equals a plain loop of onnxruntime-node calls with a hand-written DDIM (1e-4)', async () => {
    const labels = [0, 7];
    const seeds = [100, 101];
    const ts = [900, 800, 700, 600, 500, 400, 300, 200, 100, 0];
    const { samples } = await model.generate({ schedule: 'F F F F F F F F F F', labels, seeds, guidanceScale: 2 });
    let x: Float32Array = new Float32Array(2 * SIZE);
    seeds.forEach((s, i) => x.set(gaussianNoise(s, SIZE), i * SIZE));
    for (let i = 0; i < ts.length; i++) x = ddim(x, (await eps(session, x, labels, ts[i]!, 2)).eps, ts[i]!, ts[i + 1] ?? -1);
    expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
  });

  it("null steps ('skip') equal DDIM on the evaluated sub-sequence", async () => {
    const labels = [3];
    const { samples } = await model.generate({ schedule: 'F N N | F N N | F N N', labels, seeds: [5], guidanceScale: 2 });
    // T = 9, r = 111: evaluated timesteps 888, 555, 222, then x0
    let x: Float32Array = gaussianNoise(5, SIZE);
    const ts = [888, 555, 222];
    for (let i = 0; i < ts.length; i++) x = ddim(x, (await eps(session, x, labels, ts[i]!, 2)).eps, ts[i]!, ts[i + 1] ?? -1);
    expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
  });

  it("the cut preserves numerics; each partial graph fed the full graph's cache gives the full graph's noise_pred", async () => {
    const x = Float32Array.from({ length: 2 * SIZE }, (_, i) => Math.sin(i * 0.11) * 1.2);
    const full = await ort.InferenceSession.create(addGraphOutputs(bytes, cache), opts);
    const cut = cutUnet(bytes, {
      output: 'noise_pred',
      cacheTensors: cache,
      cacheTypes: Object.fromEntries(cache.map((c) => [c, { type: 'float32', dims: [1, 1, 1, 1] }])),
    });
    try {
      for (const t of [950, 400, 20]) {
        const ref = await eps(session, x, [2, 9], t, 1);
        const withCaches = await eps(full, x, [2, 9], t, 1);
        expect(maxAbsDiff(withCaches.out['noise_pred']!.data as Float32Array, ref.out['noise_pred']!.data as Float32Array)).toBe(0);
        for (let b = 0; b < cache.length; b++) {
          const p = await ort.InferenceSession.create(cut.partials[b]!, opts);
          const r = await eps(p, x, [2, 9], t, 1, { [cache[b]!]: withCaches.out[cache[b]!]! });
          expect(maxAbsDiff(r.out['noise_pred']!.data as Float32Array, ref.out['noise_pred']!.data as Float32Array)).toBeLessThan(1e-4);
          await p.release();
        }
      }
    } finally {
      await full.release();
    }
  });

  it.skipIf(exportInfo === null)('the full graph (with cache outputs) reproduces the PyTorch values recorded at export', async () => {
    const info = JSON.parse(await readFile(exportInfo!, 'utf8')) as {
      unet: { check: { sample: number[]; timestep: number[]; class_labels: number[]; noise_pred_first8: number[] } };
    };
    const check = info.unet.check;
    const n = check.timestep.length;
    const { output } = await model.unet.runFull({
      sample: new ort.Tensor('float32', Float32Array.from(check.sample), [n, 1, 32, 32]),
      timestep: new ort.Tensor('int64', BigInt64Array.from(check.timestep.map(BigInt)), [n]),
      class_labels: new ort.Tensor('int64', BigInt64Array.from(check.class_labels.map(BigInt)), [n]),
    });
    expect(maxAbsDiff([...(output.data as Float32Array).subarray(0, 8)], check.noise_pred_first8)).toBeLessThan(1e-4);
  });

  it('has a cost profile with partial < full, shallower branches cheaper', () => {
    const { fullMacs, partialMacs } = model.costProfile;
    expect(partialMacs).toHaveLength(3);
    expect(partialMacs[0]!).toBeLessThan(partialMacs[1]!);
    expect(partialMacs[1]!).toBeLessThan(partialMacs[2]!);
    expect(partialMacs[2]!).toBeLessThan(fullMacs);
  });
});
