/**
 * The browser side of the tests and the bench: bundled by esbuild, loaded into headless Chromium,
 * driven through `globalThis.harness` with `page.evaluate`. It imports runtime-web's sources and
 * the shared conformance cases; onnxruntime-web's dist files are served at /ort/, the model at
 * /model/.
 */
import { Tensor } from 'onnxruntime-web/webgpu';
import { loadModel, resolveBackend, RuntimeError, type DownloadProgress, type Backend, type Model } from '../../src/index.js';
import { wasmBackend } from '../../src/wasm.js';
import { webgpuBackend } from '../../src/webgpu.js';
import type { ConformanceCase } from '../conformance/cases.js';

/** `webgpu-host`: WebGPU with the caches read back to JS every full step (the "without" of the measurement). */
export type PageKind = 'wasm' | 'webgpu' | 'webgpu-host';

const ORT = '/ort/';
const MODEL = '/model/';

function backendsFor(kind: PageKind): Backend[] {
  switch (kind) {
    case 'wasm':
      return [wasmBackend({ wasmPaths: ORT, numThreads: 1 })];
    case 'webgpu':
      return [webgpuBackend({ wasmPaths: ORT, numThreads: 1 })];
    case 'webgpu-host':
      return [webgpuBackend({ wasmPaths: ORT, numThreads: 1, keepCachesOnGpu: false })];
  }
}

const models = new Map<PageKind, Promise<Model>>();
const downloads = new Map<PageKind, DownloadProgress[]>();

function model(kind: PageKind): Promise<Model> {
  let m = models.get(kind);
  if (!m) {
    const events: DownloadProgress[] = [];
    downloads.set(kind, events);
    m = loadModel(MODEL, { backend: backendsFor(kind), onDownload: (p) => events.push(p) });
    models.set(kind, m);
  }
  return m;
}

function errorInfo(e: unknown): { name: string; message: string; code?: string; issues?: unknown } {
  if (e instanceof RuntimeError) return { name: e.name, message: e.message, code: e.code, issues: e.issues };
  return { name: e instanceof Error ? e.name : 'unknown', message: e instanceof Error ? e.message : String(e) };
}

const harness = {
  /** Load the model on a backend; returns what was chosen and the download events of the UNet. */
  async load(kind: PageKind) {
    const t0 = performance.now();
    const m = await model(kind);
    const unet = downloads.get(kind)!.filter((p) => p.path === m.manifest.unet.file);
    return {
      ms: performance.now() - t0,
      backend: m.backend.name,
      description: m.backend.description,
      deviceResident: m.backend.deviceResident,
      costProfile: m.costProfile,
      cacheInfo: m.unet.cacheInfo,
      unetDownload: {
        events: unet.length,
        first: unet[0],
        last: unet[unet.length - 1],
        monotonic: unet.every((p, i) => i === 0 || p.loaded >= unet[i - 1]!.loaded),
      },
    };
  },

  /** Generate one conformance case; samples as a plain array for the trip back to Node. */
  async generate(kind: PageKind, c: ConformanceCase) {
    const m = await model(kind);
    const r = await m.generate({
      schedule: c.schedule,
      labels: c.labels,
      seeds: c.seeds,
      guidanceScale: c.guidanceScale,
      sampler: c.sampler,
      ...(c.batchSize ? { batchSize: c.batchSize } : {}),
    });
    return { samples: Array.from(r.samples), shape: r.shape, ms: r.durationMs };
  },

  /** Where a full step leaves its cache tensors, and whether feeding them to a partial graph works. */
  async cacheLocations(kind: PageKind) {
    const m = await model(kind);
    const u = m.manifest.unet;
    const n = 2;
    const feeds = {
      [u.inputs.sample]: new Tensor('float32', new Float32Array(n * 1024).fill(0.25), [n, ...u.sampleShape]),
      [u.inputs.timestep]: new Tensor('int64', new BigInt64Array(n).fill(500n), [n]),
      [u.inputs.classLabels!]: new Tensor('int64', BigInt64Array.from([10n, 3n]), [n]),
    };
    const { output, caches } = await m.unet.runFull(feeds);
    const locations = caches.map((t) => t.location);
    const partial = await m.unet.runPartial(0, feeds, caches[0]!);
    const full = (await output.getData()) as Float32Array;
    const part = (await partial.getData()) as Float32Array;
    let diff = 0;
    for (let i = 0; i < full.length; i++) diff = Math.max(diff, Math.abs(full[i]! - part[i]!));
    for (const t of caches) if (t.location === 'gpu-buffer') t.dispose();
    return { output: output.location, caches: locations, partialVsFull: diff };
  },

  /** The engine's per-kind step latency on a backend. */
  async profile(kind: PageKind, batchSize: number, repeats: number, warmup = 1) {
    const m = await model(kind);
    return m.profile({ batchSize, repeats, warmup });
  },

  /**
   * Median ms per evaluated step of a whole schedule (`generate`, after one untimed run), and the
   * final samples (labels i mod 10, seeds i, guidance 2) for comparison with runtime-node.
   */
  async perStep(kind: PageKind, schedule: string, count: number, repeats: number) {
    const m = await model(kind);
    const opts = {
      schedule,
      labels: Array.from({ length: count }, (_, i) => i % 10),
      seeds: Array.from({ length: count }, (_, i) => i),
      guidanceScale: 2,
    };
    let evals = 0;
    const first = await m.generate({ ...opts, onProgress: () => evals++ });
    const ts: number[] = [];
    for (let i = 0; i < repeats; i++) ts.push((await m.generate(opts)).durationMs);
    ts.sort((a, b) => a - b);
    return { msPerStep: ts[Math.floor(ts.length / 2)]! / evals, evaluations: evals, samples: Array.from(first.samples) };
  },

  /**
   * WebGPU with the caches kept on the GPU against WebGPU with them read back, measured
   * alternately in this one page (same device, same compiled shaders, same load on the machine):
   * median ms of a full step, of each branch's partial step (fed the cache from where the full step
   * left it), and per evaluated step of a whole schedule; plus the final samples of the schedule.
   */
  async compareResidency(batch: number, repeats: number, schedule: string) {
    const variants = { keep: await model('webgpu'), host: await model('webgpu-host') };
    const u = variants.keep.manifest.unet;
    const n = 2 * batch;
    const feeds = {
      [u.inputs.sample]: new Tensor('float32', new Float32Array(n * 1024).fill(0.25), [n, ...u.sampleShape]),
      [u.inputs.timestep]: new Tensor('int64', new BigInt64Array(n).fill(500n), [n]),
      [u.inputs.classLabels!]: new Tensor('int64', new BigInt64Array(n).fill(3n), [n]),
    };
    const gen = {
      schedule,
      labels: Array.from({ length: batch }, (_, i) => i % 10),
      seeds: Array.from({ length: batch }, (_, i) => i),
      guidanceScale: 2,
    };
    const release = (ts: readonly { location: string; dispose(): void }[]) => ts.forEach((t) => t.location === 'gpu-buffer' && t.dispose());
    type Times = { full: number[]; partial: number[][]; schedule: number[] };
    const times: Record<'keep' | 'host', Times> = {
      keep: { full: [], partial: [[], [], []], schedule: [] },
      host: { full: [], partial: [[], [], []], schedule: [] },
    };
    let evals = 0;
    const samples: Record<string, number[]> = {};
    for (let r = 0; r <= repeats; r++) {
      for (const name of ['keep', 'host'] as const) {
        const m = variants[name];
        const unet = m.unet;
        let t0 = performance.now();
        const { caches, output } = await unet.runFull(feeds);
        await output.getData();
        const full = performance.now() - t0;
        const partial: number[] = [];
        for (let b = 0; b < unet.branches; b++) {
          t0 = performance.now();
          await (await unet.runPartial(b, feeds, caches[b]!)).getData();
          partial.push(performance.now() - t0);
        }
        release(caches);
        let count = 0;
        const g = await m.generate({ ...gen, onProgress: () => count++ });
        evals = count;
        if (r === 0) {
          samples[name] = Array.from(g.samples);
          continue; // warm-up round
        }
        times[name].full.push(full);
        partial.forEach((p, b) => times[name].partial[b]!.push(p));
        times[name].schedule.push(g.durationMs / count);
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = (t: Times) => ({ full: med(t.full), partial: t.partial.map(med), perStep: med(t.schedule) });
    return { keep: summary(times.keep), host: summary(times.host), evaluations: evals, samples };
  },

  /**
   * What keeping the caches on the GPU avoids per full step, measured directly: the median time
   * to read the three cache tensors of a full step back to JS (WebGPU with caches on the GPU).
   */
  async cacheReadback(kind: PageKind, batch: number, repeats: number) {
    const m = await model(kind);
    const u = m.manifest.unet;
    const feeds = {
      [u.inputs.sample]: new Tensor('float32', new Float32Array(batch * 1024).fill(0.25), [batch, ...u.sampleShape]),
      [u.inputs.timestep]: new Tensor('int64', new BigInt64Array(batch).fill(500n), [batch]),
      [u.inputs.classLabels!]: new Tensor('int64', new BigInt64Array(batch).fill(3n), [batch]),
    };
    const ts: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= repeats; i++) {
      const { caches } = await m.unet.runFull(feeds);
      const t0 = performance.now();
      const data = await Promise.all(caches.map((t) => t.getData(true)));
      if (i > 0) ts.push(performance.now() - t0);
      bytes = data.reduce((s, d) => s + (d as Float32Array).byteLength, 0);
    }
    ts.sort((a, b) => a - b);
    return { ms: ts[Math.floor(ts.length / 2)]!, bytes };
  },

  /**
   * resolveBackend in this page after hiding navigator.gpu, so WebGPU must fail: wasm is chosen,
   * or, with a wasmPaths where nothing is served, the combined error lists both failures. (One
   * call per page: onnxruntime-web's wasm start-up is once per page, and a failure sticks.)
   */
  async fallbackWithoutWebGpu(wasmPaths: string) {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    const failed: string[] = [];
    try {
      const chosen = await resolveBackend([webgpuBackend({ wasmPaths: ORT }), wasmBackend({ wasmPaths, numThreads: 1 })], {
        onFallback: (f) => failed.push(f.name),
      });
      return { chosen: chosen.name, description: chosen.description, failed, error: null };
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof AggregateError ? e.cause.errors.length : null;
      return { chosen: null, description: null, failed, error: { ...errorInfo(e), aggregated: cause } };
    }
  },
};

(globalThis as unknown as { harness: typeof harness }).harness = harness;
export type Harness = typeof harness;
