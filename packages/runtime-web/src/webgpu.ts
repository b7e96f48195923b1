/**
 * `@flexiffusion/runtime-web/webgpu` — the WebGPU backend: onnxruntime-web's WebGPU build
 * (`onnxruntime-web/webgpu`) with the cache tensors kept in GPU memory between steps. Importing
 * this subpath registers nothing: pass {@link webgpuBackend}'s result to `loadModel` or
 * `resolveBackend`.
 *
 * @packageDocumentation
 */
import { RuntimeError } from '@flexiffusion/runtime';
import * as ort from 'onnxruntime-web/webgpu';
import type { Backend } from '@flexiffusion/runtime';
import type { CommonBackendOptions } from './backend.js';
import { ortBackend } from './internal/ort-backend.js';

/**
 * Options of {@link webgpuBackend}.
 *
 * @public
 */
export interface WebGpuBackendOptions extends CommonBackendOptions {
  /**
   * Keep the cache tensors of full steps in GPU memory and feed them to the partial steps from
   * there (`preferredOutputLocation: 'gpu-buffer'` for those outputs), rather than reading them
   * back to JS and uploading them again (default true). The noise prediction still comes back
   * every step: the sampler and guidance run in JS.
   */
  readonly keepCachesOnGpu?: boolean;
  /** Adapter preference (`env.webgpu.powerPreference`; default: the browser's). */
  readonly powerPreference?: 'low-power' | 'high-performance';
}

interface GpuAdapterLike {
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/**
 * The WebGPU backend (onnxruntime-web's `webgpu` execution provider). Its `init()` fails with a
 * clear message where `navigator.gpu` is missing (no WebGPU, or not a secure context) or no
 * adapter is available, so `resolveBackend` can fall back to wasm.
 *
 * @param options - `keepCachesOnGpu` (default true), `powerPreference`, `wasmPaths`,
 *   `numThreads`, `logLevel`.
 * @returns The backend (not started).
 * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` for bad options (at once, not from `init()`).
 * @example
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-web';
 * import { webgpuBackend } from '@flexiffusion/runtime-web/webgpu';
 * import { wasmBackend } from '@flexiffusion/runtime-web/wasm';
 *
 * const model = await loadModel('/models/fashion/', {
 *   backend: [webgpuBackend({ wasmPaths: '/ort/' }), wasmBackend({ wasmPaths: '/ort/' })],
 * });
 * ```
 * @public
 */
export function webgpuBackend(options: WebGpuBackendOptions = {}): Backend {
  const pp = options.powerPreference;
  if (pp !== undefined && pp !== 'low-power' && pp !== 'high-performance') {
    throw new RuntimeError(
      'invalid-option',
      `Invalid powerPreference ${JSON.stringify(pp)}. Should be one of: "low-power", "high-performance".`,
    );
  }
  return ortBackend({
    ...options,
    name: 'webgpu',
    ort,
    deviceResident: options.keepCachesOnGpu ?? true,
    async preflight() {
      const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
      if (!gpu) {
        throw new Error(
          'navigator.gpu is undefined: this browser has no WebGPU, it is disabled, ' +
            'or the page is not a secure context (https: or http://localhost)',
        );
      }
      const adapter = await gpu.requestAdapter(pp ? { powerPreference: pp } : {});
      if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null: no WebGPU adapter is available');
      if (pp) ort.env.webgpu.powerPreference = pp;
      const info = adapter.info ?? {};
      const what = [info.vendor, info.architecture || info.description].filter((s) => s).join(' ');
      return `webgpu${what ? ` (${what})` : ''}`;
    },
  });
}
