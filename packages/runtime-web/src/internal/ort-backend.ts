import { RuntimeError, checkBackend, type ActiveBackend, type Backend, type SessionFactory, type SessionInfo } from '@flexiffusion/runtime';
import type * as OrtWeb from 'onnxruntime-web';
import { LOG_LEVELS, type CommonBackendOptions } from '../backend.js';
import { yieldMacrotask } from './yield.js';

/** The part of an onnxruntime-web module (any of its builds) that a backend uses. @internal */
export type OrtModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor' | 'env'>;

/** What one backend subpath tells the shared code. @internal */
export interface OrtBackendConfig extends CommonBackendOptions {
  readonly name: 'webgpu' | 'wasm';
  readonly ort: OrtModule;
  /** Checks the platform first; returns the description, throws with a clear message when unusable. */
  readonly preflight: () => Promise<string>;
  /** Keep device-only outputs as GPU buffers. */
  readonly deviceResident: boolean;
}

/** Check the options shared by both backends. @internal */
export function checkCommonOptions(o: CommonBackendOptions): void {
  if (o.numThreads !== undefined && (!Number.isSafeInteger(o.numThreads) || o.numThreads < 1)) {
    throw new RuntimeError('invalid-option', `Invalid numThreads ${String(o.numThreads)}: expected an integer >= 1.`);
  }
  if (o.logLevel !== undefined && !LOG_LEVELS.includes(o.logLevel)) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid logLevel ${JSON.stringify(o.logLevel)}. Should be one of: ${LOG_LEVELS.map((l) => `"${l}"`).join(', ')}.`,
    );
  }
  const p = o.wasmPaths;
  if (p !== undefined && typeof p !== 'string' && (typeof p !== 'object' || p === null)) {
    throw new RuntimeError('invalid-option', `Invalid wasmPaths ${String(p)}: expected a URL prefix ending in "/" or { wasm, mjs } URLs.`);
  }
}

/** The tail of the queue of session operations per onnxruntime-web module. */
const queues = new WeakMap<OrtModule, Promise<unknown>>();

/**
 * Run session operations of one onnxruntime-web module one at a time. Its WebGPU provider refuses
 * to create a session while another is being created ("another WebGPU EP inference session is
 * being created") and fails GPU read-backs when two runs overlap; two models used at once in one
 * page would otherwise hit both.
 *
 * @internal
 */
export function exclusive<T>(ort: OrtModule, operation: () => Promise<T>): Promise<T> {
  const before = queues.get(ort) ?? Promise.resolve();
  const mine = before.then(operation, operation);
  queues.set(
    ort,
    mine.then(
      () => undefined,
      () => undefined,
    ),
  );
  return mine;
}

/**
 * A session whose `run` and `release` go through {@link exclusive}, each run after one turn of the
 * event loop ({@link yieldMacrotask}: wasm runs never yield by themselves); everything else is the
 * session's own.
 */
function serialized(ort: OrtModule, session: OrtWeb.InferenceSession): OrtWeb.InferenceSession {
  const run = ((...args: Parameters<OrtWeb.InferenceSession['run']>) =>
    exclusive(ort, async () => {
      await yieldMacrotask();
      return (session.run as (...a: unknown[]) => Promise<OrtWeb.InferenceSession.ReturnType>)(...args);
    })) as OrtWeb.InferenceSession['run'];
  const release = (): Promise<void> => exclusive(ort, () => session.release());
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'run') return run;
      if (prop === 'release') return release;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Create a session through {@link exclusive}, serialized as above. @internal */
export async function createSerially(
  ort: OrtModule,
  model: Uint8Array,
  options: OrtWeb.InferenceSession.SessionOptions,
): Promise<OrtWeb.InferenceSession> {
  return serialized(ort, await exclusive(ort, () => ort.InferenceSession.create(model, options)));
}

/**
 * A {@link Backend} on one onnxruntime-web build and execution provider. `init()` is
 * memoized; a failed start may be retried.
 *
 * @internal
 */
export function ortBackend(config: OrtBackendConfig): Backend {
  checkCommonOptions(config);
  let started: Promise<ActiveBackend> | undefined;
  const start = async (): Promise<ActiveBackend> => {
    const description = await config.preflight();
    const { ort } = config;
    const level = config.logLevel ?? 'error';
    ort.env.logLevel = level;
    if (config.wasmPaths !== undefined) ort.env.wasm.wasmPaths = config.wasmPaths as typeof ort.env.wasm.wasmPaths;
    if (config.numThreads !== undefined) ort.env.wasm.numThreads = config.numThreads;
    const base: OrtWeb.InferenceSession.SessionOptions = {
      executionProviders: [config.name],
      graphOptimizationLevel: 'all',
      logSeverityLevel: LOG_LEVELS.indexOf(level) as 0 | 1 | 2 | 3 | 4,
    };
    const optionsFor = (info: SessionInfo | undefined): OrtWeb.InferenceSession.SessionOptions => {
      const keep = config.deviceResident ? (info?.deviceOutputs ?? []) : [];
      if (keep.length === 0) return base;
      const preferredOutputLocation: Record<string, 'gpu-buffer'> = {};
      for (const name of keep) preferredOutputLocation[name] = 'gpu-buffer';
      return { ...base, preferredOutputLocation };
    };
    const sessions: SessionFactory = {
      async create(model, info) {
        try {
          return await createSerially(ort, model, optionsFor(info));
        } catch (cause) {
          throw new RuntimeError(
            'session-failed',
            `onnxruntime-web could not open ${info?.label ?? 'a model'} on ${config.name}: ` +
              `${cause instanceof Error ? cause.message : String(cause)}`,
            {
              cause,
            },
          );
        }
      },
    };
    // Prove that the backend runs a graph here (loads the wasm, acquires the device), and, when
    // outputs are to stay on the device, that a GPU output can be read back and released.
    await checkBackend(sessions, { deviceResident: config.deviceResident });
    return Object.freeze({ name: config.name, description, sessions, deviceResident: config.deviceResident });
  };
  return Object.freeze({
    name: config.name,
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
