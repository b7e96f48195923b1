import {
  RuntimeError,
  type GenerateOptions,
  type GenerateResult,
  type Model,
  type ModelManifest,
  type ProgressEvent,
  type RuntimeWarning,
  type SampleBatch,
  type SamplerName,
  type ToImageOptions,
} from '@flexiffusion/runtime';
import type { DownloadProgress } from './fetch-source.js';
import {
  PROTOCOL,
  fromWireError,
  isProtocolMessage,
  type LoadedInfo,
  type Reply,
  type Request,
  type WireBatch,
  type WireGenerateOptions,
  type WorkerBackendInfo,
  type WorkerBackendOptions,
} from './internal/worker-protocol.js';

export type { WorkerBackendInfo, WorkerBackendOptions } from './internal/worker-protocol.js';

/**
 * A dedicated Web Worker, as far as {@link createWorkerModel} uses it (a `Worker` is one).
 *
 * @public
 */
export interface WorkerLike {
  /** Send a message, moving the `transfer` objects. */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Listen for the worker's messages and failures. */
  addEventListener(
    type: 'message' | 'error' | 'messageerror',
    listener: (event: { readonly data?: unknown; readonly message?: string }) => void,
  ): void;
  /** Stop listening. */
  removeEventListener(
    type: 'message' | 'error' | 'messageerror',
    listener: (event: { readonly data?: unknown; readonly message?: string }) => void,
  ): void;
  /** Stop the worker at once. */
  terminate(): void;
}

/**
 * Options of {@link createWorkerModel}.
 *
 * @public
 */
export interface WorkerModelOptions {
  /**
   * The worker that serves the model (its module calls `serveModelWorker` of
   * `@flexiffusion/runtime-web/worker`): its script's URL (started as a module worker), a function
   * that starts it, or a started `Worker`. It is terminated by `dispose()` and when loading fails.
   */
  readonly worker: string | URL | WorkerLike | (() => WorkerLike);
  /** Backends to try in order, by the names the worker serves (default `['webgpu', 'wasm']`). */
  readonly backends?: readonly string[];
  /** Options of every backend: `wasmPaths` (resolved against the page), `numThreads`, `logLevel`, `keepCachesOnGpu`, `powerPreference`. */
  readonly backendOptions?: WorkerBackendOptions;
  /** Called for each backend that failed to start before one did (why WebGPU fell back to wasm), with the failure's message. */
  readonly onFallback?: (failed: { readonly name: string; readonly message: string }) => void;
  /** Bytes received per file, as they stream in (in the worker). */
  readonly onDownload?: (progress: DownloadProgress) => void;
  /** Loading phases. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Cancels loading (the worker is then terminated). */
  readonly signal?: AbortSignal;
  /** Check files against the manifest's SHA-256 (default true). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load (default: on first use). */
  readonly eagerPartials?: boolean;
  /** Extra `fetch` options for every request the worker makes (plain data only). */
  readonly requestInit?: {
    /** Request headers (e.g. an authorization header). */
    readonly headers?: Record<string, string>;
    /** `fetch`'s credentials mode. */
    readonly credentials?: RequestCredentials;
    /** `fetch`'s cache mode. */
    readonly cache?: RequestCache;
  };
}

/**
 * Options of {@link WorkerModel.generate} and {@link WorkerModel.stream}: those of the engine's
 * `Model.generate` that can cross to a worker (a built-in sampler by name; no custom sampler
 * functions), and the images to make there.
 *
 * @public
 */
export interface WorkerGenerateOptions extends Omit<GenerateOptions, 'sampler' | 'signal' | 'onProgress' | 'onWarning'> {
  /** A built-in sampler (default `ddim`). A custom sampler definition holds functions, which cannot cross to the worker. */
  readonly sampler?: SamplerName;
  /** Cancels the generation: the promise rejects at once with `aborted`; the worker stops after its current step. */
  readonly signal?: AbortSignal;
  /** Called after each network evaluation (and decoding) in the worker. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Called for what the runtime did to the request (e.g. a prompt truncated). */
  readonly onWarning?: (warning: RuntimeWarning) => void;
  /**
   * Make one `ImageBitmap` per image in the worker (the model's range and crop, integer upscaling
   * `scale`) and transfer them with the samples (default `true`, scale 1); `false` for samples only.
   */
  readonly images?:
    | boolean
    | {
        /** Integer upscaling of each image (1..64; default 1). */
        readonly scale?: number;
      };
}

/**
 * One batch from a {@link WorkerModel}: the engine's batch, moved from the worker, and its images.
 *
 * @public
 */
export interface WorkerSampleBatch extends SampleBatch {
  /** One `ImageBitmap` per sample (transferred from the worker), or `null` with `images: false`. */
  readonly images: readonly ImageBitmap[] | null;
}

/**
 * The result of {@link WorkerModel.generate}.
 *
 * @public
 */
export interface WorkerGenerateResult extends GenerateResult {
  /** One `ImageBitmap` per sample, in order, or `null` with `images: false`. */
  readonly images: readonly ImageBitmap[] | null;
  /** Wall time of the generation in the worker, in milliseconds (`durationMs` is measured on the page, messaging included). */
  readonly workerMs: number;
  /** Bytes of samples, latents and images that the worker kept after posting them: 0 when everything was transferred (moved). */
  readonly retainedBytes: number;
}

interface Pending {
  readonly onReply: (reply: Reply) => void;
  readonly onFailure: (error: RuntimeError) => void;
}

function resolveUrl(u: string | URL): string {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return page ? new URL(String(u), page).href : new URL(String(u)).href;
  } catch (cause) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid URL ${JSON.stringify(String(u))}: expected an absolute URL or a path relative to the page.`,
      {
        cause,
      },
    );
  }
}

function startWorker(w: WorkerModelOptions['worker']): WorkerLike {
  if (typeof w === 'function') return w();
  if (typeof w === 'string' || w instanceof URL) {
    const Ctor = (globalThis as { Worker?: new (url: string, options: { type: 'module' }) => WorkerLike }).Worker;
    if (!Ctor)
      throw new RuntimeError('unsupported', 'There is no Worker here (not a browser page): pass a started worker, or use loadModel.');
    return new Ctor(resolveUrl(w), { type: 'module' });
  }
  if (w && typeof (w as WorkerLike).postMessage === 'function') return w as WorkerLike;
  throw new RuntimeError(
    'invalid-option',
    `Invalid worker ${String(w)}: expected the worker script's URL, a function that starts it, or a Worker.`,
  );
}

function abortedError(what: string, signal: AbortSignal | undefined): RuntimeError {
  const reason = signal?.reason;
  return new RuntimeError('aborted', `${what} was aborted${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason });
}

function withAbsoluteWasmPaths(o: WorkerBackendOptions): WorkerBackendOptions {
  const p = o.wasmPaths;
  if (p === undefined) return o;
  if (typeof p === 'string') return { ...o, wasmPaths: resolveUrl(p) };
  return {
    ...o,
    wasmPaths: {
      ...(p.wasm !== undefined ? { wasm: resolveUrl(p.wasm) } : {}),
      ...(p.mjs !== undefined ? { mjs: resolveUrl(p.mjs) } : {}),
    },
  };
}

function joinBatches(
  parts: readonly WorkerSampleBatch[],
  get: (b: WorkerSampleBatch) => Float32Array | undefined,
): Float32Array | undefined {
  const first = parts[0]!;
  const head = get(first);
  if (!head) return undefined;
  const total = parts.reduce((s, b) => s + b.count, 0);
  if (parts.length === 1) return head;
  const per = head.length / first.count;
  const out = new Float32Array(total * per);
  for (const b of parts) out.set(get(b)!, b.offset * per);
  return out;
}

/**
 * A model loaded and run in a dedicated Web Worker (made by {@link createWorkerModel}): the same
 * requests as the engine's `Model`, answered from the worker, with images as `ImageBitmap`s.
 *
 * @public
 */
export class WorkerModel {
  /** The model's manifest (as the worker derived it). */
  readonly manifest: ModelManifest;
  /** Where the model was loaded from. */
  readonly location: string;
  /** SHA-256 over the manifest and every file's hash (see the engine's `Model.contentHash`). */
  readonly contentHash: string | null;
  /** The backend the worker's sessions run on. */
  readonly backend: WorkerBackendInfo;
  /** Backends that failed to start before this one, with why (e.g. WebGPU unavailable in the worker). */
  readonly fallbacks: readonly {
    /** The backend that did not start. */
    readonly name: string;
    /** Why it did not start. */
    readonly message: string;
  }[];
  /** MACs per sample of a full step and of a partial step per branch. */
  readonly costProfile: Model['costProfile'];
  /** Number of cache branches. */
  readonly branches: number;
  /** The built-in sampler names. */
  readonly samplers: readonly SamplerName[];
  /** The manifest's image range and crop. */
  readonly imageOptions: ToImageOptions;
  readonly #worker: WorkerLike;
  readonly #pending: Map<number, Pending>;
  readonly #nextId: () => number;
  readonly #detach: () => void;
  #disposed = false;

  /** @internal */
  constructor(init: {
    info: LoadedInfo;
    fallbacks: readonly { name: string; message: string }[];
    worker: WorkerLike;
    pending: Map<number, Pending>;
    nextId: () => number;
    detach: () => void;
  }) {
    const { info } = init;
    this.manifest = info.manifest;
    this.location = info.location;
    this.contentHash = info.contentHash;
    this.backend = Object.freeze({ ...info.backend });
    this.fallbacks = Object.freeze(init.fallbacks.map((f) => Object.freeze({ ...f })));
    this.costProfile = info.costProfile;
    this.branches = info.branches;
    this.samplers = info.samplers;
    this.imageOptions = info.imageOptions;
    this.#worker = init.worker;
    this.#pending = init.pending;
    this.#nextId = init.nextId;
    this.#detach = init.detach;
  }

  /**
   * Generate in the worker and collect every batch.
   *
   * @param options - As the engine's `Model.generate` (schedule, prompts or labels, seeds, guidance,
   *   a built-in sampler, batching), plus `images` and a cancelling `signal`.
   * @returns Samples, latents and images (moved from the worker), and the timings.
   * @throws {@link RuntimeError} `aborted`, `disposed`, `invalid-option` (bad options; an invalid
   *   schedule, with the schedule's issues and positions in `issues` and `cause.issues`),
   *   `session-failed`, and the engine's other codes, as the worker raised them.
   * @example
   * ```ts
   * const r = await model.generate({ schedule: 'F P0 P0 | F P1 P1', prompts: ['a photo of a dark sneaker'], seeds: [1] });
   * canvas.getContext('2d')!.drawImage(r.images![0]!, 0, 0);
   * ```
   */
  async generate(options: WorkerGenerateOptions): Promise<WorkerGenerateResult> {
    const t0 = performance.now();
    const parts: WorkerSampleBatch[] = [];
    const end = await this.#run(options, (b) => parts.push(b));
    const first = parts[0]!;
    const total = parts.reduce((s, b) => s + b.count, 0);
    const samples = joinBatches(parts, (b) => b.samples)!;
    const latents = joinBatches(parts, (b) => b.latents);
    const images = first.images ? parts.flatMap((b) => b.images ?? []) : null;
    const shape = [total, first.shape[1], first.shape[2], first.shape[3]] as const;
    const ls = first.latentShape;
    const common = {
      samples,
      shape,
      images,
      durationMs: performance.now() - t0,
      workerMs: end.durationMs,
      retainedBytes: end.retainedBytes,
    };
    return latents && ls ? { ...common, latents, latentShape: [total, ls[1], ls[2], ls[3]] } : common;
  }

  /**
   * Generate in the worker batch by batch: each batch is yielded as soon as the worker posts it.
   * Breaking out of the loop stops the generation in the worker.
   *
   * @param options - As {@link WorkerModel.generate}.
   * @returns Batches in order.
   * @throws As {@link WorkerModel.generate}.
   */
  async *stream(options: WorkerGenerateOptions): AsyncGenerator<WorkerSampleBatch, void, undefined> {
    const queue: WorkerSampleBatch[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: unknown = null;
    const ctrl = new AbortController();
    const outer = options.signal;
    const relay = (): void => ctrl.abort(outer?.reason);
    if (outer?.aborted) relay();
    else outer?.addEventListener('abort', relay, { once: true });
    const done = this.#run({ ...options, signal: ctrl.signal }, (b) => {
      queue.push(b);
      wake?.();
    }).then(
      () => {
        finished = true;
        wake?.();
      },
      (e: unknown) => {
        failure = e;
        finished = true;
        wake?.();
      },
    );
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (finished) break;
        await new Promise<void>((ok) => {
          wake = ok;
        });
        wake = null;
      }
      if (failure !== null) throw outer?.aborted ? abortedError('Generation in the model worker', outer) : failure;
    } finally {
      outer?.removeEventListener('abort', relay);
      if (!finished) ctrl.abort(new Error('the stream was closed'));
      await done;
    }
  }

  /**
   * Dispose the model in the worker and terminate the worker. Pending requests reject with
   * `disposed`; later calls throw `disposed`.
   *
   * @param timeoutMs - How long to wait for the worker to release its sessions before terminating it (default 5000).
   * @returns When the worker is gone.
   */
  async dispose(timeoutMs = 5000): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const id = this.#nextId();
    await new Promise<void>((ok) => {
      const timer = setTimeout(ok, timeoutMs);
      this.#pending.set(id, {
        onReply: (r) => {
          if (r.type === 'disposed') {
            clearTimeout(timer);
            ok();
          }
        },
        onFailure: () => {
          clearTimeout(timer);
          ok();
        },
      });
      this.#worker.postMessage({ protocol: PROTOCOL, type: 'dispose', id } satisfies Request, []);
    });
    this.#pending.delete(id);
    const gone = new RuntimeError('disposed', 'The worker model was disposed.');
    for (const p of this.#pending.values()) p.onFailure(gone);
    this.#pending.clear();
    this.#detach();
    this.#worker.terminate();
  }

  #run(options: WorkerGenerateOptions, onBatch: (b: WorkerSampleBatch) => void): Promise<{ durationMs: number; retainedBytes: number }> {
    if (this.#disposed) return Promise.reject(new RuntimeError('disposed', 'The worker model was disposed.'));
    const { signal, onProgress, onWarning, images, ...rest } = options;
    if (typeof rest.sampler === 'object' && rest.sampler !== null) {
      return Promise.reject(
        new RuntimeError(
          'invalid-option',
          'A custom sampler definition holds functions, which cannot cross to a worker: pass a built-in name (model.samplers), or use loadModel on the page.',
        ),
      );
    }
    const scale = images === false ? 0 : images === true || images === undefined ? 1 : (images.scale ?? 1);
    if (!Number.isSafeInteger(scale) || scale < 0 || scale > 64) {
      return Promise.reject(new RuntimeError('invalid-option', `Invalid images.scale ${String(scale)}: expected an integer 1..64.`));
    }
    if (signal?.aborted) return Promise.reject(abortedError('Generation in the model worker', signal));
    const id = this.#nextId();
    return new Promise((ok, fail) => {
      const cleanup = (): void => {
        this.#pending.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanup();
        this.#worker.postMessage({ protocol: PROTOCOL, type: 'abort', id } satisfies Request, []);
        fail(abortedError('Generation in the model worker', signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        onReply: (r) => {
          if (r.type === 'batch') onBatch(r.batch as WireBatch & SampleBatch);
          else if (r.type === 'progress') onProgress?.(r.event);
          else if (r.type === 'warning') onWarning?.(r.warning);
          else if (r.type === 'done') {
            cleanup();
            ok({ durationMs: r.durationMs, retainedBytes: r.retainedBytes });
          }
        },
        onFailure: (e) => {
          cleanup();
          fail(e);
        },
      });
      this.#worker.postMessage(
        { protocol: PROTOCOL, type: 'generate', id, options: rest as WireGenerateOptions, imageScale: scale } satisfies Request,
        [],
      );
    });
  }
}

/**
 * Load a model in a dedicated Web Worker and drive it from the page: fetching (with byte
 * progress), the core's folder import (a `model.json` folder or a diffusers / optimum export),
 * graph cutting, sessions and the denoising loop all run in the worker, so the page's main thread
 * only receives messages. Finished images come back as `ImageBitmap`s and the samples as
 * `Float32Array`s, both transferred (moved, not copied). The worker's module calls
 * `serveModelWorker` of `@flexiffusion/runtime-web/worker` with the backends it offers.
 *
 * @param url - The model folder (absolute, or relative to the page).
 * @param options - `worker` (required): the worker's script URL, a function that starts it, or a
 *   started `Worker`; `backends` (names, tried in order; default `['webgpu', 'wasm']`),
 *   `backendOptions`, `onFallback`, `onDownload`, `onProgress`, `signal`, `verifyChecksums`,
 *   `eagerPartials`, `requestInit`.
 * @returns The {@link WorkerModel}; `dispose()` it to terminate the worker.
 * @throws {@link RuntimeError} `invalid-option` (no worker, a bad URL, a backend the worker does not
 *   serve), `unsupported` (no `Worker` here; no backend starts, listing each one's failure; the
 *   worker's script failed to start), `aborted`, and `loadModel`'s codes (`missing-file` naming the
 *   URL that failed to download, `checksum-mismatch`, `invalid-manifest`, `session-failed`, …) as
 *   raised in the worker. On failure the worker is terminated; calling again starts a fresh one.
 * @example
 * ```ts
 * import { createWorkerModel } from '@flexiffusion/runtime-web';
 *
 * const model = await createWorkerModel('/models/fashion-sd/', {
 *   worker: () => new Worker(new URL('./model-worker.js', import.meta.url), { type: 'module' }),
 *   backendOptions: { wasmPaths: '/ort/' },
 *   onFallback: ({ name, message }) => console.warn(`${name} unavailable: ${message}`),
 *   onDownload: (p) => (bar.value = p.fraction ?? 0),
 * });
 * const controller = new AbortController();
 * const r = await model.generate({ schedule: 'F P0 P0 | F P1 P1', prompts: ['a photo of a dark sneaker'], seeds: [7], signal: controller.signal });
 * canvas.getContext('2d')!.drawImage(r.images![0]!, 0, 0);
 * await model.dispose();
 * ```
 * @public
 */
export async function createWorkerModel(url: string | URL, options: WorkerModelOptions): Promise<WorkerModel> {
  if ((options as Partial<WorkerModelOptions> | undefined)?.worker === undefined) {
    throw new RuntimeError(
      'invalid-option',
      'createWorkerModel needs options.worker: the URL of a module that calls serveModelWorker() of "@flexiffusion/runtime-web/worker", ' +
        'a function that starts that worker, or the Worker.',
    );
  }
  const { signal } = options;
  if (signal?.aborted) throw abortedError('Loading the model in a worker', signal);
  const modelUrl = resolveUrl(url);
  const backends = options.backends ?? ['webgpu', 'wasm'];
  if (!Array.isArray(backends) || backends.length === 0 || backends.some((b) => typeof b !== 'string')) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid backends ${JSON.stringify(backends)}: expected a non-empty list of names, e.g. ["webgpu", "wasm"].`,
    );
  }
  const backendOptions = withAbsoluteWasmPaths(options.backendOptions ?? {});
  const worker = startWorker(options.worker);
  const pending = new Map<number, Pending>();
  let last = 0;
  const nextId = (): number => ++last;
  let started = false;
  const failAll = (e: RuntimeError): void => {
    for (const p of [...pending.values()]) p.onFailure(e);
    pending.clear();
  };
  const onMessage = (event: { readonly data?: unknown }): void => {
    const r = event.data;
    if (!isProtocolMessage(r)) return;
    const reply = r as Reply;
    if (reply.type === 'ready') {
      started = true;
      return;
    }
    const p = pending.get(reply.id);
    if (!p) return; // an aborted request's late replies
    if (reply.type === 'error') p.onFailure(fromWireError(reply.error));
    else p.onReply(reply);
  };
  const onError = (event: { readonly message?: string }): void => {
    const why = event.message || 'its script did not load or threw on start (see the browser console)';
    failAll(
      new RuntimeError(started ? 'session-failed' : 'unsupported', `The model worker ${started ? 'failed' : 'did not start'}: ${why}.`),
    );
  };
  const onMessageError = (): void => {
    failAll(new RuntimeError('session-failed', 'A message from the model worker could not be deserialized.'));
  };
  worker.addEventListener('message', onMessage);
  worker.addEventListener('error', onError);
  worker.addEventListener('messageerror', onMessageError);
  const detach = (): void => {
    worker.removeEventListener('message', onMessage);
    worker.removeEventListener('error', onError);
    worker.removeEventListener('messageerror', onMessageError);
  };
  const fallbacks: { name: string; message: string }[] = [];
  const id = nextId();
  try {
    const info = await new Promise<LoadedInfo>((ok, fail) => {
      const onAbort = (): void => {
        pending.delete(id);
        worker.postMessage({ protocol: PROTOCOL, type: 'abort', id } satisfies Request, []);
        fail(abortedError('Loading the model in a worker', signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        onReply: (r) => {
          if (r.type === 'download') options.onDownload?.(r.progress);
          else if (r.type === 'progress') options.onProgress?.(r.event);
          else if (r.type === 'fallback') {
            fallbacks.push({ name: r.name, message: r.message });
            options.onFallback?.({ name: r.name, message: r.message });
          } else if (r.type === 'loaded') {
            pending.delete(id);
            signal?.removeEventListener('abort', onAbort);
            ok(r.info);
          }
        },
        onFailure: (e) => {
          pending.delete(id);
          signal?.removeEventListener('abort', onAbort);
          fail(e);
        },
      });
      worker.postMessage(
        {
          protocol: PROTOCOL,
          type: 'load',
          id,
          url: modelUrl,
          backends,
          backendOptions,
          ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
          ...(options.eagerPartials ? { eagerPartials: true } : {}),
          ...(options.requestInit ? { requestInit: options.requestInit } : {}),
        } satisfies Request,
        [],
      );
    });
    return new WorkerModel({ info, fallbacks, worker, pending, nextId, detach });
  } catch (e) {
    detach();
    worker.terminate();
    throw e;
  }
}
