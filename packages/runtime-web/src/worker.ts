/**
 * `@flexiffusion/runtime-web/worker` — the worker side of `createWorkerModel` (`@flexiffusion/runtime-web`): call
 * {@link serveModelWorker} in a dedicated Web Worker's module, with the backends that worker may
 * use, and the page drives it through `createWorkerModel`. Loading (fetch, graph cut, sessions) and
 * the denoising loop then run in the worker, so the page's main thread stays free.
 *
 * The backends are passed in, not registered on import, so the worker's bundle holds only the
 * onnxruntime-web builds it names:
 *
 * ```ts
 * // model-worker.ts, bundled as its own entry
 * import { serveModelWorker } from '@flexiffusion/runtime-web/worker';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 * serveModelWorker({ backends: { webgpu: webgpuBackend, wasm: wasmBackend } });
 * ```
 *
 * @packageDocumentation
 */
import { RuntimeError, type Backend, type Model, type SampleBatch } from '@flexiffusion/runtime';
import { samplesToImageData } from './canvas.js';
import {
  type WorkerBackendOptions,
  PROTOCOL,
  isProtocolMessage,
  toWireError,
  type Reply,
  type Request,
} from './internal/worker-protocol.js';
import { loadModel } from './load-model.js';

export type { WorkerBackendOptions } from './internal/worker-protocol.js';

/** Makes a backend from the options the page sent (`webgpuBackend`, `wasmBackend`, or your own). @public */
export type WorkerBackendFactory = (options: WorkerBackendOptions) => Backend;

/**
 * The global scope of a dedicated worker, as far as {@link serveModelWorker} uses it (a
 * `DedicatedWorkerGlobalScope` is one; a `MessagePort` end works in tests).
 *
 * @public
 */
export interface WorkerScopeLike {
  /** Send a message to the page, moving the `transfer` objects. */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Listen for the page's messages. */
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  /** Stop listening. */
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
}

/**
 * Options of {@link serveModelWorker}.
 *
 * @public
 */
export interface ServeModelWorkerOptions {
  /**
   * The backends this worker offers, by the names the page asks for (`createWorkerModel`'s
   * `backends`, tried in the page's order), e.g. `{ webgpu: webgpuBackend, wasm: wasmBackend }`.
   */
  readonly backends: Readonly<Record<string, WorkerBackendFactory>>;
  /** Where to listen (default `globalThis`, the worker's own scope). */
  readonly scope?: WorkerScopeLike;
}

/**
 * Handle of a served worker.
 *
 * @public
 */
export interface ServedModelWorker {
  /** Stop listening (the model, if loaded, is disposed). */
  close(): Promise<void>;
}

/** A typed array's buffer, to transfer: the array itself when it owns its whole buffer, else a copy. */
function own(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

async function bitmaps(batch: SampleBatch, model: Model, scale: number): Promise<ImageBitmap[]> {
  const create = (globalThis as { createImageBitmap?: (image: ImageData) => Promise<ImageBitmap> }).createImageBitmap;
  if (typeof create !== 'function') {
    throw new RuntimeError('unsupported', 'There is no createImageBitmap here: ask for images: false and draw the samples yourself.');
  }
  return Promise.all(samplesToImageData(batch.samples, batch.shape, { ...model.imageOptions, scale }).map((d) => create(d)));
}

/**
 * Serve one model to the page from inside a dedicated Web Worker: answer the messages of
 * `createWorkerModel` (`@flexiffusion/runtime-web`) (load, generate, abort, dispose). The model is loaded with
 * {@link loadModel} (fetch with byte progress, the core's folder import, the backends tried in the
 * page's order); each finished batch is posted with its samples' and latents' buffers and one
 * `ImageBitmap` per image in the transfer list, so they are moved to the page, not copied.
 *
 * @param options - `backends` (required): the factories by name; `scope` (default `globalThis`).
 * @returns A handle whose `close()` stops serving.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` without backends. Failures of requests are posted
 *   to the page, where they reject the request's promise.
 * @example
 * ```ts
 * import { serveModelWorker } from '@flexiffusion/runtime-web/worker';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 * serveModelWorker({ backends: { wasm: wasmBackend } });
 * ```
 * @public
 */
export function serveModelWorker(options: ServeModelWorkerOptions): ServedModelWorker {
  const factories = (options as Partial<ServeModelWorkerOptions> | undefined)?.backends;
  if (!factories || typeof factories !== 'object' || Object.keys(factories).length === 0) {
    throw new RuntimeError(
      'invalid-option',
      'serveModelWorker needs options.backends: e.g. { webgpu: webgpuBackend, wasm: wasmBackend } from "@flexiffusion/runtime-web/webgpu" and "/wasm".',
    );
  }
  const scope = options.scope ?? (globalThis as unknown as WorkerScopeLike);
  let model: Promise<Model> | null = null;
  const controllers = new Map<number, AbortController>();
  const post = (reply: Reply, transfer: Transferable[] = []): void => scope.postMessage(reply, transfer);
  const fail = (id: number, e: unknown): void => post({ protocol: PROTOCOL, type: 'error', id, error: toWireError(e) });

  const load = async (r: Extract<Request, { type: 'load' }>, signal: AbortSignal): Promise<void> => {
    if (model) throw new RuntimeError('invalid-option', 'This worker already holds a model: create another worker for another model.');
    const backends = r.backends.map((name) => {
      const make = factories[name];
      if (!make) {
        throw new RuntimeError(
          'invalid-option',
          `Unknown backend ${JSON.stringify(name)} in this worker. Should be one of: ${Object.keys(factories)
            .map((n) => `"${n}"`)
            .join(', ')} (the worker's serveModelWorker({ backends })).`,
        );
      }
      return make(r.backendOptions);
    });
    const id = r.id;
    model = loadModel(r.url, {
      backend: backends,
      signal,
      onFallback: ({ name, error }) =>
        post({ protocol: PROTOCOL, type: 'fallback', id, name, message: error instanceof Error ? error.message : String(error) }),
      onDownload: (progress) => post({ protocol: PROTOCOL, type: 'download', id, progress }),
      onProgress: (event) => post({ protocol: PROTOCOL, type: 'progress', id, event }),
      ...(r.verifyChecksums !== undefined ? { verifyChecksums: r.verifyChecksums } : {}),
      ...(r.eagerPartials ? { eagerPartials: true } : {}),
      ...(r.requestInit ? { requestInit: r.requestInit } : {}),
    });
    let m: Model;
    try {
      m = await model;
    } catch (e) {
      model = null;
      throw e;
    }
    post({
      protocol: PROTOCOL,
      type: 'loaded',
      id,
      info: {
        manifest: m.manifest,
        location: m.location,
        contentHash: m.contentHash,
        backend: { name: m.backend.name, description: m.backend.description, deviceResident: m.backend.deviceResident },
        costProfile: m.costProfile,
        branches: m.branches,
        samplers: m.samplers,
        imageOptions: m.imageOptions,
      },
    });
  };

  const generate = async (r: Extract<Request, { type: 'generate' }>, signal: AbortSignal): Promise<void> => {
    if (!model) throw new RuntimeError('invalid-option', 'No model is loaded in this worker: send load first (createWorkerModel does).');
    const m = await model;
    const id = r.id;
    const t0 = performance.now();
    let retained = 0;
    for await (const batch of m.stream({
      ...r.options,
      signal,
      onProgress: (event) => post({ protocol: PROTOCOL, type: 'progress', id, event }),
      onWarning: (warning) => post({ protocol: PROTOCOL, type: 'warning', id, warning }),
    })) {
      const images = r.imageScale > 0 ? await bitmaps(batch, m, r.imageScale) : null;
      const samples = own(batch.samples);
      const latents = batch.latents ? own(batch.latents) : undefined;
      const transfer: Transferable[] = [
        samples.buffer as ArrayBuffer,
        ...(latents ? [latents.buffer as ArrayBuffer] : []),
        ...(images ?? []),
      ];
      post(
        {
          protocol: PROTOCOL,
          type: 'batch',
          id,
          batch: {
            offset: batch.offset,
            count: batch.count,
            samples,
            shape: batch.shape,
            ...(latents && batch.latentShape ? { latents, latentShape: batch.latentShape } : {}),
            images,
          },
        },
        transfer,
      );
      // a transferred buffer is detached here (byteLength 0), a transferred ImageBitmap is 0×0
      retained += samples.byteLength + (latents?.byteLength ?? 0);
      for (const b of images ?? []) retained += b.width * b.height * 4;
    }
    post({ protocol: PROTOCOL, type: 'done', id, durationMs: performance.now() - t0, retainedBytes: retained });
  };

  const dispose = async (): Promise<void> => {
    for (const c of controllers.values()) c.abort(new Error('the model worker is being disposed'));
    const m = model;
    model = null;
    if (m) await m.then((x) => x.dispose()).catch(() => undefined);
  };

  const listener = (event: { readonly data: unknown }): void => {
    const r = event.data;
    if (!isProtocolMessage(r)) return;
    const req = r as Request;
    if (req.type === 'abort') {
      controllers.get(req.id)?.abort(new Error('aborted by the page'));
      return;
    }
    if (req.type === 'dispose') {
      void dispose().then(() => post({ protocol: PROTOCOL, type: 'disposed', id: req.id }));
      return;
    }
    const controller = new AbortController();
    controllers.set(req.id, controller);
    const run = req.type === 'load' ? load(req, controller.signal) : generate(req, controller.signal);
    run.then(
      () => controllers.delete(req.id),
      (e: unknown) => {
        controllers.delete(req.id);
        fail(req.id, e);
      },
    );
  };
  scope.addEventListener('message', listener);
  post({ protocol: PROTOCOL, type: 'ready' });
  return {
    async close() {
      scope.removeEventListener('message', listener);
      await dispose();
    },
  };
}
