/**
 * `@flexiffusion/runtime-web/wasm` — the WebAssembly (CPU) backend: onnxruntime-web's wasm build
 * (`onnxruntime-web/wasm`). It runs wherever WebAssembly does, so it is the usual fallback after
 * WebGPU. Importing this subpath registers nothing: pass {@link wasmBackend}'s result to
 * `loadModel` or `resolveBackend`.
 *
 * @packageDocumentation
 */
import * as ort from 'onnxruntime-web/wasm';
import type { Backend } from '@flexiffusion/runtime';
import type { CommonBackendOptions } from './backend.js';
import { ortBackend } from './internal/ort-backend.js';

/**
 * Options of {@link wasmBackend}.
 *
 * @public
 */
export type WasmBackendOptions = CommonBackendOptions;

/**
 * The WebAssembly backend (onnxruntime-web's `wasm` execution provider, on the CPU). Tensors live
 * in JS / wasm memory; the engine's cache tensors are plain CPU tensors.
 *
 * @param options - `wasmPaths`, `numThreads`, `logLevel`.
 * @returns The backend (not started).
 * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` for bad options (at once, not from `init()`).
 * @example
 * ```ts
 * import { resolveBackend } from '@flexiffusion/runtime-web';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 * const backend = await resolveBackend([wasmBackend({ wasmPaths: '/ort/', numThreads: 1 })]);
 * ```
 * @public
 */
export function wasmBackend(options: WasmBackendOptions = {}): Backend {
  return ortBackend({
    ...options,
    name: 'wasm',
    ort,
    deviceResident: false,
    async preflight() {
      if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available here');
      const threads = options.numThreads ?? ort.env.wasm.numThreads;
      return `wasm${threads ? ` (${threads} thread${threads === 1 ? '' : 's'})` : ''}`;
    },
  });
}
