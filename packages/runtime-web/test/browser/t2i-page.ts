/**
 * The browser side of the text-to-image tests and bench: bundled by esbuild, driven through
 * `globalThis.t2i` with `page.evaluate`. The model (fashion-sd, an optimum export with a model.json
 * overlay) is served at /sd/, onnxruntime-web at /ort/, the worker script at /app/t2i-worker.js.
 */
import { Tensor } from 'onnxruntime-web/webgpu';
import {
  RuntimeError,
  createWorkerModel,
  loadModel,
  samplesToImageData,
  type Backend,
  type DownloadProgress,
  type Model,
  type WorkerModel,
} from '../../src/index.js';
import { wasmBackend } from '../../src/wasm.js';
import { webgpuBackend } from '../../src/webgpu.js';
import type { WebKind } from '../conformance/cases.js';
import type { T2iCase } from '../conformance/t2i-cases.js';

const ORT = '/ort/';
const MODEL = '/sd/';
const WORKER = '/app/t2i-worker.js';

function backendsFor(kind: WebKind): Backend[] {
  return kind === 'wasm' ? [wasmBackend({ wasmPaths: ORT, numThreads: 1 })] : [webgpuBackend({ wasmPaths: ORT, numThreads: 1 })];
}

const models = new Map<WebKind, Promise<Model>>();
const workers = new Map<WebKind, Promise<WorkerModel>>();

function model(kind: WebKind): Promise<Model> {
  let m = models.get(kind);
  if (!m) {
    m = loadModel(MODEL, { backend: backendsFor(kind) });
    models.set(kind, m);
  }
  return m;
}

/** Every sampling progress message the workers posted (seen by a listener of our own on the Worker), by the request's total. */
const workerSteps = new Map<number, number>();

function startWorker(): Worker {
  const w = new Worker(WORKER, { type: 'module' });
  w.addEventListener('message', (e: MessageEvent) => {
    const d = e.data as { type?: string; event?: { phase?: string; total?: number } };
    if (d.type === 'progress' && d.event?.phase === 'sample') workerSteps.set(d.event.total!, (workerSteps.get(d.event.total!) ?? 0) + 1);
  });
  return w;
}

function workerModel(kind: WebKind): Promise<WorkerModel> {
  let m = workers.get(kind);
  if (!m) {
    m = createWorkerModel(MODEL, { worker: startWorker, backends: [kind], backendOptions: { wasmPaths: ORT, numThreads: 1 } });
    workers.set(kind, m);
  }
  return m;
}

function errorInfo(e: unknown) {
  if (e instanceof RuntimeError) return { name: e.name, code: e.code as string, message: e.message, issues: e.issues };
  return {
    name: e instanceof Error ? e.name : 'unknown',
    code: undefined,
    message: e instanceof Error ? e.message : String(e),
    issues: [],
  };
}

function request(c: T2iCase) {
  return {
    schedule: c.schedule,
    prompts: c.prompts,
    seeds: c.seeds,
    guidanceScale: c.guidanceScale,
    ...(c.batchSize ? { batchSize: c.batchSize } : {}),
  };
}

/** Long tasks (> 50 ms) on this page's main thread while `work` runs. */
async function longTasksDuring<T>(work: () => Promise<T>): Promise<{ result: T; longTasks: number[] }> {
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  try {
    const result = await work();
    // let the observer deliver the last entries
    await new Promise((r) => setTimeout(r, 100));
    return { result, longTasks };
  } finally {
    observer.disconnect();
  }
}

const t2i = {
  /** Generate a case on the page's main thread. */
  async generate(kind: WebKind, c: T2iCase) {
    const m = await model(kind);
    const r = await m.generate(request(c));
    return {
      backend: m.backend.description,
      samples: Array.from(r.samples),
      latents: Array.from(r.latents!),
      shape: r.shape,
      ms: r.durationMs,
    };
  },

  /**
   * The outputs of each network on fixed inputs, for locating where a backend departs from Node:
   * the text encoder's embeddings of a prompt and of "", one full UNet step on them (x = 0.25,
   * t = 500), the VAE decoder on latents 0.1·sin(i).
   */
  async networkOutputs(kind: WebKind) {
    const m = await model(kind);
    const u = m.manifest.unet;
    const emb = await m.encodePrompts(['a photo of a dark sneaker', '']);
    const size = u.sampleShape[0] * u.sampleShape[1] * u.sampleShape[2];
    const { output, caches } = await m.unet.runFull({
      [u.inputs.sample]: new Tensor('float32', new Float32Array(2 * size).fill(0.25), [2, ...u.sampleShape]),
      [u.inputs.timestep]: new Tensor('int64', new BigInt64Array(2).fill(500n), [2]),
      [u.inputs.encoderHiddenStates!]: new Tensor('float32', emb.embeddings as Float32Array, emb.shape as number[]),
    });
    const eps = Array.from((await output.getData()) as Float32Array);
    for (const t of caches) if (t.location === 'gpu-buffer') t.dispose();
    const latents = Float32Array.from({ length: size }, (_, i) => 0.1 * Math.sin(i));
    const decoded = await m.decode(latents, 1);
    return { embeddings: Array.from(emb.embeddings as Float32Array), eps, decoded: Array.from(decoded.images) };
  },

  /** Time the pieces of a generation on a backend: load, text encoder, each step kind, VAE decoder. */
  async pieces(kind: WebKind) {
    const t0 = performance.now();
    const m = await model(kind);
    const load = performance.now() - t0;
    const times: Record<string, number[]> = { encode: [], decode: [] };
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      await m.encodePrompts([`a photo of a dark sneaker ${i}`, '']);
      times['encode']!.push(performance.now() - t);
      t = performance.now();
      await m.decode(new Float32Array(4 * 64), 1);
      times['decode']!.push(performance.now() - t);
    }
    const profile = await m.profile({ batchSize: 1, repeats: 2, warmup: 1 });
    return { load, ...times, profile: profile.latencyMs };
  },

  /**
   * Generate a case in a worker, with 28×28 ImageBitmaps; the main thread's long tasks meanwhile;
   * whether each bitmap's pixels equal the samples drawn on the page.
   */
  async workerGenerate(kind: WebKind, c: T2iCase) {
    const { result: m, longTasks: loadLongTasks } = await longTasksDuring(() => workerModel(kind));
    let progress = 0;
    const { result: r, longTasks } = await longTasksDuring(() => m.generate({ ...request(c), onProgress: () => progress++ }));
    const images = r.images ?? [];
    const expected = samplesToImageData(r.samples, r.shape, m.imageOptions);
    const pixelsMatch = images.map((bitmap, i) => {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const got = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const want = expected[i]!.data;
      let maxDiff = 0;
      for (let j = 0; j < want.length; j++) maxDiff = Math.max(maxDiff, Math.abs(got[j]! - want[j]!));
      return maxDiff;
    });
    return {
      backend: m.backend.description,
      samples: Array.from(r.samples),
      latents: Array.from(r.latents!),
      shape: r.shape,
      images: images.map((b) => ({ isBitmap: b instanceof ImageBitmap, width: b.width, height: b.height })),
      pixelsMaxDiff: pixelsMatch,
      retainedBytes: r.retainedBytes,
      workerMs: r.workerMs,
      progress,
      longTasks,
      loadLongTasks,
    };
  },

  /** Abort a 25-step teacher generation in the worker after its second evaluation; then generate again. */
  async workerAbort(kind: WebKind) {
    const m = await workerModel(kind);
    const ctrl = new AbortController();
    let abortedAt = 0;
    const t0 = performance.now();
    const error = await m
      .generate({
        schedule: Array.from({ length: 25 }, () => 'F').join(' '),
        prompts: ['a photo of a dark coat'],
        seeds: [5],
        signal: ctrl.signal,
        onProgress: (e) => {
          if (e.completed === 2 && !ctrl.signal.aborted) {
            abortedAt = performance.now();
            ctrl.abort(new Error('stop'));
          }
        },
      })
      .then(
        () => null,
        (e: unknown) => errorInfo(e),
      );
    const rejectedMs = performance.now() - abortedAt;
    // the next request queues behind whatever the worker still does for the aborted one
    const after = await m.generate({ schedule: 'F N', prompts: ['a photo of a dark coat'], seeds: [5], images: false });
    // evaluations the worker ran for the aborted request (its total is 25): 2, plus the one in flight
    return { error, rejectedMs, totalMs: performance.now() - t0, after: after.shape, stepsRun: workerSteps.get(25) ?? 0 };
  },

  /** Load the model afresh on the page (no memo): the result or the error. */
  async loadFresh(kind: WebKind) {
    const events: DownloadProgress[] = [];
    try {
      const m = await loadModel(MODEL, { backend: backendsFor(kind), onDownload: (p) => events.push(p) });
      const name = m.manifest.name;
      await m.dispose();
      return {
        ok: true as const,
        name,
        error: null,
        unetBytes: Math.max(0, ...events.filter((e) => e.path === 'unet/model.onnx').map((e) => e.loaded)),
      };
    } catch (e) {
      return {
        ok: false as const,
        name: null,
        error: errorInfo(e),
        unetBytes: Math.max(0, ...events.filter((p) => p.path === 'unet/model.onnx').map((p) => p.loaded)),
      };
    }
  },

  /**
   * What ε and x crossing to JS costs per step, on the engine's own session factory: `steps`
   * chained UNet evaluations at network batch `2·batch` (guidance), two ways, alternated per repeat:
   * - host loop (what the engine does): the output (ε) comes back to JS, classifier-free guidance
   *   and a DDIM-style update run in JS, the new x goes up as a CPU tensor;
   * - device loop: the output stays where the backend computed it (`deviceOutputs` → WebGPU's
   *   `preferredOutputLocation: 'gpu-buffer'`) and is fed straight into the next evaluation, read
   *   back once at the end: no per-step read-back, sync, JS math or upload. (On wasm both loops
   *   are CPU memory; the difference is the JS math and the tensor copies.)
   * The per-step difference bounds what on-device CFG / sampler graphs could save; the JS math is
   * also timed alone.
   */
  async crossing(kind: WebKind, batch: number, steps: number, repeats: number) {
    const m = await model(kind);
    const u = m.manifest.unet;
    const n = 2 * batch;
    const size = u.sampleShape[0] * u.sampleShape[1] * u.sampleShape[2];
    const bytes = new Uint8Array(await (await fetch(`${MODEL}${u.file}`)).arrayBuffer());
    const host = await m.backend.sessions.create(bytes, { label: 'bench/host-loop' });
    const device = await m.backend.sessions.create(bytes, { label: 'bench/device-loop', deviceOutputs: [u.output] });
    const emb = await m.encodePrompts([
      ...Array.from({ length: batch }, () => 'a photo of a dark sneaker'),
      ...Array.from({ length: batch }, () => ''),
    ]);
    const cond = new Tensor('float32', emb.embeddings as Float32Array, emb.shape as number[]);
    const feeds = (x: unknown, t: number) => ({
      [u.inputs.sample]: x as Tensor,
      [u.inputs.timestep]: new Tensor('int64', new BigInt64Array(n).fill(BigInt(t)), [n]),
      [u.inputs.encoderHiddenStates!]: cond,
    });
    const x0 = Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i));
    let mathMs = 0;
    const hostLoop = async (): Promise<number> => {
      let x = x0;
      const t0 = performance.now();
      for (let k = 0; k < steps; k++) {
        const xin = new Float32Array(n * size);
        xin.set(x, 0);
        xin.set(x, batch * size);
        const out = await host.run(feeds(new Tensor('float32', xin, [n, ...u.sampleShape]), 900 - k * 30));
        const eps = (await out[u.output]!.getData()) as Float32Array;
        const tm = performance.now();
        const next = new Float32Array(batch * size);
        for (let j = 0; j < next.length; j++) {
          const e = eps[j + batch * size]! + 3 * (eps[j]! - eps[j + batch * size]!); // guidance 3
          next[j] = 0.98 * x[j]! - 0.05 * e; // a DDIM update is two multiply-adds per value
        }
        mathMs += performance.now() - tm;
        x = next;
      }
      return (performance.now() - t0) / steps;
    };
    const deviceLoop = async (): Promise<number> => {
      const xin = new Float32Array(n * size);
      xin.set(x0, 0);
      xin.set(x0, batch * size);
      let x: unknown = new Tensor('float32', xin, [n, ...u.sampleShape]);
      const t0 = performance.now();
      for (let k = 0; k < steps; k++) {
        const out = (await device.run(feeds(x, 900 - k * 30)))[u.output]!;
        if (k > 0 && (x as { location?: string }).location === 'gpu-buffer') (x as { dispose(): void }).dispose();
        x = out;
      }
      await (x as { getData(): Promise<unknown> }).getData();
      const ms = (performance.now() - t0) / steps;
      if ((x as { location?: string }).location === 'gpu-buffer') (x as { dispose(): void }).dispose();
      return ms;
    };
    const where = async () =>
      (await device.run(feeds(new Tensor('float32', new Float32Array(n * size), [n, ...u.sampleShape]), 500)))[u.output]!;
    const probe = await where();
    const location = probe.location;
    if (location === 'gpu-buffer') probe.dispose();
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const hostTimes: number[] = [];
    const deviceTimes: number[] = [];
    await hostLoop(); // warm-up: compilation, tier-up
    await deviceLoop();
    mathMs = 0;
    for (let r = 0; r < repeats; r++) {
      hostTimes.push(await hostLoop());
      deviceTimes.push(await deviceLoop());
    }
    await host.release();
    await device.release();
    return {
      backend: m.backend.description,
      outputLocation: location,
      hostMs: med(hostTimes),
      deviceMs: med(deviceTimes),
      hostTimes,
      deviceTimes,
      mathMs: mathMs / (repeats * steps),
      bytesDown: n * size * 4,
      bytesUp: n * size * 4,
    };
  },
};

(globalThis as unknown as { t2i: typeof t2i }).t2i = t2i;
export type T2iHarness = typeof t2i;
