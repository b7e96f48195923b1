/**
 * The worker protocol in Node: createWorkerModel (the page side) and serveModelWorker (the worker
 * side) joined by a MessageChannel, on runtime-node's CPU backend (the worker side takes any
 * Backend factory), loading the text-to-image model over HTTP. Checks what crosses (samples
 * moved, not copied; progress; typed errors with the schedule's positions), abort, a download
 * cut off mid-way and its retry, dispose. The same code in a real browser worker on wasm and
 * WebGPU: browser-t2i.test.ts.
 */
import { cpuBackend, loadModel as loadNodeModel } from '@flexiffusion/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionSdModel } from '../harness/model.mjs';
import { startServer, type TestServer } from '../harness/server.mjs';
import { RuntimeError, createWorkerModel, type WorkerLike } from '../src/index.js';
import { serveModelWorker, type WorkerScopeLike } from '../src/worker.js';

/** A worker stand-in: the page's end of a MessageChannel, the other end served in this thread. */
function channelWorker(backends: Parameters<typeof serveModelWorker>[0]['backends']): WorkerLike & { terminated: boolean } {
  const { port1, port2 } = new MessageChannel();
  port1.start();
  port2.start();
  const served = serveModelWorker({ backends, scope: port2 as unknown as WorkerScopeLike });
  const w = {
    terminated: false,
    postMessage: (m: unknown, t: Transferable[]) => port1.postMessage(m, t),
    addEventListener: (type: string, l: (e: { data?: unknown }) => void) => port1.addEventListener(type as 'message', l as never),
    removeEventListener: (type: string, l: (e: { data?: unknown }) => void) => port1.removeEventListener(type as 'message', l as never),
    terminate: () => {
      w.terminated = true;
      void served.close();
      port1.close();
      port2.close();
    },
  };
  return w;
}

const cpu = { cpu: () => cpuBackend({ threads: 1 }) };
const PROMPT = 'a photo of a dark sneaker';
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as RuntimeError,
  );

describe('createWorkerModel ↔ serveModelWorker (MessageChannel, CPU backend)', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startServer({ mounts: { '/fashion-sd/': (await fashionSdModel()).dir } });
    url = `${server.url}/fashion-sd/`;
  });
  afterAll(() => server?.close());

  it('loads over HTTP in the "worker", streams progress, and returns the same samples as the model on the page; buffers are moved', async () => {
    const downloads: string[] = [];
    const model = await createWorkerModel(url, {
      worker: channelWorker(cpu),
      backends: ['cpu'],
      onDownload: (p) => p.done && downloads.push(p.path),
    });
    const node = await loadNodeModel('fashion-sd', { threads: 1 });
    try {
      expect(model.manifest.name).toBe('fashion-sd');
      expect(model.backend.name).toBe('cpu');
      expect(model.branches).toBe(3);
      expect(model.costProfile).toEqual(node.costProfile);
      expect(downloads).toEqual(expect.arrayContaining(['model_index.json', 'model.json', 'unet/model.onnx', 'vae_decoder/model.onnx']));
      const opts = { schedule: 'F P0 N F P1 N', prompts: [PROMPT, 'a photo of a small bag'], seeds: [3, 4], batchSize: 1 };
      const steps: number[] = [];
      const r = await model.generate({ ...opts, images: false, onProgress: (e) => e.phase === 'sample' && steps.push(e.completed) });
      const ref = await node.generate(opts);
      expect(r.shape).toEqual([2, 1, 32, 32]);
      expect(r.latentShape).toEqual([2, 4, 8, 8]);
      expect(Array.from(r.samples)).toEqual(Array.from(ref.samples)); // same backend, same code: bit-identical
      expect(Array.from(r.latents!)).toEqual(Array.from(ref.latents!));
      expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(r.images).toBeNull();
      expect(r.retainedBytes).toBe(0);
      const batches = [];
      for await (const b of model.stream({ ...opts, images: false })) batches.push(b);
      expect(batches.map((b) => [b.offset, b.count])).toEqual([
        [0, 1],
        [1, 1],
      ]);
    } finally {
      await model.dispose();
      await node.dispose();
    }
  }, 120_000);

  it('errors cross typed: an unknown backend, an invalid schedule (with its position), no createImageBitmap; abort; dispose', async () => {
    const bad = channelWorker(cpu);
    const e1 = await failure(createWorkerModel(url, { worker: bad, backends: ['webgpu'] }));
    expect(e1).toBeInstanceOf(RuntimeError);
    expect(e1).toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/Unknown backend "webgpu" in this worker. Should be one of: "cpu"/),
    });
    expect(bad.terminated).toBe(true);

    const model = await createWorkerModel(url, { worker: channelWorker(cpu), backends: ['cpu'] });
    try {
      const e2 = await failure(model.generate({ schedule: 'F P0 X', prompts: [PROMPT], images: false }));
      expect(e2).toMatchObject({ code: 'invalid-option', message: expect.stringMatching(/X/) });
      expect((e2!.cause as { name: string }).name).toBe('ScheduleError');
      expect((e2!.cause as { issues: { position?: { offset?: number } }[] }).issues[0]!.position?.offset).toBe(5);
      expect(e2!.issues[0]!.path).toMatch(/offset 5/);

      const e3 = await failure(model.generate({ schedule: 'F', prompts: [PROMPT] }));
      expect(e3).toMatchObject({ code: 'unsupported', message: expect.stringMatching(/createImageBitmap/) });

      const ctrl = new AbortController();
      const t0 = performance.now();
      const e4 = await failure(
        model.generate({
          schedule: 'F F F F F F F F F F F F F F F F F F F F F F F F F',
          prompts: [PROMPT],
          images: false,
          signal: ctrl.signal,
          onProgress: (e) => e.completed === 2 && ctrl.abort(new Error('enough')),
        }),
      );
      expect(e4).toMatchObject({ code: 'aborted', message: 'Generation in the model worker was aborted: enough.' });
      expect(performance.now() - t0).toBeLessThan(20_000);
      // the worker stopped that one; the next request runs
      const r = await model.generate({ schedule: 'F N', prompts: [PROMPT], images: false });
      expect(r.shape).toEqual([1, 1, 32, 32]);
    } finally {
      await model.dispose();
    }
    await expect(model.generate({ schedule: 'F', prompts: [PROMPT] })).rejects.toMatchObject({ code: 'disposed' });
  }, 120_000);

  it('a UNet download cut off mid-way rejects with missing-file naming the URL, and a second createWorkerModel loads', async () => {
    server.fault('/fashion-sd/unet/model.onnx', 'cut');
    const worker = channelWorker(cpu);
    const e = await failure(createWorkerModel(url, { worker, backends: ['cpu'] }));
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e!.code).toBe('missing-file');
    expect(e!.message).toContain(`Downloading ${url}unet/model.onnx failed after `);
    expect(worker.terminated).toBe(true);
    const model = await createWorkerModel(url, { worker: channelWorker(cpu), backends: ['cpu'] });
    expect(model.manifest.name).toBe('fashion-sd');
    await model.dispose();
  }, 120_000);
});
