import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SamplerName } from '@flexiffusion/runtime';
import { formatSchedule, type NullMode, type Schedule } from '@flexiffusion/schedule';
import { sliceConditioning, type SampleConditioning } from './conditions.js';
import type { CliModel, Device } from './model.js';

/** What one generation request asks for. */
export interface PoolRequest {
  readonly schedule: Schedule;
  readonly seeds: readonly number[];
  /** Labels or prompts, one per seed. */
  readonly conditioning?: SampleConditioning | undefined;
  readonly signal?: AbortSignal | undefined;
  /** This request's sampler, when it differs from the pool's (the teacher's, for instance). */
  readonly sampler?: PoolSettings['sampler'] | undefined;
}

/** Settings shared by every generation of a command. */
export interface PoolSettings {
  /** The model's name or folder (worker threads open it again). */
  readonly model: string;
  readonly device: Device;
  readonly guidanceScale?: number | undefined;
  readonly sampler: SamplerName;
  readonly nullMode: NullMode;
  /** Samples per network batch. Batches are the unit of work, so results do not depend on concurrency. */
  readonly batchSize: number;
  readonly height?: number | undefined;
  readonly width?: number | undefined;
  /** Runtime warnings (a prompt truncated to the text encoder's length), from every thread. */
  readonly onWarning?: ((w: { code: string; message: string }) => void) | undefined;
}

/** Generates samples for a schedule, in-process or across worker threads. */
export interface GeneratorPool {
  readonly concurrency: number;
  generate(req: PoolRequest): Promise<{ samples: Float32Array; shape: readonly [number, number, number, number] }>;
  dispose(): Promise<void>;
}

interface Job {
  readonly id: number;
  readonly schedule: string;
  readonly seeds: number[];
  readonly conditioning: SampleConditioning;
  readonly sampler: PoolSettings['sampler'] | undefined;
  resolve(v: { samples: Float32Array; shape: [number, number, number, number] }): void;
  reject(e: unknown): void;
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function joinBatches(parts: { samples: Float32Array; shape: readonly [number, number, number, number] }[]): {
  samples: Float32Array;
  shape: readonly [number, number, number, number];
} {
  const [, c, h, w] = parts[0]!.shape;
  const n = parts.reduce((a, p) => a + p.shape[0], 0);
  const samples = new Float32Array(n * c * h * w);
  let o = 0;
  for (const p of parts) {
    samples.set(p.samples, o);
    o += p.samples.length;
  }
  return { samples, shape: [n, c, h, w] };
}

/**
 * A pool of `concurrency` generators. With concurrency 1 the given in-process model is used;
 * otherwise each worker thread opens its own session (threads = cores / concurrency). Requests
 * are split into fixed batches of `batchSize` seeds, so every sample is computed in the same
 * batch whatever the concurrency: results are identical.
 */
export async function createGeneratorPool(settings: PoolSettings, concurrency: number, local: CliModel): Promise<GeneratorPool> {
  const genOptions = (signal?: AbortSignal, sampler?: PoolSettings['sampler']) => ({
    sampler: sampler ?? settings.sampler,
    nullMode: settings.nullMode,
    batchSize: settings.batchSize,
    ...(settings.guidanceScale !== undefined ? { guidanceScale: settings.guidanceScale } : {}),
    ...(settings.height !== undefined ? { height: settings.height } : {}),
    ...(settings.width !== undefined ? { width: settings.width } : {}),
    ...(signal ? { signal } : {}),
  });
  const onWarning = settings.onWarning;
  if (concurrency <= 1) {
    return {
      concurrency: 1,
      async generate(req) {
        const parts = [];
        const seedChunks = chunks(req.seeds, settings.batchSize);
        let offset = 0;
        for (const seeds of seedChunks) {
          const conditioning = sliceConditioning(req.conditioning ?? {}, offset, seeds.length);
          offset += seeds.length;
          parts.push(
            await local.generate({
              schedule: req.schedule,
              seeds,
              ...conditioning,
              ...genOptions(req.signal, req.sampler),
              ...(onWarning ? { onWarning } : {}),
            }),
          );
        }
        return joinBatches(parts);
      },
      dispose: async () => {},
    };
  }
  const threads = Math.max(1, Math.floor(availableParallelism() / concurrency));
  const workerUrl = new URL('./generator-worker.js', import.meta.url);
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: Job[] = [];
  const running = new Map<Worker, Job>();
  let nextId = 0;
  let failure: unknown;
  const pump = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      running.set(w, job);
      w.postMessage({
        type: 'generate',
        id: job.id,
        schedule: job.schedule,
        seeds: job.seeds,
        conditioning: job.conditioning,
        options: genOptions(undefined, job.sampler),
      });
    }
  };
  await Promise.all(
    Array.from(
      { length: concurrency },
      () =>
        new Promise<void>((resolveReady, rejectReady) => {
          // Workers use the backend the main thread resolved (`--device auto` is decided once).
          const device = settings.device === 'auto' ? local.backend.name : settings.device;
          const w = new Worker(workerUrl, { workerData: { model: settings.model, device, threads, warnings: onWarning !== undefined } });
          workers.push(w);
          w.on(
            'message',
            (m: {
              type: string;
              id?: number;
              samples?: Float32Array;
              shape?: [number, number, number, number];
              error?: string;
              warning?: { code: string; message: string };
            }) => {
              if (m.type === 'warning') {
                if (m.warning) onWarning?.(m.warning);
                return;
              }
              if (m.type === 'ready') {
                idle.push(w);
                resolveReady();
                return;
              }
              const job = running.get(w);
              running.delete(w);
              idle.push(w);
              if (job) {
                if (m.type === 'result') job.resolve({ samples: m.samples!, shape: m.shape! });
                else job.reject(new Error(m.error ?? 'worker failed'));
              }
              pump();
            },
          );
          w.on('error', (e) => {
            failure = e;
            rejectReady(e);
            const job = running.get(w);
            if (job) job.reject(e);
          });
        }),
    ),
  );
  return {
    concurrency,
    async generate(req) {
      if (failure) throw failure;
      const key = formatSchedule(req.schedule);
      const seedChunks = chunks(req.seeds, settings.batchSize);
      let offset = 0;
      const promises = seedChunks.map((seeds) => {
        const conditioning = sliceConditioning(req.conditioning ?? {}, offset, seeds.length);
        offset += seeds.length;
        return new Promise<{ samples: Float32Array; shape: [number, number, number, number] }>((resolve, reject) => {
          // the listener goes when the job settles: a search runs thousands of jobs on one signal
          const onAbort = () => {
            const i = queue.indexOf(job);
            if (i >= 0) queue.splice(i, 1);
            reject(req.signal!.reason ?? new Error('aborted'));
          };
          const settle =
            <A extends unknown[]>(f: (...a: A) => void) =>
            (...a: A) => {
              req.signal?.removeEventListener('abort', onAbort);
              f(...a);
            };
          const job: Job = {
            id: nextId++,
            schedule: key,
            seeds,
            conditioning,
            sampler: req.sampler,
            resolve: settle(resolve),
            reject: settle(reject),
          };
          queue.push(job);
          req.signal?.addEventListener('abort', onAbort, { once: true });
        });
      });
      pump();
      return joinBatches(await Promise.all(promises));
    },
    async dispose() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
