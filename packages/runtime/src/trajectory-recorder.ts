import type { SamplerConfig, SamplerDefinition } from './samplers.js';

/**
 * What a {@link TrajectoryRecorder} kept of one batch of a sampling run: the initial x and, for
 * every update, the ε the sampler was given and its timestep.
 *
 * @public
 */
export interface RecordedBatch {
  /** x at the first update (the initial noise of the batch, all its samples; a copy). */
  readonly x: Float32Array;
  /**
   * The ε given at each update, in order (copies; for guided runs the guided ε). A consumer may set
   * an entry to `undefined` once it has read it, to let the memory go.
   */
  readonly eps: (Float32Array | undefined)[];
  /** The timestep of each update, in order. */
  readonly timesteps: readonly number[];
}

/**
 * A sampler that runs another one unchanged and records what it is given (see
 * {@link recordTrajectory}).
 *
 * @public
 */
export interface TrajectoryRecorder {
  /** Pass this to `Model.generate` / `runPlan` as the sampler. */
  readonly sampler: SamplerDefinition<unknown>;
  /** One entry per batch that ran at least one update, in the order the batches ran (one `init` each). */
  readonly batches: readonly RecordedBatch[];
  /** The ᾱ of the last `init` (the sampler's config), or undefined before any batch. */
  readonly alphasCumprod: Float64Array | undefined;
  /** The `finalAlphaCumprod` of the last `init` (1 when it had none). */
  readonly finalAlphaCumprod: number;
}

/**
 * Wrap `base` in a sampler that returns exactly what `base` returns and records every batch's
 * initial x, and each update's ε and timestep: the teacher trajectory that GITS's cost matrix
 * (`gitsCostMatrix` of `@flexiffusion/search-grid`) is made of, or any other study of a run. The
 * recorder keeps a copy of every ε (samples × steps × sample size floats), so record only as many
 * samples as the study needs. A recorder object does not cross to worker threads: generate
 * in-process.
 *
 * @param base - The sampler that does the work (e.g. `getSampler('ddim')`).
 * @param options - `onStep(done)`: called after each update with the number of updates so far,
 *   over all batches (for a progress bar).
 * @returns The recording sampler and what it has recorded so far.
 * @example
 * ```ts
 * import { getSampler, recordTrajectory } from '@flexiffusion/runtime';
 *
 * const rec = recordTrajectory(getSampler('ddim'));
 * await model.generate({ schedule: fullSchedule(50), seeds: [0, 1], labels: [3, 7], sampler: rec.sampler });
 * const [{ x, eps, timesteps }] = rec.batches; // x: the initial noise, eps[i]: ε at timesteps[i]
 * ```
 */
export function recordTrajectory(
  base: SamplerDefinition<unknown>,
  options: { readonly onStep?: (done: number) => void } = {},
): TrajectoryRecorder {
  const batches: { x?: Float32Array; eps: (Float32Array | undefined)[]; timesteps: number[] }[] = [];
  let alphasCumprod: Float64Array | undefined;
  let finalAlphaCumprod = 1;
  let done = 0;
  const sampler: SamplerDefinition<unknown> = {
    name: `${base.name}-recording`,
    summary: `${base.name}, recording the ε and timestep of every update`,
    stochastic: (config: SamplerConfig) => base.stochastic(config),
    // init runs once per batch
    init(config: SamplerConfig) {
      alphasCumprod = config.alphasCumprod;
      finalAlphaCumprod = config.finalAlphaCumprod ?? 1;
      batches.push({ eps: [], timesteps: [] });
      return base.init(config);
    },
    step(state, input) {
      const b = batches[batches.length - 1]!;
      b.x ??= input.sample.slice();
      b.eps.push(input.eps.slice());
      b.timesteps.push(input.timestep);
      const next = base.step(state, input);
      options.onStep?.(++done);
      return next;
    },
    ...(base.alphasCumprod ? { alphasCumprod: (ac: Float64Array) => base.alphasCumprod!(ac) } : {}),
  };
  return {
    sampler,
    get batches() {
      const out: RecordedBatch[] = [];
      for (const b of batches) if (b.x !== undefined) out.push({ x: b.x, eps: b.eps, timesteps: b.timesteps });
      return out;
    },
    get alphasCumprod() {
      return alphasCumprod;
    },
    get finalAlphaCumprod() {
      return finalAlphaCumprod;
    },
  };
}
