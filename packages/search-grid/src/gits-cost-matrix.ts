import { ScheduleError } from '@flexiffusion/schedule';
import type { GitsCostMatrix } from './gits.js';

/**
 * The model's noise prediction ε for a batch at one teacher step: `x` holds the batch's samples
 * one after the other (`b × size` values, float64: convert to what the model takes); return ε in
 * the same layout. Wrap guidance, conditioning and other parameterisations (v, x0) into it.
 *
 * @public
 */
export type GitsEpsFn = (x: Float64Array, timestep: number, step: number) => ArrayLike<number> | PromiseLike<ArrayLike<number>>;

/**
 * The per-sample distance of {@link gitsCostMatrix} between the teacher's point and a jump's:
 * `'l2-squared'` ‖·‖² (default), `'l2'` ‖·‖ and `'l1'` ‖·‖₁ (GITS's code offers the last two).
 *
 * @public
 */
export type GitsMetric = 'l2-squared' | 'l2' | 'l1';

/** The valid {@link GitsMetric} values. @public */
export const GITS_METRICS: readonly GitsMetric[] = Object.freeze(['l2-squared', 'l2', 'l1']);

/**
 * Options of {@link gitsCostMatrix}.
 *
 * @public
 */
export interface GitsCostMatrixOptions {
  /** ε of the model for a batch at a teacher step ({@link GitsEpsFn}); called T times per batch. */
  readonly epsAt: GitsEpsFn;
  /** The model's ᾱ table, indexed by training timestep (`alphas_cumprod`). */
  readonly alphasCumprod: ArrayLike<number>;
  /** The teacher's T timesteps, strictly decreasing: those of the all-full schedule's plan. */
  readonly timesteps: readonly number[];
  /** ᾱ at the end of sampling, after the last step (default 1: diffusers' `set_alpha_to_one`). */
  readonly finalAlphaCumprod?: number;
  /** The samples' initial noise (x at `timesteps[0]`): `count × size` values, sample after sample. */
  readonly samples: ArrayLike<number>;
  /** Number of samples in `samples` (≥ 1); the error is their mean. */
  readonly count: number;
  /**
   * Samples per `epsAt` call (default: all of them). Memory: 2 · T · batch · size doubles (the
   * x0 and ε predictions of every step of the batch).
   */
  readonly batchSize?: number;
  /** The per-sample distance ({@link GitsMetric}, default `'l2-squared'`). */
  readonly metric?: GitsMetric;
  /** Aborts between model calls; the promise then rejects with a `ScheduleError` `aborted`. */
  readonly signal?: AbortSignal;
  /** Progress in [0, 1], after each model call. */
  readonly onProgress?: (fraction: number) => void;
}

function fail(message: string): never {
  throw new ScheduleError('invalid-option', message);
}

/**
 * The cost matrix of a GITS-style timestep selection ({@link gitsPath}, {@link gitsSchedule}),
 * measured on the teacher's DDIM trajectory (eta 0, ε-parameterisation, as the runtime's `ddim`
 * sampler): point i is the sample before teacher step i, x_{i+1} = √ᾱ_{i+1}·x̂0_i + √(1 − ᾱ_{i+1})·ε_i
 * with x̂0_i = (x_i − √(1 − ᾱ_i)·ε_i) / √ᾱ_i, ᾱ_i = `alphasCumprod[timesteps[i]]` and ᾱ_T =
 * `finalAlphaCumprod`. The jump from point i straight to point j is the same DDIM update with
 * target ᾱ_j, using the ε_i the teacher computed there — what a schedule that skips the steps in
 * between does with null mode `'skip'` — so the matrix costs only the teacher's T model calls per
 * batch. `costs[i][j]` = mean over the samples of ‖x_j − jump_{i→j}(x_i)‖² (squared L2 norm over
 * the sample's values; `metric` chooses ‖·‖ or ‖·‖₁ instead); `costs[i][i+1]` = 0 exactly.
 *
 * GITS's own code measures on a finer teacher grid than the student's and offers L1, L2 and a
 * trajectory-deviation metric, and an optional weight on later jumps in the DP; here the grid is
 * the teacher's own T steps and every jump weighs 1.
 *
 * Platform-free: the model is a callback, so it works with any runtime. The result does not
 * depend on `batchSize` (each entry is summed sample by sample, in order).
 *
 * @param options - The model callback, ᾱ, the teacher's timesteps, the samples' noise and the batching.
 * @returns A frozen (T + 1) × (T + 1) matrix, zero on and below the diagonal.
 * @throws ScheduleError `invalid-option` for a bad option (naming it and the valid range), or when
 *   `epsAt` returns the wrong number of values or a non-finite one; `aborted` when `signal` fires.
 * @example
 * ```ts
 * const plan = planSchedule(fullSchedule(50), { trainTimesteps: 1000 });
 * const costs = await gitsCostMatrix({
 *   epsAt: async (x, t) => model.eps(Float32Array.from(x), t), // your model, batched
 *   alphasCumprod: model.alphasCumprod,
 *   timesteps: plan.steps.map((s) => s.timestep),
 *   samples: noise, // 64 × 784 values
 *   count: 64,
 * });
 * const schedule = gitsSchedule(costs, 10);
 * ```
 * @public
 */
export async function gitsCostMatrix(options: GitsCostMatrixOptions): Promise<GitsCostMatrix> {
  const { epsAt, alphasCumprod: table, timesteps, samples, count, signal, onProgress } = options;
  if (typeof epsAt !== 'function') fail(`Invalid epsAt ${String(epsAt)}: expected a function (x, timestep, step) => eps.`);
  if (!Array.isArray(timesteps) || timesteps.length === 0) {
    fail(`Invalid timesteps ${String(timesteps)}: expected a non-empty array of the teacher's T timesteps, strictly decreasing.`);
  }
  const T = timesteps.length;
  const trainSteps = table?.length ?? 0;
  if (trainSteps === 0) fail('Invalid alphasCumprod: expected the non-empty ᾱ table of the model, indexed by timestep.');
  const alpha = new Float64Array(T + 1);
  timesteps.forEach((t, i) => {
    if (!Number.isSafeInteger(t) || t < 0 || t >= trainSteps || (i > 0 && t >= timesteps[i - 1]!)) {
      fail(`Invalid timesteps[${i}] ${String(t)}: expected integers in 0..${trainSteps - 1} (the ᾱ table), strictly decreasing.`);
    }
    const a = table[t]!;
    if (typeof a !== 'number' || !(a > 0 && a <= 1)) {
      fail(`Invalid alphasCumprod[${t}] ${String(a)}: expected a number in (0, 1] (ε-parameterised DDIM needs ᾱ > 0).`);
    }
    alpha[i] = a;
  });
  const final = options.finalAlphaCumprod ?? 1;
  if (typeof final !== 'number' || !(final > 0 && final <= 1)) {
    fail(`Invalid finalAlphaCumprod ${String(final)}: expected a number in (0, 1] (1 = set_alpha_to_one).`);
  }
  alpha[T] = final;
  if (!Number.isSafeInteger(count) || count < 1) fail(`Invalid count ${String(count)}: expected an integer >= 1 (samples).`);
  const total = samples?.length ?? 0;
  if (total === 0 || total % count !== 0) {
    fail(`Invalid samples of ${total} values for count ${count}: expected count × size values (size >= 1).`);
  }
  const size = total / count;
  const batchSize = options.batchSize ?? count;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) fail(`Invalid batchSize ${String(batchSize)}: expected an integer >= 1.`);
  const metric = options.metric ?? 'l2-squared';
  if (!GITS_METRICS.includes(metric)) fail(`Unknown metric ${JSON.stringify(metric)}: expected one of "l2-squared", "l2", "l1".`);
  const l1 = metric === 'l1';

  const W = T + 1;
  const sums = new Float64Array(W * W);
  const sa = Array.from(alpha, (a) => Math.sqrt(a));
  const s1a = Array.from(alpha, (a) => Math.sqrt(1 - a));
  const batches = Math.ceil(count / batchSize);
  let calls = 0;
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const n = b * size;
    let x = new Float64Array(n);
    for (let v = 0; v < n; v++) x[v] = samples[start * size + v]!;
    const x0s: Float64Array[] = [];
    const epss: Float64Array[] = [];
    for (let i = 0; i < T; i++) {
      if (signal?.aborted) {
        throw new ScheduleError('aborted', 'The GITS cost matrix was aborted.', { cause: signal.reason });
      }
      const out = await epsAt(x.slice(), timesteps[i]!, i);
      if (!out || out.length !== n) {
        fail(
          `epsAt returned ${out ? out.length : String(out)} values at step ${i} (timestep ${timesteps[i]}): expected ${n} (${b} × ${size}).`,
        );
      }
      const eps = new Float64Array(n);
      const x0 = new Float64Array(n);
      for (let v = 0; v < n; v++) {
        const e = out[v]!;
        if (!Number.isFinite(e))
          fail(`epsAt returned ${String(e)} at step ${i} (timestep ${timesteps[i]}), value ${v}: expected finite numbers.`);
        eps[v] = e;
        x0[v] = (x[v]! - s1a[i]! * e) / sa[i]!;
      }
      x0s.push(x0);
      epss.push(eps);
      // the next teacher point, then every jump that lands on it
      const j = i + 1;
      const next = new Float64Array(n);
      for (let v = 0; v < n; v++) next[v] = sa[j]! * x0[v]! + s1a[j]! * eps[v]!;
      for (let s = 0; s < b; s++) {
        const lo = s * size;
        for (let from = 0; from <= i; from++) {
          const fx0 = x0s[from]!;
          const fe = epss[from]!;
          let err = 0;
          for (let v = lo; v < lo + size; v++) {
            const d = next[v]! - (sa[j]! * fx0[v]! + s1a[j]! * fe[v]!);
            err += l1 ? Math.abs(d) : d * d;
          }
          sums[from * W + j]! += metric === 'l2' ? Math.sqrt(err) : err;
        }
      }
      x = next;
      onProgress?.(++calls / (T * batches));
    }
  }
  const rows: (readonly number[])[] = [];
  for (let i = 0; i < W; i++) {
    const row = new Array<number>(W).fill(0);
    for (let j = i + 1; j < W; j++) row[j] = sums[i * W + j]! / count;
    rows.push(Object.freeze(row));
  }
  return Object.freeze(rows);
}
