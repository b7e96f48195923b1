import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer, RuntimeError, addGraphOutputs, openModel, cutUnet, gaussianNoise, type Model } from '../src/index.js';
import { fixtureBytes, fixtureSource, maxAbsDiff, ort, sessions, testBackend } from './helpers.js';

/** ᾱ of linear / scaled-linear betas, written out independently of the package. */
function refAlphas(start: number, end: number, scaled = false): number[] {
  const out: number[] = [];
  let p = 1;
  for (let i = 0; i < 1000; i++) {
    const beta = scaled ? (Math.sqrt(start) + ((Math.sqrt(end) - Math.sqrt(start)) * i) / 999) ** 2 : start + ((end - start) * i) / 999;
    p *= 1 - beta;
    out.push(p);
  }
  return out;
}

/** Hand-written DDIM (eta 0, set_alpha_to_one). */
function ddim(ac: number[], x: Float32Array, eps: ArrayLike<number>, t: number, prev: number): Float32Array {
  const at = ac[t]!;
  const ap = prev >= 0 ? ac[prev]! : 1;
  return x.map((v, i) => {
    const x0 = (v - Math.sqrt(1 - at) * eps[i]!) / Math.sqrt(at);
    return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps[i]!;
  });
}

const SIZE = 256;
const UNCOND = 10;
const AC = refAlphas(0.0001, 0.02);

describe('class-conditional pipeline (tiny stand-in UNet)', () => {
  let pipe: Model;
  let original: ort.InferenceSession;
  let bytes: Uint8Array;
  let cacheNames: string[];

  /** ε with guidance from a plain onnxruntime call on a given model (batch [uncond; cond]). */
  async function guidedEps(
    session: ort.InferenceSession,
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
    const feeds: Record<string, ort.Tensor> = {
      sample: new ort.Tensor('float32', xx, [2 * n, 1, 16, 16]),
      timestep: new ort.Tensor('int64', new BigInt64Array(2 * n).fill(BigInt(t)), [2 * n]),
      class_labels: new ort.Tensor('int64', BigInt64Array.from([...labels.map(() => UNCOND), ...labels].map(BigInt)), [2 * n]),
      ...extra,
    };
    const picked: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) picked[name] = feeds[name]!;
    const out = (await session.run(picked)) as Record<string, ort.Tensor>;
    const e = out['noise_pred']!.data as Float32Array;
    const eps = new Float32Array(n * SIZE);
    for (let i = 0; i < eps.length; i++) eps[i] = e[i]! + w * (e[n * SIZE + i]! - e[i]!);
    return { eps, out };
  }

  function noiseOf(seeds: number[]): Float32Array {
    const x = new Float32Array(seeds.length * SIZE);
    seeds.forEach((s, i) => x.set(gaussianNoise(s, SIZE), i * SIZE));
    return x;
  }

  beforeAll(async () => {
    pipe = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    bytes = await fixtureBytes('tiny-unet/unet.onnx');
    original = await sessions.create(bytes);
    cacheNames = pipe.manifest.unet.cache.map((c) => c.tensor);
  });
  afterAll(async () => {
    await pipe.dispose();
    await original.release();
  });

  it('all-full schedule equals a plain loop of onnxruntime calls with a hand-written DDIM', async () => {
    const labels = [1, 4];
    const seeds = [5, 6];
    const { samples, shape } = await pipe.generate({ schedule: 'F F F F F', labels, seeds, guidanceScale: 2 });
    expect(shape).toEqual([2, 1, 16, 16]);
    let x = noiseOf(seeds);
    const ts = [800, 600, 400, 200, 0];
    for (let i = 0; i < ts.length; i++) {
      const { eps } = await guidedEps(original, x, labels, ts[i]!, 2);
      x = ddim(AC, x, eps, ts[i]!, ts[i + 1] ?? -1);
    }
    expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
  });

  it("null steps ('skip') equal DDIM on the evaluated sub-sequence", async () => {
    const labels = [7];
    const { samples } = await pipe.generate({ schedule: 'F N F N N', labels, seeds: [3], guidanceScale: 3 });
    let x = noiseOf([3]);
    const ts = [800, 400];
    for (let i = 0; i < ts.length; i++) {
      const { eps } = await guidedEps(original, x, labels, ts[i]!, 3);
      x = ddim(AC, x, eps, ts[i]!, ts[i + 1] ?? -1);
    }
    expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
  });

  it("null steps ('reuse') reuse the last ε and still update", async () => {
    const labels = [2];
    const { samples } = await pipe.generate({ schedule: 'F N | F N', labels, seeds: [9], guidanceScale: 2, nullMode: 'reuse' });
    let x = noiseOf([9]);
    const ts = [750, 500, 250, 0];
    let eps: Float32Array = new Float32Array(0);
    for (let i = 0; i < ts.length; i++) {
      if (i % 2 === 0) eps = (await guidedEps(original, x, labels, ts[i]!, 2)).eps;
      x = ddim(AC, x, eps, ts[i]!, ts[i + 1] ?? -1);
    }
    expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
  });

  it("with DDIM, 'reuse' nulls land where 'skip' nulls do; with DPM-Solver++ they do not", async () => {
    // DDIM with a fixed ε keeps the same x̂0 and ε, so k updates with a stale ε equal one update over
    // the merged interval: the null mode only matters for multistep samplers.
    const opts = { schedule: 'F N N | F N N', labels: [4, 7], seeds: [5, 6], guidanceScale: 2 } as const;
    const skip = await pipe.generate({ ...opts, nullMode: 'skip' });
    const reuse = await pipe.generate({ ...opts, nullMode: 'reuse' });
    expect(maxAbsDiff(skip.samples, reuse.samples)).toBeLessThan(1e-4); // float32 round-off of the extra updates
    const dSkip = await pipe.generate({ ...opts, nullMode: 'skip', sampler: 'dpmpp-2m' });
    const dReuse = await pipe.generate({ ...opts, nullMode: 'reuse', sampler: 'dpmpp-2m' });
    expect(maxAbsDiff(dSkip.samples, dReuse.samples)).toBeGreaterThan(1e-3);
  });

  it('partial steps feed the cache of the latest full step into the partial graph of their branch', async () => {
    const labels = [0, 9];
    const seeds = [21, 22];
    const { samples } = await pipe.generate({ schedule: 'F P0 P2 F P1', labels, seeds, guidanceScale: 1.5 });
    // Reference: the full graph with cache outputs (plain onnxruntime) and the partial graphs of cutUnet.
    const fullSession = await sessions.create(addGraphOutputs(bytes, cacheNames));
    const cut = cutUnet(bytes, {
      output: 'noise_pred',
      cacheTensors: cacheNames,
      cacheTypes: Object.fromEntries(cacheNames.map((c) => [c, { type: 'float32', dims: [4, 16, 1, 1] }])),
    });
    const partials = await Promise.all(cut.partials.map((p) => sessions.create(p)));
    try {
      let x = noiseOf(seeds);
      const ts = [800, 600, 400, 200, 0];
      const kinds: (number | 'F')[] = ['F', 0, 2, 'F', 1];
      let caches: Record<string, ort.Tensor> = {};
      for (let i = 0; i < ts.length; i++) {
        const k = kinds[i]!;
        let eps: Float32Array;
        if (k === 'F') {
          const r = await guidedEps(fullSession, x, labels, ts[i]!, 1.5);
          eps = r.eps;
          caches = Object.fromEntries(cacheNames.map((c) => [c, r.out[c]!]));
        } else {
          eps = (await guidedEps(partials[k]!, x, labels, ts[i]!, 1.5, { [cacheNames[k]!]: caches[cacheNames[k]!]! })).eps;
        }
        x = ddim(AC, x, eps, ts[i]!, ts[i + 1] ?? -1);
      }
      expect(maxAbsDiff(samples, x)).toBeLessThan(1e-4);
      // and the partial steps did change the result compared with full steps
      const allFull = await pipe.generate({ schedule: 'F F F F F', labels, seeds, guidanceScale: 1.5 });
      expect(maxAbsDiff(samples, allFull.samples)).toBeGreaterThan(1e-3);
    } finally {
      await fullSession.release();
      await Promise.all(partials.map((p) => p.release()));
    }
  });

  it('gives each seed the same sample whatever the batch size or order, and accepts initialNoise', async () => {
    const schedule = 'F P0 N | F P1 N';
    const a = await pipe.generate({ schedule, labels: [1, 2, 3], seeds: [11, 12, 13], batchSize: 3 });
    const b = await pipe.generate({ schedule, labels: [3, 1, 2], seeds: [13, 11, 12], batchSize: 1 });
    const c = await pipe.generate({ schedule, labels: [1, 2, 3], initialNoise: noiseOf([11, 12, 13]), batchSize: 2 });
    const at = (r: { samples: Float32Array }, i: number): Float32Array => r.samples.subarray(i * SIZE, (i + 1) * SIZE);
    expect(maxAbsDiff(at(a, 0), at(b, 1))).toBeLessThan(1e-5);
    expect(maxAbsDiff(at(a, 1), at(b, 2))).toBeLessThan(1e-5);
    expect(maxAbsDiff(at(a, 2), at(b, 0))).toBeLessThan(1e-5);
    expect(maxAbsDiff(a.samples, c.samples)).toBeLessThan(1e-5);
  });

  it('keys DDIM eta > 0 step noise by (seed, step): batch-independent', async () => {
    const schedule = 'F P0 F P0';
    const a = await pipe.generate({ schedule, labels: [1, 2], seeds: [4, 5], eta: 1, batchSize: 2 });
    const b = await pipe.generate({ schedule, labels: [2], seeds: [5], eta: 1 });
    const d = await pipe.generate({ schedule, labels: [2], seeds: [5], eta: 0 });
    expect(maxAbsDiff(a.samples.subarray(SIZE), b.samples)).toBeLessThan(1e-5);
    expect(maxAbsDiff(b.samples, d.samples)).toBeGreaterThan(1e-3);
    await expect(pipe.generate({ schedule, labels: [2], initialNoise: noiseOf([5]), eta: 1 })).rejects.toThrow(/eta > 0 needs seeds/);
  });

  it('streams batches with progress, and stops on abort', async () => {
    const events: number[] = [];
    const batches: [number, number][] = [];
    for await (const b of pipe.stream({ schedule: 'F P0 N', count: 5, batchSize: 2, onProgress: (e) => events.push(e.fraction) })) {
      batches.push([b.offset, b.count]);
      expect(b.samples).toHaveLength(b.count * SIZE);
    }
    expect(batches).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(events).toHaveLength(6);
    expect(events.at(-1)).toBe(1);
    const ac = new AbortController();
    const p = pipe.generate({
      schedule: 'F F F F',
      count: 4,
      batchSize: 1,
      onProgress: (e) => e.completed === 2 && ac.abort(new Error('enough')),
      signal: ac.signal,
    });
    await expect(p).rejects.toMatchObject({ code: 'aborted', message: 'Sampling was aborted: enough.' });
  });

  it('runs DPM-Solver++ 2M', async () => {
    const r = await pipe.generate({ schedule: 'F P0 F P0', labels: [5], sampler: 'dpmpp-2m' });
    expect(r.samples.every(Number.isFinite)).toBe(true);
    const d = await pipe.generate({ schedule: 'F P0 F P0', labels: [5] });
    expect(maxAbsDiff(r.samples, d.samples)).toBeGreaterThan(1e-4);
  });

  it('rejects bad requests with messages naming the bad value', async () => {
    await expect(pipe.generate({ schedule: 'F P3', count: 1 })).rejects.toThrow(/cache branch 3 but model "tiny-unet" has 3 \(0..2\)/);
    await expect(pipe.generate({ schedule: 'F', labels: [12] })).rejects.toThrow(
      /Invalid label 12 at index 0: expected a class 0..9 or the unconditional label 10/,
    );
    await expect(pipe.generate({ schedule: 'F', labels: [1, 2], seeds: [1] })).rejects.toThrow(/seeds gives 1 samples but labels gives 2/);
    await expect(pipe.generate({ schedule: 'F', count: 1, sampler: 'euler' as never })).rejects.toThrow(
      /Should be one of: "ddim", "dpmpp-2m"/,
    );
    await expect(pipe.generate({ schedule: 'F', count: 1, prompts: ['x'] })).rejects.toBeInstanceOf(RuntimeError);
  });

  it('profiles every step kind', async () => {
    const p = await pipe.profile({ batchSize: 2, repeats: 2 });
    expect(p.networkBatch).toBe(4);
    expect(p.latencyMs.partial).toHaveLength(3);
    expect(p.latencyMs.full).toBeGreaterThan(0);
    expect(p.costProfile.partialMacs).toHaveLength(3);
  });
});

describe('loading errors', () => {
  it('names a wrong input, a bad sample shape and a missing file', async () => {
    const source = fixtureSource('tiny-unet');
    const good = JSON.parse(new TextDecoder().decode(await source.readFile('model.json')));
    const withInputs = (inputs: object) => ({ ...good, unet: { ...good.unet, inputs: { ...good.unet.inputs, ...inputs } } });
    await expect(openModel({ source, backend: testBackend(), manifest: withInputs({ classLabels: 'labels' }) })).rejects.toThrow(
      'The UNet (unet.onnx) has no input "labels" (unet.inputs.classLabels). Should be one of: "sample", "timestep", "class_labels".',
    );
    await expect(
      openModel({ source, backend: testBackend(), manifest: { ...good, unet: { ...good.unet, sampleShape: [1, 32, 32] } } }),
    ).rejects.toMatchObject({
      code: 'shape-mismatch',
    });
    await expect(
      openModel({ source, backend: testBackend(), manifest: { ...good, unet: { ...good.unet, file: 'gone.onnx' } } }),
    ).rejects.toMatchObject({
      code: 'missing-file',
    });
    await expect(
      openModel({ source, backend: testBackend(), manifest: { ...good, unet: { ...good.unet, output: 'eps' } } }),
    ).rejects.toThrow(/no output "eps"/);
  });
});

describe('latent pipeline (LDM stand-in)', () => {
  it('decodes the final latents with the VAE (latents / scalingFactor)', async () => {
    const pipe = await openModel({ source: fixtureSource('ldm'), backend: testBackend() });
    const vae = await sessions.create(await fixtureBytes('ldm/vae_decoder/model.onnx'));
    try {
      const r = await pipe.generate({ schedule: 'F P1 N F', count: 2, seeds: [1, 2] });
      expect(r.shape).toEqual([2, 3, 16, 16]);
      expect(r.latentShape).toEqual([2, 4, 8, 8]);
      const scaled = r.latents!.map((v) => v / 0.18215);
      const ref = (await vae.run({ latent_sample: new ort.Tensor('float32', scaled, [2, 4, 8, 8]) }))['sample']!;
      expect(maxAbsDiff(r.samples, ref.data as Float32Array)).toBeLessThan(1e-5);
      await expect(pipe.generate({ schedule: 'F', count: 1, guidanceScale: 3 })).rejects.toThrow(/unconditional/);
    } finally {
      await pipe.dispose();
      await vae.release();
    }
  });
});

describe('Stable Diffusion pipeline (stand-in graphs)', () => {
  it('equals a hand loop: tokenizer, text encoder, CFG (uncond first) with encoder_hidden_states, DDIM, VAE', async () => {
    const pipe = await openModel({ source: fixtureSource('sd'), backend: testBackend() });
    const [unet, text, vae] = (await Promise.all(
      ['sd/unet/model.onnx', 'sd/text_encoder/model.onnx', 'sd/vae_decoder/model.onnx'].map(async (p) =>
        sessions.create(await fixtureBytes(p)),
      ),
    )) as [ort.InferenceSession, ort.InferenceSession, ort.InferenceSession];
    const tok = ClipTokenizer.fromFiles(await fixtureBytes('sd/tokenizer/vocab.json'), await fixtureBytes('sd/tokenizer/merges.txt'));
    try {
      const prompts = ['a photo of a cat', 'a red shoe'];
      const w = 7.5;
      const r = await pipe.generate({ schedule: 'F F F', prompts, seeds: [1, 2], guidanceScale: w, negativePrompt: 'dog' });
      expect(r.shape).toEqual([2, 3, 16, 16]);
      const ac = refAlphas(0.00085, 0.012, true);
      const embed = async (p: string): Promise<ort.Tensor> =>
        (await text.run({ input_ids: new ort.Tensor('int32', tok.encode(p), [1, 77]) }))['last_hidden_state']!;
      const neg = await embed('dog');
      const ts = [666, 333, 0];
      const latents = new Float32Array(2 * 256);
      for (let k = 0; k < 2; k++) {
        const cond = await embed(prompts[k]!);
        let x = gaussianNoise(k + 1, 256);
        for (let i = 0; i < ts.length; i++) {
          const run = async (e: ort.Tensor): Promise<Float32Array> =>
            (
              await unet.run({
                sample: new ort.Tensor('float32', x, [1, 4, 8, 8]),
                timestep: new ort.Tensor('float32', Float32Array.from([ts[i]!]), [1]),
                encoder_hidden_states: e,
              })
            )['out_sample']!.data as Float32Array;
          const eu = await run(neg);
          const ec = await run(cond);
          x = ddim(
            ac,
            x,
            eu.map((u, j) => u + w * (ec[j]! - u)),
            ts[i]!,
            ts[i + 1] ?? -1,
          );
        }
        latents.set(x, k * 256);
      }
      expect(maxAbsDiff(r.latents!, latents)).toBeLessThan(1e-4);
      const decoded = (
        await vae.run({
          latent_sample: new ort.Tensor(
            'float32',
            latents.map((v) => v / 0.18215),
            [2, 4, 8, 8],
          ),
        })
      )['sample']!;
      expect(maxAbsDiff(r.samples, decoded.data as Float32Array)).toBeLessThan(1e-3);
      // cached schedules run too, and the prompt matters
      const cached = await pipe.generate({
        schedule: 'F P0 P2 | F P1 N',
        prompts: ['a photo of a cat', 'a photo of a dog'],
        seeds: [1, 1],
      });
      expect(maxAbsDiff(cached.samples.subarray(0, 768), cached.samples.subarray(768))).toBeGreaterThan(1e-4);
      expect(pipe.costProfile.partialMacs).toHaveLength(3);
    } finally {
      await pipe.dispose();
      await Promise.all([unet, text, vae].map((s) => s.release()));
    }
  });
});
