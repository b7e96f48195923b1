import type { InferenceSession } from 'onnxruntime-common';
import type { AbortSignalLike } from './internal/platform.js';

/**
 * An execution backend as plain data: a name and an `init()` that starts it and proves it works
 * (it opens and runs a tiny graph, see {@link @flexiffusion/runtime!checkBackend | checkBackend}). Platform packages make them —
 * `@flexiffusion/runtime-node`'s `cpuBackend()` / `cudaBackend()`, `@flexiffusion/runtime-web`'s
 * `webgpuBackend()` / `wasmBackend()` — and {@link @flexiffusion/runtime!resolveBackend | resolveBackend} starts the first one
 * that works.
 * Nothing registers itself on import: backends are passed in.
 *
 * A custom backend (a worker proxy, a test double, another onnxruntime build) implements the same
 * two members.
 *
 * @example
 * ```ts
 * const backend: Backend = {
 *   name: 'my-cpu',
 *   init: async () => ({ name: 'my-cpu', description: 'my-cpu (1 thread)', sessions, deviceResident: false }),
 * };
 * const model = await openModel({ source, backend });
 * ```
 *
 * @public
 */
export interface Backend {
  /** Short name used in messages and in the combined error, e.g. `cpu`, `cuda`, `webgpu`, `wasm`. */
  readonly name: string;
  /**
   * Start the backend (load the provider, acquire the device) and prove that it runs a graph.
   * A backend may memoize its result; a failed start may be retried.
   *
   * @returns The started backend.
   * @throws Any error when the backend cannot run here; `resolveBackend` collects it.
   */
  init(): Promise<ActiveBackend>;
}

/**
 * A started backend: what {@link Backend.init} returns and `resolveBackend` chooses.
 *
 * @public
 */
export interface ActiveBackend {
  /** The backend's name (`cpu`, `cuda`, `webgpu`, `wasm`, …). */
  readonly name: string;
  /** A human-readable description, e.g. `cpu (2 threads)` or `webgpu (google swiftshader)`. */
  readonly description: string;
  /** Opens onnxruntime sessions on this backend. */
  readonly sessions: SessionFactory;
  /**
   * Whether outputs the engine marks as device-only ({@link SessionInfo.deviceOutputs}: the cache
   * tensors) may stay in device memory between steps rather than coming back to JS memory.
   */
  readonly deviceResident: boolean;
}

/**
 * How a backend opens onnxruntime sessions on model bytes (the session factory of an
 * {@link ActiveBackend}). `@flexiffusion/runtime-node` makes one from onnxruntime-node, `runtime-web` from
 * onnxruntime-web; tests may wrap either. The sessions are onnxruntime-common
 * `InferenceSession`s, so tensors are onnxruntime-common `Tensor`s.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-node';
 * const sessions: SessionFactory = {
 *   create: (model) => ort.InferenceSession.create(model, { executionProviders: ['cpu'] }),
 * };
 * ```
 *
 * @public
 */
export interface SessionFactory {
  /**
   * Open a session on an ONNX model.
   *
   * @param model - The serialized ONNX model.
   * @param info - What the session is for (`label`, e.g. `"unet/partial-1"`), for logs and errors,
   *   and which outputs may stay in device memory (`deviceOutputs`).
   * @returns The session; the caller releases it.
   */
  create(model: Uint8Array, info?: SessionInfo): Promise<InferenceSession>;
}

/**
 * What the engine tells a {@link SessionFactory} about a session it opens.
 *
 * @public
 */
export interface SessionInfo {
  /** What the session is for, e.g. `"unet/full"` or `"unet/partial-1"`, for logs and errors. */
  readonly label?: string;
  /**
   * Outputs the engine never reads on the host: it only feeds them to other sessions of the same
   * factory (the full UNet graph's cache tensors, fed to the partial graphs). A backend with device
   * memory may leave them there (onnxruntime-web's `preferredOutputLocation: 'gpu-buffer'`); the
   * engine releases every such output whose `location` is not `cpu` / `cpu-pinned` with
   * `Tensor.dispose()` once no step needs it. Backends without device memory ignore it.
   */
  readonly deviceOutputs?: readonly string[];
}

/**
 * Where a model's files come from: reads a file by its path relative to the model folder (the
 * folder that holds `model.json`). Node reads from disk, the web fetches; tests read from memory.
 *
 * @public
 */
export interface ModelSource {
  /**
   * Read a whole file.
   *
   * @param path - Path relative to the model folder, `/`-separated (e.g. `unet/model.onnx`).
   * @returns The file's bytes.
   * @throws Any error when the file cannot be read; the runtime wraps it in a `missing-file` error.
   */
  readFile(path: string): Promise<Uint8Array>;
  /** A human-readable description of the location (a folder or URL), used in error messages. */
  readonly location?: string;
}

/**
 * Progress of a long operation.
 *
 * @public
 */
export interface ProgressEvent {
  /** What is being done: `load` (reading and preparing the model), `sample` (denoising), `decode` (VAE). */
  readonly phase: 'load' | 'sample' | 'decode';
  /** Units done so far (network evaluations while sampling, files while loading). */
  readonly completed: number;
  /** Units in all. */
  readonly total: number;
  /** `completed / total`, in [0, 1]. */
  readonly fraction: number;
  /** A short description of the current unit. */
  readonly message?: string;
}

/**
 * Options every long operation accepts.
 *
 * @public
 */
export interface OperationOptions {
  /** Cancels the operation; its promise then rejects with a `RuntimeError` of code `aborted`. */
  readonly signal?: AbortSignalLike;
  /** Called as the operation advances. */
  readonly onProgress?: (event: ProgressEvent) => void;
}
