/**
 * onnxruntime's log levels, least to most severe (the values of {@link CommonBackendOptions.logLevel}).
 *
 * @public
 */
export const LOG_LEVELS: readonly ['verbose', 'info', 'warning', 'error', 'fatal'] = Object.freeze([
  'verbose',
  'info',
  'warning',
  'error',
  'fatal',
] as const);

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
