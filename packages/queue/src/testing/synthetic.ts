import type { FeatureExtractor, GeneratedImages, GenerateRequest } from '@flexiffusion/metrics';
import { formatSchedule, type Schedule } from '@flexiffusion/schedule';
import type { EvaluateJobFn, EvaluationRequest } from '../worker.js';

/**
 * Options of {@link syntheticModel}.
 *
 * @public
 */
export interface SyntheticModelOptions {
  /** Feature dimension (default 8). */
  readonly dim?: number;
  /** Image shape [C, H, W] (default [1, 4, 4]). */
  readonly imageShape?: readonly [number, number, number];
  /** Milliseconds each evaluation waits (asynchronously) before returning: a constant, or per request. */
  readonly delayMs?: number | ((request: EvaluationRequest) => number);
}

/**
 * A stand-in for a diffusion model and its feature network, for tests and benchmarks of the
 * queue: images and features are cheap deterministic functions of (schedule, seed, label,
 * prompt), so a schedule's rFID against the teacher is nonzero and varies between schedules.
 *
 * @public
 */
export interface SyntheticModel {
  /** A `GenerateFn` of `@flexiffusion/metrics` (for a local `createRfidEvaluator`). */
  generate(schedule: Schedule, request: GenerateRequest): Promise<GeneratedImages>;
  /** A `FeatureExtractor` (a fixed random projection with a nonlinearity). */
  readonly extractor: FeatureExtractor;
  /** The same model as a worker's evaluation function. */
  readonly evaluate: EvaluateJobFn;
}

function hash32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A float in [-1, 1) from integers (a 32-bit mix). */
function noise(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 2 ** 31 - 1;
}

/**
 * Create a {@link SyntheticModel}.
 *
 * @param options - Feature dimension, image shape, delay.
 * @returns The model.
 * @example
 * ```ts
 * const model = syntheticModel({ dim: 8, delayMs: 20 });
 * await createQueueWorker({ connection: redis.url, model: 'synthetic', evaluate: model.evaluate });
 * ```
 * @public
 */
export function syntheticModel(options: SyntheticModelOptions = {}): SyntheticModel {
  const dim = options.dim ?? 8;
  const [c, h, w] = options.imageShape ?? [1, 4, 4];
  const size = c * h * w;
  const weights = Float32Array.from({ length: dim * size }, (_, i) => noise(7, i, 11) / Math.sqrt(size));
  const generate = async (schedule: Schedule, req: GenerateRequest): Promise<GeneratedImages> => {
    const key = hash32(formatSchedule(schedule));
    // how far from the teacher: the fewer full steps, the larger the perturbation
    const steps = schedule.segments.flat();
    const full = steps.filter((s) => s.kind === 'full').length;
    const spread = 1 - full / Math.max(1, steps.length);
    const n = req.seeds.length;
    const data = new Float32Array(n * size);
    for (let s = 0; s < n; s++) {
      const seed = req.seeds[s]!;
      const cond = (req.labels?.[s] ?? 0) + hash32(req.prompts?.[s] ?? '');
      for (let k = 0; k < size; k++) {
        data[s * size + k] = Math.tanh(noise(seed, k, cond) + spread * (0.2 + 0.3 * noise(key, seed, k)));
      }
    }
    return { data, dims: [n, c, h, w] };
  };
  const extractor: FeatureExtractor = {
    id: `synthetic-${dim}`,
    dim,
    async extract(images, dims) {
      const n = dims[0];
      const out = new Float32Array(n * dim);
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < dim; j++) {
          let acc = 0;
          for (let k = 0; k < size; k++) acc += weights[j * size + k]! * images[s * size + k]!;
          out[s * dim + j] = Math.tanh(acc);
        }
      }
      return out;
    },
  };
  const evaluate: EvaluateJobFn = async (request) => {
    const delay = typeof options.delayMs === 'function' ? options.delayMs(request) : (options.delayMs ?? 0);
    const t0 = performance.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const { job } = request;
    const images = await generate(request.schedule, {
      seeds: job.seeds,
      ...(job.labels ? { labels: job.labels } : {}),
      ...(job.prompts ? { prompts: job.prompts } : {}),
    });
    const t1 = performance.now();
    const features = await extractor.extract(images.data, images.dims);
    return { features, images, generateMs: t1 - t0, extractMs: performance.now() - t1 };
  };
  return Object.freeze({ generate, extractor, evaluate });
}
