import type { ActiveBackend, Backend, SessionFactory } from './backend.js';
import { RuntimeError, type RuntimeIssue } from './errors.js';
import { throwIfAborted, type AbortSignalLike } from './internal/platform.js';
import { floatTensor, readFloat32, releaseDeviceTensors } from './internal/tensor.js';

/**
 * Options of {@link resolveBackend}.
 *
 * @public
 */
export interface ResolveBackendOptions {
  /** Stops trying further backends; the promise then rejects with `RuntimeError` `aborted`. */
  readonly signal?: AbortSignalLike;
  /** Called after each failed backend, before the next one is tried (to say why a fallback happened). */
  readonly onFallback?: (failed: { readonly name: string; readonly error: unknown }) => void;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Start the first backend that works, trying them in the order given (e.g. CUDA then CPU, or WebGPU
 * then wasm). When none works, throw one error that lists each backend's failure, in onnxruntime's
 * `backend-impl` style: `[cuda] …, [cpu] …`.
 *
 * @param backends - Candidate backends, in order of preference.
 * @param options - `signal`, `onFallback`.
 * @returns The first backend whose `init()` succeeded.
 * @throws {@link RuntimeError} `unsupported` when every backend failed: `issues` holds one entry per
 *   backend (`path` = its name) and `cause` an `AggregateError` of the underlying errors;
 *   `invalid-option` for an empty list; `aborted`.
 * @example
 * ```ts
 * import { resolveBackend } from '@flexiffusion/runtime';
 * import { cpuBackend, cudaBackend } from '@flexiffusion/runtime-node';
 *
 * const backend = await resolveBackend([cudaBackend(), cpuBackend()], {
 *   onFallback: ({ name, error }) => console.warn(`${name} unavailable: ${String(error)}`),
 * });
 * console.log(backend.description); // "cuda (onnxruntime-node, …)" or "cpu (onnxruntime-node, …)"
 * ```
 * @public
 */
export async function resolveBackend(backends: readonly Backend[], options: ResolveBackendOptions = {}): Promise<ActiveBackend> {
  if (!Array.isArray(backends) || backends.length === 0) {
    throw new RuntimeError(
      'invalid-option',
      'No backends to try: pass e.g. [cpuBackend()] from "@flexiffusion/runtime-node" or ' +
        '[webgpuBackend(), wasmBackend()] from "@flexiffusion/runtime-web/webgpu" and "/wasm".',
    );
  }
  const issues: RuntimeIssue[] = [];
  const errors: unknown[] = [];
  for (const backend of backends) {
    throwIfAborted(options.signal, 'Choosing an execution backend');
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

/** A 1×4 float `y = x + x` graph (89 bytes, opset 13), run once to prove a backend works. */
const SMOKE_MODEL_BASE64 =
  'CAcSDGZsZXhpZmZ1c2lvbjpBCg4KAXgKAXgSAXkiA0FkZBIFc21va2VaEwoBeBIOCgwIARIICgIIAQoCCARiEwoBeRIOCgwIARIICgIIAQoCCARCBAoAEA0=';

function smokeModel(): Uint8Array {
  const bin = atob(SMOKE_MODEL_BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Prove that a session factory runs a graph: open a session on a tiny built-in graph
 * (`y = x + x`), run it and check the result; with `deviceResident`, also check that an output
 * marked device-only comes back in device memory and can be read and released. Backends call it
 * from their `init()`.
 *
 * @param sessions - The factory to check.
 * @param options - `deviceResident`: whether device-only outputs must stay on the device.
 * @returns Resolves when the graph computed `[2, 4, 6, 8]` from `[1, 2, 3, 4]`.
 * @throws `Error` saying what went wrong (the factory's own error when a session cannot open).
 * @public
 */
export async function checkBackend(sessions: SessionFactory, options: { readonly deviceResident?: boolean } = {}): Promise<void> {
  const device = options.deviceResident ?? false;
  const smoke = await sessions.create(smokeModel(), device ? { label: 'backend check', deviceOutputs: ['y'] } : { label: 'backend check' });
  try {
    const out = await smoke.run({ x: floatTensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    const y = out['y'];
    if (!y) throw new Error('the test graph returned no output "y"');
    const where = y.location;
    const got = Array.from(await readFloat32(y));
    releaseDeviceTensors([y]);
    if (got.join(',') !== '2,4,6,8') throw new Error(`the test graph computed [${got.join(', ')}] instead of [2, 4, 6, 8]`);
    if (device && where !== 'gpu-buffer') throw new Error(`a device output came back in "${where}" memory, not "gpu-buffer"`);
  } finally {
    await smoke.release();
  }
}
