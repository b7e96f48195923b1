/**
 * The `deviceOutputs` contract of `SessionFactory`: the engine names the full graph's cache
 * outputs, a backend may keep them in device memory, and the engine disposes each such tensor
 * exactly once when no step needs it any more. The "device" here is simulated: a wrapper around
 * onnxruntime-node sessions hands the named outputs out as `gpu-buffer` tensors and takes them
 * back as inputs.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel, type Model, type SessionFactory, type SessionInfo } from '../src/index.js';
import { fixtureSource, maxAbsDiff, type ort, sessions, testBackend } from './helpers.js';

interface FakeDeviceTensor {
  readonly location: 'gpu-buffer';
  readonly type: Tensor['type'];
  readonly dims: readonly number[];
  readonly real: ort.Tensor;
  disposed: number;
  dispose(): void;
  getData(): Promise<Tensor['data']>;
}

function deviceFactory(): { factory: SessionFactory; infos: SessionInfo[]; handedOut: FakeDeviceTensor[] } {
  const infos: SessionInfo[] = [];
  const handedOut: FakeDeviceTensor[] = [];
  const factory: SessionFactory = {
    async create(model, info) {
      infos.push(info ?? {});
      const inner = await sessions.create(model, info);
      const keep = new Set(info?.deviceOutputs ?? []);
      const wrapped = Object.create(inner) as InferenceSession;
      wrapped.run = (async (feeds: Record<string, Tensor | FakeDeviceTensor>, ...rest: unknown[]) => {
        const hostFeeds: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(feeds)) {
          if (v.location === 'gpu-buffer') {
            const d = v as FakeDeviceTensor;
            if (d.disposed > 0) throw new Error(`input ${k} was disposed before use`);
            hostFeeds[k] = d.real;
          } else hostFeeds[k] = v as Tensor;
        }
        const out = (await (inner.run as (...a: unknown[]) => Promise<Record<string, ort.Tensor>>)(hostFeeds, ...rest)) as Record<
          string,
          unknown
        >;
        for (const name of Object.keys(out)) {
          if (!keep.has(name)) continue;
          const real = out[name] as ort.Tensor;
          const fake: FakeDeviceTensor = {
            location: 'gpu-buffer',
            type: real.type,
            dims: real.dims,
            real,
            disposed: 0,
            dispose() {
              this.disposed++;
            },
            getData: async () => real.data,
          };
          handedOut.push(fake);
          out[name] = fake;
        }
        return out;
      }) as InferenceSession['run'];
      return wrapped;
    },
  };
  return { factory, infos, handedOut };
}

describe('device-resident cache outputs', () => {
  let host: Model;
  let device: Model;
  let sim: ReturnType<typeof deviceFactory>;

  beforeAll(async () => {
    host = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    sim = deviceFactory();
    device = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend(sim.factory, true) });
  });
  afterAll(async () => {
    await host?.dispose();
    await device?.dispose();
  });

  it('names the cache outputs for the full graph only', () => {
    const withOutputs = sim.infos.filter((i) => i.deviceOutputs !== undefined);
    expect(withOutputs.map((i) => i.label)).toEqual(['unet/full']);
    expect(withOutputs[0]!.deviceOutputs).toEqual(device.manifest.unet.cache.map((c) => c.tensor));
  });

  it('gives the same samples and disposes every device cache exactly once', async () => {
    const opts = { schedule: 'F P0 P1 | F P2 N | F P0 N', labels: [1, 2, 3], seeds: [4, 5, 6], guidanceScale: 2, batchSize: 2 };
    const before = sim.handedOut.length;
    const a = await host.generate(opts);
    const b = await device.generate(opts);
    expect(maxAbsDiff(a.samples, b.samples)).toBe(0);
    const mine = sim.handedOut.slice(before);
    // 2 batches × 3 full steps × 3 branches
    expect(mine.length).toBe(2 * 3 * 3);
    expect(mine.map((t) => t.disposed)).toEqual(new Array<number>(mine.length).fill(1));
  });

  it('disposes device caches when a generation fails midway', async () => {
    const before = sim.handedOut.length;
    const ctrl = new AbortController();
    let steps = 0;
    await expect(
      device.generate({
        schedule: 'F P0 P0 P0',
        labels: [1],
        signal: ctrl.signal,
        onProgress: () => {
          if (++steps === 2) ctrl.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'aborted' });
    const mine = sim.handedOut.slice(before);
    expect(mine.length).toBe(3);
    expect(mine.every((t) => t.disposed === 1)).toBe(true);
  });

  it('profile() releases the caches of every timed full step', async () => {
    const before = sim.handedOut.length;
    await device.profile({ batchSize: 1, repeats: 2, warmup: 1 });
    const mine = sim.handedOut.slice(before);
    expect(mine.length).toBe(4 * 3);
    expect(mine.every((t) => t.disposed === 1)).toBe(true);
  });
});
