/**
 * The messages between `createWorkerModel`'s page side and `serveModelWorker`'s worker
 * side: plain structured-clone data, one request id per operation. Sample and latent buffers and
 * ImageBitmaps travel in the transfer list (moved, not copied).
 */
import {
  RuntimeError,
  type GenerateOptions,
  type Model,
  type ModelManifest,
  type ProgressEvent,
  type RuntimeErrorCode,
  type RuntimeIssue,
  type RuntimeWarning,
  type SamplerName,
  type ToImageOptions,
} from '@flexiffusion/runtime';
import type { DownloadProgress } from '../fetch-source.js';

/** Marks every message of this protocol (a page or worker may carry other messages too). @internal */
export const PROTOCOL = 'flexiffusion/worker-model@1';

/**
 * Options of the backends a worker makes (`createWorkerModel`'s `backendOptions`): plain data,
 * handed to each factory of the worker's `serveModelWorker({ backends })`.
 *
 * @public
 */
export interface WorkerBackendOptions {
  /** Where onnxruntime-web's files are served (`env.wasm.wasmPaths`); the page resolves relative URLs against itself first. */
  readonly wasmPaths?:
    | string
    | {
        /** URL of the `.wasm` binary. */
        readonly wasm?: string;
        /** URL of the `.mjs` loader. */
        readonly mjs?: string;
      };
  /** WebAssembly threads (`env.wasm.numThreads`; more than one only where the worker is cross-origin isolated). */
  readonly numThreads?: number;
  /** onnxruntime's log level (default `error`). */
  readonly logLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  /** WebGPU: keep the cache tensors in GPU memory between steps (default true). */
  readonly keepCachesOnGpu?: boolean;
  /** WebGPU: adapter preference. */
  readonly powerPreference?: 'low-power' | 'high-performance';
}

/** The generate options that cross to the worker. @internal */
export interface WireGenerateOptions {
  readonly schedule: GenerateOptions['schedule'];
  readonly labels?: readonly number[];
  readonly prompts?: readonly string[];
  readonly negativePrompt?: string;
  readonly negativePrompts?: readonly string[];
  readonly count?: number;
  readonly seeds?: readonly number[];
  readonly initialNoise?: Float32Array;
  readonly guidanceScale?: number;
  readonly sampler?: SamplerName;
  readonly eta?: number;
  readonly batchSize?: number;
  readonly nullMode?: GenerateOptions['nullMode'];
  readonly height?: number;
  readonly width?: number;
}

/** Page → worker. @internal */
export type Request =
  | {
      readonly protocol: typeof PROTOCOL;
      readonly type: 'load';
      readonly id: number;
      readonly url: string;
      readonly backends: readonly string[];
      readonly backendOptions: WorkerBackendOptions;
      readonly verifyChecksums?: boolean;
      readonly eagerPartials?: boolean;
      readonly requestInit?: {
        readonly headers?: Record<string, string>;
        readonly credentials?: RequestCredentials;
        readonly cache?: RequestCache;
      };
    }
  | {
      readonly protocol: typeof PROTOCOL;
      readonly type: 'generate';
      readonly id: number;
      readonly options: WireGenerateOptions;
      /** Integer upscaling of the ImageBitmaps, or 0 for none. */
      readonly imageScale: number;
    }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'abort'; readonly id: number }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'dispose'; readonly id: number };

/**
 * The backend a `WorkerModel` runs on, as the worker reports it.
 *
 * @public
 */
export interface WorkerBackendInfo {
  /** `webgpu`, `wasm`, or a custom backend's name. */
  readonly name: string;
  /** E.g. `webgpu (google swiftshader)` or `wasm (1 thread)`. */
  readonly description: string;
  /** Whether cache tensors stay in device memory between steps. */
  readonly deviceResident: boolean;
}

/** What the page learns about the model once it is loaded. @internal */
export interface LoadedInfo {
  readonly manifest: ModelManifest;
  readonly location: string;
  readonly contentHash: string | null;
  readonly backend: WorkerBackendInfo;
  readonly costProfile: Model['costProfile'];
  readonly branches: number;
  readonly samplers: readonly SamplerName[];
  readonly imageOptions: ToImageOptions;
}

/** An error as it crosses the boundary. @internal */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  /** The error's own issues, structured-cloned (a `RuntimeError`'s `{ path, message }`, a `ScheduleError`'s `{ code, message, position }`). */
  readonly issues?: readonly unknown[];
}

/** One finished batch. @internal */
export interface WireBatch {
  readonly offset: number;
  readonly count: number;
  readonly samples: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly latents?: Float32Array;
  readonly latentShape?: readonly [number, number, number, number];
  readonly images: readonly ImageBitmap[] | null;
}

/** Worker → page. @internal */
export type Reply =
  | { readonly protocol: typeof PROTOCOL; readonly type: 'ready' }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'download'; readonly id: number; readonly progress: DownloadProgress }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'progress'; readonly id: number; readonly event: ProgressEvent }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'fallback'; readonly id: number; readonly name: string; readonly message: string }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'warning'; readonly id: number; readonly warning: RuntimeWarning }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'loaded'; readonly id: number; readonly info: LoadedInfo }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'batch'; readonly id: number; readonly batch: WireBatch }
  | {
      readonly protocol: typeof PROTOCOL;
      readonly type: 'done';
      readonly id: number;
      readonly durationMs: number;
      /** Bytes of sample, latent and image data that stayed behind in the worker after the transfers (0: all moved). */
      readonly retainedBytes: number;
    }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'error'; readonly id: number; readonly error: WireError }
  | { readonly protocol: typeof PROTOCOL; readonly type: 'disposed'; readonly id: number };

/** Whether a message belongs to this protocol. @internal */
export function isProtocolMessage(data: unknown): data is { readonly protocol: typeof PROTOCOL; readonly type: string } {
  return typeof data === 'object' && data !== null && (data as { protocol?: unknown }).protocol === PROTOCOL;
}

const CODES: ReadonlySet<string> = new Set<RuntimeErrorCode>([
  'invalid-manifest',
  'missing-file',
  'checksum-mismatch',
  'invalid-model',
  'io-mismatch',
  'shape-mismatch',
  'unknown-tensor',
  'invalid-cut',
  'invalid-option',
  'unsupported',
  'session-failed',
  'aborted',
  'disposed',
  'corrupt-file',
]);

/** An error as plain data (its class name, code, message and issues). @internal */
export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, issues } = e as { code?: unknown; issues?: unknown };
  let cloned: unknown[] | undefined;
  try {
    cloned = Array.isArray(issues) ? structuredClone(issues) : undefined;
  } catch {
    cloned = undefined;
  }
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), ...(cloned ? { issues: cloned } : {}) };
}

function runtimeIssues(issues: readonly unknown[]): RuntimeIssue[] {
  return issues.map((i) => {
    const { path, message, position } = (i ?? {}) as {
      path?: unknown;
      message?: unknown;
      position?: { segment?: number; step?: number; offset?: number };
    };
    const where = position
      ? `segment ${position.segment ?? 0}${position.step !== undefined ? `, step ${position.step}` : ''}${position.offset !== undefined ? ` (offset ${position.offset})` : ''}`
      : '';
    return { path: typeof path === 'string' ? path : where, message: typeof message === 'string' ? message : String(i) };
  });
}

/**
 * The page-side error for a worker's error: a `RuntimeError` with the same code and issues when it
 * was one. Any other error (a `ScheduleError` for an invalid schedule, an onnxruntime failure)
 * becomes a `RuntimeError` (`invalid-option` for a schedule's, else `session-failed`) whose
 * `cause` is an `Error` with the original's `name`, `message`, `code` and `issues` (a schedule
 * issue keeps its `position`).
 *
 * @internal
 */
export function fromWireError(w: WireError): RuntimeError {
  const issues = w.issues ?? [];
  if (w.name === 'RuntimeError' && w.code !== undefined && CODES.has(w.code)) {
    return new RuntimeError(w.code as RuntimeErrorCode, w.message, { issues: runtimeIssues(issues) });
  }
  const cause = Object.assign(new Error(w.message), { name: w.name, issues, ...(w.code !== undefined ? { code: w.code } : {}) });
  const schedule = w.name === 'ScheduleError';
  return new RuntimeError(schedule ? 'invalid-option' : 'session-failed', schedule ? w.message : `The model worker failed: ${w.message}`, {
    cause,
    issues: runtimeIssues(issues),
  });
}
