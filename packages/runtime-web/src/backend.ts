import { RuntimeError, type AbortSignalLike, type RuntimeIssue, type SessionFactory } from '@flexiffusion/runtime';

/**
 * An execution backend for the browser, as the `@flexiffusion/runtime-web/webgpu` and
 * `@flexiffusion/runtime-web/wasm` subpaths make them ({@link WebBackend.init} does the work). It
 * is a plain object passed to {@link resolveBackend} or `loadModel`: importing a subpath registers
 * nothing, and a bundle holds only the onnxruntime-web build of the backends it imports.
 *
 * A custom backend (a worker proxy, a test double) implements the same two members.
 *
 * @example
 * ```ts
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 * const backends = [webgpuBackend({ wasmPaths: '/ort/' }), wasmBackend({ wasmPaths: '/ort/' })];
 * ```
 *
 * @public
 */
export interface WebBackend {
  /** Short name used in messages and in the combined error, e.g. `webgpu` or `wasm`. */
  readonly name: string;
  /**
   * Start the backend: load onnxruntime-web's WebAssembly, acquire the device where there is one,
   * and prove that it runs a graph. Called at most once per {@link resolveBackend} attempt; a
   * backend may cache its result.
   *
   * @returns The started backend.
   * @throws Any error when the backend cannot run here; {@link resolveBackend} collects it.
   */
  init(): Promise<ActiveBackend>;
}

/**
 * A started backend: what {@link WebBackend.init} returns and {@link resolveBackend} chooses.
 *
 * @public
 */
export interface ActiveBackend {
  /** The backend's name (`webgpu`, `wasm`, …). */
  readonly name: string;
  /** A human-readable description, e.g. `webgpu (google swiftshader)` or `wasm (1 thread)`. */
  readonly description: string;
  /** Opens onnxruntime-web sessions on this backend: the `SessionFactory` of `@flexiffusion/runtime`. */
  readonly sessions: SessionFactory;
  /**
   * Whether outputs the engine marks as device-only (the cache tensors) stay in device memory
   * between steps (`preferredOutputLocation: 'gpu-buffer'`) rather than coming back to JS memory.
   */
  readonly deviceResident: boolean;
}

/**
 * Options of {@link resolveBackend}.
 *
 * @public
 */
export interface ResolveBackendOptions {
  /** Stops trying further backends; the promise then rejects with `RuntimeError` `aborted`. */
  readonly signal?: AbortSignalLike;
  /** Called after each failed backend, before the next one is tried (for logs). */
  readonly onFallback?: (failed: { readonly name: string; readonly error: unknown }) => void;
}

/**
 * onnxruntime's log levels, least to most severe (the values of {@link CommonBackendOptions.logLevel}).
 *
 * @public
 */
export const LOG_LEVELS: readonly ['verbose', 'info', 'warning', 'error', 'fatal'] = Object.freeze(['verbose', 'info', 'warning', 'error', 'fatal'] as const);

/** An onnxruntime log level. @public */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Where onnxruntime-web finds its `.wasm` (and, for the non-bundled builds, `.mjs`) files: a URL
 * prefix (a folder, ending in `/`) or one URL per file, as onnxruntime-web's `env.wasm.wasmPaths`.
 *
 * @public
 */
export type WasmPaths =
  | string
  | {
      /** URL of onnxruntime-web's `.wasm` binary. */
      readonly wasm?: string | URL;
      /** URL of onnxruntime-web's `.mjs` glue module. */
      readonly mjs?: string | URL;
    };

/**
 * Options both backends (`webgpuBackend`, `wasmBackend`) take.
 *
 * @public
 */
export interface CommonBackendOptions {
  /**
   * Where onnxruntime-web's `dist/` files are served (`env.wasm.wasmPaths`), e.g. `'/ort/'`.
   * Default: next to onnxruntime-web's own module, which works unbundled and with bundlers that
   * copy the files; set it when the bundle and the files live apart.
   */
  readonly wasmPaths?: WasmPaths;
  /**
   * WebAssembly threads (`env.wasm.numThreads`). Default: onnxruntime-web's choice (up to 4 when
   * the page is cross-origin isolated, else 1).
   */
  readonly numThreads?: number;
  /** onnxruntime's log level (default `error`: its per-session node-placement warnings are dropped). */
  readonly logLevel?: LogLevel;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Start the first backend that works, trying them in the order given (WebGPU first, then wasm,
 * is the usual order). When none works, throw one error that lists each backend's failure, in
 * onnxruntime's `backend-impl` style: `[webgpu] …, [wasm] …`.
 *
 * @param backends - Candidate backends, in order of preference.
 * @param options - `signal`, `onFallback`.
 * @returns The first backend whose `init()` succeeded.
 * @throws {@link RuntimeError} `unsupported` when every backend failed: `issues` holds one entry per
 *   backend (`path` = its name) and `cause` an `AggregateError` of the underlying errors;
 *   `invalid-option` for an empty list; `aborted`.
 * @example
 * ```ts
 * import { resolveBackend } from '@flexiffusion/runtime-web';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 *
 * const backend = await resolveBackend([webgpuBackend(), wasmBackend()]);
 * console.log(backend.description); // "webgpu (…)" or "wasm (…)" when WebGPU is unavailable
 * ```
 * @public
 */
export async function resolveBackend(backends: readonly WebBackend[], options: ResolveBackendOptions = {}): Promise<ActiveBackend> {
  if (!Array.isArray(backends) || backends.length === 0) {
    throw new RuntimeError(
      'invalid-option',
      'No backends to try: pass e.g. [webgpuBackend(), wasmBackend()] from "@flexiffusion/runtime-web/webgpu" and "@flexiffusion/runtime-web/wasm".',
    );
  }
  const issues: RuntimeIssue[] = [];
  const errors: unknown[] = [];
  for (const backend of backends) {
    if (options.signal?.aborted) {
      throw new RuntimeError('aborted', `Choosing an execution backend was aborted${options.signal.reason instanceof Error ? `: ${options.signal.reason.message}` : ''}.`, {
        cause: options.signal.reason,
      });
    }
    const name = typeof backend?.name === 'string' && backend.name !== '' ? backend.name : `#${issues.length}`;
    try {
      if (typeof backend?.init !== 'function') throw new TypeError(`not a backend (no init()): ${String(backend)}`);
      return await backend.init();
    } catch (error) {
      issues.push({ path: name, message: messageOf(error) });
      errors.push(error);
      options.onFallback?.({ name, error });
    }
  }
  const list = issues.map((i) => `[${i.path}] ${i.message}`).join(', ');
  throw new RuntimeError('unsupported', `No execution backend could be started: ${list}`, {
    issues,
    cause: new AggregateError(errors, `Every backend failed: ${issues.map((i) => i.path).join(', ')}`),
  });
}
