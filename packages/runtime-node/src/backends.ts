import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RuntimeError, checkBackend, type ActiveBackend, type Backend, type SessionFactory } from '@flexiffusion/runtime';
import * as ort from 'onnxruntime-node';

/**
 * Execution providers `@flexiffusion/runtime-node` can use.
 *
 * @public
 */
export type ExecutionProvider = 'cpu' | 'cuda';

/** The valid {@link ExecutionProvider} values. @public */
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = Object.freeze(['cpu', 'cuda']);

/**
 * What `loadModel`'s `device` may name: an execution provider, or `auto` (CUDA where its provider
 * loads and runs, else CPU; the model's `backend.description` says which was chosen).
 *
 * @public
 */
export type NodeDevice = ExecutionProvider | 'auto';

/** The valid {@link NodeDevice} values. @public */
export const NODE_DEVICES: readonly NodeDevice[] = Object.freeze(['cpu', 'cuda', 'auto']);

/**
 * Options of {@link createSessionFactory}, {@link cpuBackend} and {@link cudaBackend}.
 *
 * @public
 */
export interface NodeSessionOptions {
  /** `cpu` (default) or `cuda` ({@link createSessionFactory} only; the backends fix it). */
  readonly executionProvider?: ExecutionProvider;
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  readonly threads?: number;
}

/** How to install onnxruntime-node's CUDA provider. @public */
export const CUDA_INSTALL_HINT =
  'onnxruntime-node installs its CUDA 12 provider only on request. Reinstall it with ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (or `npm config set onnxruntime-node-install cuda12` ' +
  "then `npm rebuild onnxruntime-node`; this repository's .npmrc sets onnxruntime-node-install=skip, so change that line). " +
  'It needs CUDA 12 and cuDNN 9 on the machine.';

/** Folder of onnxruntime-node's native binaries for this platform. @internal */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed.
 *
 * @returns `true` when the CUDA provider binary is present.
 * @public
 */
export function isCudaInstalled(): boolean {
  const dir = ortBinaryDir();
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(dir, lib));
}

/**
 * An onnxruntime-node {@link SessionFactory} for `@flexiffusion/runtime`.
 *
 * @param options - Execution provider and threads.
 * @returns The factory.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `unsupported` for an unknown provider, or for `cuda` when its
 *   provider is not installed (the message says how to install it); `invalid-option` for bad threads.
 * @example
 * ```ts
 * const sessions = createSessionFactory({ executionProvider: 'cpu', threads: 2 });
 * ```
 * @public
 */
export function createSessionFactory(options: NodeSessionOptions = {}): SessionFactory {
  const ep = options.executionProvider ?? 'cpu';
  if (!EXECUTION_PROVIDERS.includes(ep)) {
    throw new RuntimeError(
      'unsupported',
      `Unsupported executionProvider: ${JSON.stringify(ep)}. Should be one of: ${EXECUTION_PROVIDERS.map((e) => `"${e}"`).join(', ')}.`,
    );
  }
  if (options.threads !== undefined && (!Number.isSafeInteger(options.threads) || options.threads < 1)) {
    throw new RuntimeError('invalid-option', `Invalid threads ${String(options.threads)}: expected an integer >= 1.`);
  }
  if (ep === 'cuda' && !isCudaInstalled()) {
    throw new RuntimeError(
      'unsupported',
      `The CUDA execution provider is not installed (no CUDA provider library in ${ortBinaryDir()}). ${CUDA_INSTALL_HINT}`,
    );
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    // A schedule alternates between the full and the partial sessions, each with its own thread
    // pool. Spinning idle workers of one session steal the cores of the next one (measured: full
    // steps 60 ms alone, ~95 ms when interleaved with partial steps on 2 cores), so idle workers
    // sleep instead.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  return {
    async create(model, info) {
      try {
        return await ort.InferenceSession.create(model, sessionOptions);
      } catch (cause) {
        const msg = cause instanceof Error ? cause.message : String(cause);
        const cuda = ep === 'cuda' && /cuda|cudnn|libcu|provider/i.test(msg);
        throw new RuntimeError(
          'session-failed',
          `onnxruntime-node could not open ${info?.label ?? 'a model'} on ${ep}: ${msg}${cuda ? ` ${CUDA_INSTALL_HINT}` : ''}`,
          { cause },
        );
      }
    },
  };
}

function describe(ep: ExecutionProvider, threads: number | undefined): string {
  const count = threads === undefined ? "onnxruntime's thread count" : `${threads} thread${threads === 1 ? '' : 's'}`;
  return `${ep} (onnxruntime-node, ${count})`;
}

function nodeBackend(ep: ExecutionProvider, options: Omit<NodeSessionOptions, 'executionProvider'>): Backend {
  // Bad options fail at once, not from init().
  if (options.threads !== undefined && (!Number.isSafeInteger(options.threads) || options.threads < 1)) {
    throw new RuntimeError('invalid-option', `Invalid threads ${String(options.threads)}: expected an integer >= 1.`);
  }
  let started: Promise<ActiveBackend> | undefined;
  const start = async (): Promise<ActiveBackend> => {
    const sessions = createSessionFactory({ ...options, executionProvider: ep });
    await checkBackend(sessions);
    return Object.freeze({ name: ep, description: describe(ep, options.threads), sessions, deviceResident: false });
  };
  return Object.freeze({
    name: ep,
    init(): Promise<ActiveBackend> {
      if (!started) {
        started = start();
        started.catch(() => {
          started = undefined;
        });
      }
      return started;
    },
  });
}

/**
 * The CPU backend: onnxruntime-node's `cpu` execution provider (bundled with the package). Its
 * `init()` proves it runs a tiny graph.
 *
 * @param options - `threads` (intra-op threads per session; default onnxruntime's choice).
 * @returns The backend (not started), for `loadModel({ backend })` or `resolveBackend`.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` for bad threads.
 * @example
 * ```ts
 * const model = await loadModel('fashion', { backend: cpuBackend({ threads: 2 }) });
 * ```
 * @public
 */
export function cpuBackend(options: Omit<NodeSessionOptions, 'executionProvider'> = {}): Backend {
  return nodeBackend('cpu', options);
}

/**
 * The CUDA backend: onnxruntime-node's `cuda` execution provider. Its `init()` fails with a
 * `RuntimeError` that says how to install the provider where it is missing
 * ({@link CUDA_INSTALL_HINT}), and otherwise proves it runs a tiny graph on the GPU. onnxruntime-node
 * has no CUDA IO binding, so every output comes back to host memory (`deviceResident: false`).
 *
 * @param options - `threads` (intra-op threads for the CPU parts of each session).
 * @returns The backend (not started).
 * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` for bad threads.
 * @example
 * ```ts
 * // CUDA where it works, else CPU, and say why:
 * const model = await loadModel('fashion', {
 *   backend: [cudaBackend(), cpuBackend()],
 *   onFallback: ({ name, error }) => console.warn(`${name} unavailable: ${String(error)}`),
 * });
 * console.log(model.backend.description);
 * ```
 * @public
 */
export function cudaBackend(options: Omit<NodeSessionOptions, 'executionProvider'> = {}): Backend {
  return nodeBackend('cuda', options);
}

/**
 * The backends a {@link NodeDevice} stands for, in the order to try them: `cpu` → [cpu],
 * `cuda` → [cuda], `auto` → [cuda, cpu].
 *
 * @param device - `cpu`, `cuda` or `auto`.
 * @param options - `threads`.
 * @returns The backends (not started).
 * @throws {@link @flexiffusion/runtime!RuntimeError} `unsupported` naming a bad device and the valid ones; `invalid-option`.
 * @public
 */
export function nodeBackends(device: NodeDevice, options: Omit<NodeSessionOptions, 'executionProvider'> = {}): readonly Backend[] {
  switch (device) {
    case 'cpu':
      return [cpuBackend(options)];
    case 'cuda':
      return [cudaBackend(options)];
    case 'auto':
      return [cudaBackend(options), cpuBackend(options)];
    default:
      throw new RuntimeError(
        'unsupported',
        `Unsupported device: ${JSON.stringify(device)}. Should be one of: ${NODE_DEVICES.map((d) => `"${d}"`).join(', ')}.`,
      );
  }
}
