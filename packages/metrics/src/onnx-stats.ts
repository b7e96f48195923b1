import { Tensor } from 'onnxruntime-common';
import { MetricsError } from './errors.js';
import type { FeatureStats } from './feature-stats.js';
import { combineMoments, covFromMoment } from './internal/chan.js';
import { checkSessionNames, runSession } from './internal/onnx.js';
import { GRAM_BLOCK, gramModel } from './internal/onnx-gram-model.js';
import { checkStats, makeStats } from './internal/stats-object.js';
import { checkDim, checkFeatures, checkFinite, checkInt, describe } from './internal/validate.js';
import type { OnnxSession } from './onnx-session.js';
import type { StatsAccumulator } from './stats.js';

/**
 * Options of {@link createOnnxStatsAccumulator}.
 *
 * @public
 */
export interface OnnxStatsOptions {
  /**
   * Creates an onnxruntime session from the model bytes the accumulator passes (a graph of
   * ReduceMean, Sub, Mul, Concat, Transpose, Slice, float64 MatMul and Add, opset 13), e.g. with
   * onnxruntime-node: `(model) => ort.InferenceSession.create(model, { intraOpNumThreads: 2 })`.
   * The runtime must run float64 MatMul; onnxruntime-node's CPU provider does. The model depends
   * on d only, so accumulators of one dimension may share a session (return the same one).
   */
  readonly createSession: (model: Uint8Array) => Promise<OnnxSession>;
  /**
   * Creates the float64 input tensor (default: `onnxruntime-common`'s `Tensor`); pass your
   * runtime's own constructor when it bundles a different copy of `onnxruntime-common`
   * (e.g. `(data, dims) => new ort.Tensor('float64', data, dims)`).
   */
  readonly createTensor?: (data: Float64Array, dims: readonly number[]) => Tensor;
  /** Samples per session run (default 1024, 16 … 65536); smaller batches are gathered first. */
  readonly chunkSize?: number;
}

/**
 * The asynchronous twin of {@link StatsAccumulator} from {@link createOnnxStatsAccumulator}:
 * same statistics, the covariance products run by an onnxruntime session. Calls may overlap:
 * they are applied in call order.
 *
 * @public
 */
export interface OnnxStatsAccumulator {
  /** Feature dimension d. */
  readonly dim: number;
  /** Number of samples of the `add` and `merge` calls made so far (finished or not). */
  readonly count: number;
  /**
   * Add a batch of feature vectors. The batch is read before the returned promise settles; do
   * not change it until then.
   *
   * @param batch - N×d values, row-major (N ≥ 0).
   * @returns This accumulator, once the batch is folded in.
   * @throws {@link MetricsError} (as a rejection) `invalid-argument` for a length not a multiple
   *   of d, `non-finite` for NaN or ±Infinity, `onnx-error` when the session fails.
   */
  add(batch: Float32Array | Float64Array): Promise<OnnxStatsAccumulator>;
  /**
   * Merge statistics computed elsewhere (a {@link StatsAccumulator}, another accumulator of this
   * kind, or {@link FeatureStats}); exact, like {@link StatsAccumulator.merge}. `other` is not
   * changed.
   *
   * @param other - Statistics of the same dimension.
   * @returns This accumulator.
   * @throws {@link MetricsError} (as a rejection) `dimension-mismatch` for a different d,
   *   `invalid-argument` for malformed statistics.
   */
  merge(other: StatsAccumulator | OnnxStatsAccumulator | FeatureStats): Promise<OnnxStatsAccumulator>;
  /**
   * The statistics of every sample added or merged so far (features are never kept).
   *
   * @returns Frozen {@link FeatureStats}.
   * @throws {@link MetricsError} (as a rejection) `too-few-samples` when no sample was added.
   */
  result(): Promise<FeatureStats>;
}

/**
 * A streaming mean/covariance accumulator whose covariance products run in an onnxruntime
 * session (native float64 matrix products, on as many threads as the session is given) instead
 * of this package's single-threaded WebAssembly kernel. Same results up to float64 rounding
 * (each chunk of samples is centred on its own mean and folded in with Chan et al.'s exact
 * update); memory O(d² + chunkSize·d) whatever N. Worth it for large N (tens of thousands of
 * 2048-d Inception features), where the N·d² products dominate; {@link createStatsAccumulator}
 * needs no session and is synchronous.
 *
 * @param dim - The feature dimension d.
 * @param options - The session factory (required), tensor factory and chunk size.
 * @returns An empty accumulator, once its session is created.
 * @throws {@link MetricsError} `invalid-argument` for a bad dimension, `invalid-option` for bad
 *   options, `onnx-error` when the session cannot be created or lacks the graph's names.
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-node';
 * let session: Promise<ort.InferenceSession> | undefined; // shared by the accumulators of this d
 * const createSession = (model: Uint8Array) => (session ??= ort.InferenceSession.create(model, { intraOpNumThreads: 2 }));
 * const acc = await createOnnxStatsAccumulator(2048, { createSession });
 * for await (const batch of featureBatches) await acc.add(batch);
 * const stats = await acc.result(); // same as featureStats(all features, 2048)
 * ```
 * @public
 */
export async function createOnnxStatsAccumulator(dim: number, options: OnnxStatsOptions): Promise<OnnxStatsAccumulator> {
  checkDim(dim);
  if (typeof options !== 'object' || options === null || typeof options.createSession !== 'function') {
    throw new MetricsError(
      'invalid-option',
      `Invalid options ${describe(options)}: expected { createSession: (model) => Promise<InferenceSession> }.`,
    );
  }
  if (options.createTensor !== undefined && typeof options.createTensor !== 'function') {
    throw new MetricsError('invalid-option', `Invalid createTensor ${describe(options.createTensor)}: expected a function.`);
  }
  const chunk = options.chunkSize === undefined ? 1024 : checkInt(options.chunkSize, 'chunkSize', 16, 65536);
  let session: OnnxSession;
  try {
    session = await options.createSession(gramModel(dim));
  } catch (e) {
    throw new MetricsError('onnx-error', `Could not create the ONNX session: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const blocks = Math.ceil(dim / GRAM_BLOCK);
  const inputs = ['x', 'prev', 'g', ...Array.from({ length: blocks }, (_, i) => `m${i}`)];
  const outputs = ['mean', ...Array.from({ length: blocks }, (_, i) => `y${i}`)];
  checkSessionNames(session, inputs, outputs);
  const tensor = options.createTensor ?? ((data: Float64Array, dims: readonly number[]) => new Tensor('float64', data, dims as number[]));
  return new OnnxAccumulator(dim, chunk, session, tensor, outputs);
}

class OnnxAccumulator implements OnnxStatsAccumulator {
  readonly dim: number;
  #queued = 0;
  #n = 0;
  readonly #mean: Float64Array;
  /**
   * The co-moment Σ (x − μ)(x − μ)ᵀ is a sum of contributions: the merged ones here (upper
   * triangle authoritative; allocated on first use), the streamed chunks' in `#blocks`.
   */
  #m2: Float64Array | null = null;
  /** The streamed chunks' co-moment, as the session's block outputs (fed back each run). */
  #blocks: Tensor[] | null = null;
  readonly #chunk: number;
  /** Gathered samples. */
  readonly #pending: Float64Array;
  #pendingRows = 0;
  readonly #session: OnnxSession;
  readonly #tensor: (data: Float64Array, dims: readonly number[]) => Tensor;
  readonly #outputs: string[];
  #tail: Promise<unknown> = Promise.resolve();
  /** The failure of a session run: the statistics are incomplete from then on. */
  #broken: MetricsError | null = null;

  constructor(
    dim: number,
    chunk: number,
    session: OnnxSession,
    tensor: (data: Float64Array, dims: readonly number[]) => Tensor,
    outputs: string[],
  ) {
    this.dim = dim;
    this.#chunk = chunk;
    this.#session = session;
    this.#tensor = tensor;
    this.#outputs = outputs;
    this.#mean = new Float64Array(dim);
    this.#pending = new Float64Array(chunk * dim);
  }

  get count(): number {
    return this.#queued;
  }

  /** Run `work` after every earlier call (failed or not); all reject once a session run failed. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> => {
      if (this.#broken !== null) {
        return Promise.reject(
          new MetricsError('onnx-error', `An earlier session run failed; this accumulator's statistics are incomplete.`, {
            cause: this.#broken,
          }),
        );
      }
      return work();
    };
    const run = this.#tail.then(guarded, guarded);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  add(batch: Float32Array | Float64Array): Promise<OnnxStatsAccumulator> {
    let nb: number;
    try {
      nb = checkFeatures(batch, this.dim, 'batch');
      if (nb > 0) checkFinite(batch, 'The feature batch');
    } catch (e) {
      return Promise.reject(e);
    }
    this.#queued += nb;
    return this.#enqueue(async () => {
      const d = this.dim;
      for (let r = 0; r < nb; ) {
        const take = Math.min(nb - r, this.#chunk - this.#pendingRows);
        this.#pending.set(batch.subarray(r * d, (r + take) * d), this.#pendingRows * d);
        this.#pendingRows += take;
        r += take;
        if (this.#pendingRows === this.#chunk) await this.#flush();
      }
      return this;
    });
  }

  merge(other: StatsAccumulator | OnnxStatsAccumulator | FeatureStats): Promise<OnnxStatsAccumulator> {
    const d = this.dim;
    if (typeof other === 'object' && other !== null && 'dim' in other && other.dim !== d) {
      return Promise.reject(
        new MetricsError('dimension-mismatch', `Cannot merge statistics of dim ${other.dim} into an accumulator of dim ${d}.`),
      );
    }
    const isAcc = other instanceof OnnxAccumulator || (typeof other === 'object' && other !== null && 'add' in other && 'result' in other);
    if (isAcc && other.count === 0) return Promise.resolve(this);
    let stats: FeatureStats | undefined;
    if (!isAcc) {
      try {
        stats = checkStats(other, 'merged statistics');
      } catch (e) {
        return Promise.reject(e);
      }
    }
    this.#queued += isAcc ? (other as OnnxStatsAccumulator).count : stats!.count;
    return this.#enqueue(async () => {
      const s = stats ?? (await (other as StatsAccumulator | OnnxStatsAccumulator).result());
      await this.#flush();
      const bm2 = new Float64Array(d * d);
      if (s.count > 1) {
        const cov = s.cov;
        const f = s.count - 1;
        for (let i = 0; i < bm2.length; i++) bm2[i] = cov[i]! * f;
      }
      if (this.#n === 0) {
        this.#mean.set(s.mean);
        this.#m2 = bm2;
      } else {
        this.#m2 ??= new Float64Array(d * d);
        combineMoments(this.#n, this.#mean, this.#m2, s.count, s.mean, bm2, d);
      }
      this.#n += s.count;
      return this;
    });
  }

  result(): Promise<FeatureStats> {
    return this.#enqueue(async () => {
      await this.#flush();
      const n = this.#n;
      if (n === 0) throw new MetricsError('too-few-samples', 'No samples were added: statistics need at least 1 sample.');
      return makeStats(n, this.dim, this.#mean.slice(), covFromMoment(this.#moment(), n, this.dim), undefined);
    });
  }

  /** The whole co-moment (upper triangle): the merged part plus the streamed blocks. */
  #moment(): Float64Array | null {
    const blocks = this.#blocks;
    if (blocks === null) return this.#m2;
    const d = this.dim;
    const m2 = (this.#m2 ??= new Float64Array(d * d));
    for (let b = 0; b < blocks.length; b++) {
      // block b: rows s ∈ [i0, d), columns c ∈ [i0, i1) of the (symmetric) product
      const i0 = b * GRAM_BLOCK;
      const w = Math.min(d, i0 + GRAM_BLOCK) - i0;
      const y = blocks[b]!.data as Float64Array;
      for (let s = i0; s < d; s++) {
        const yo = (s - i0) * w - i0;
        const cEnd = Math.min(s + 1, i0 + w);
        for (let c = i0; c < cEnd; c++) m2[c * d + s] = m2[c * d + s]! + y[yo + c]!;
      }
    }
    this.#blocks = null;
    return m2;
  }

  /**
   * Fold the gathered samples in with one session run: the graph centres them on their mean,
   * appends Chan's step and adds the product to the block outputs of the previous run.
   */
  async #flush(): Promise<void> {
    const cnt = this.#pendingRows;
    if (cnt === 0) return;
    const d = this.dim;
    const n = this.#n;
    this.#pendingRows = 0;
    try {
      const blocks = (this.#blocks ??= this.#outputs
        .slice(1)
        .map((_, b) =>
          this.#input(new Float64Array((d - b * GRAM_BLOCK) * (Math.min(d, (b + 1) * GRAM_BLOCK) - b * GRAM_BLOCK)), [
            d - b * GRAM_BLOCK,
            Math.min(d, (b + 1) * GRAM_BLOCK) - b * GRAM_BLOCK,
          ]),
        ));
      const feeds: Record<string, Tensor> = {
        x: this.#input(this.#pending.subarray(0, cnt * d), [cnt, d]),
        prev: this.#input(this.#mean.slice(), [1, d]),
        g: this.#input(new Float64Array([Math.sqrt((n * cnt) / (n + cnt))]), [1, 1]),
      };
      blocks.forEach((t, b) => {
        feeds[`m${b}`] = t;
      });
      const out = await runSession(this.#session, feeds, this.#outputs);
      const mean = out['mean']!.data;
      if (!(mean instanceof Float64Array) || mean.length !== d) {
        throw new MetricsError('onnx-error', `Output "mean" holds ${describe(mean)}: expected ${d} float64 values.`);
      }
      this.#blocks = this.#outputs.slice(1).map((name, b) => {
        const t = out[name]!;
        const rows = d - b * GRAM_BLOCK;
        const cols = Math.min(d, (b + 1) * GRAM_BLOCK) - b * GRAM_BLOCK;
        if (!(t.data instanceof Float64Array) || t.data.length !== rows * cols) {
          throw new MetricsError(
            'onnx-error',
            `Output ${JSON.stringify(name)} holds ${describe(t.data)}: expected ${rows * cols} float64 values (${rows}×${cols}).`,
          );
        }
        return t;
      });
      const f = cnt / (n + cnt);
      for (let i = 0; i < d; i++) this.#mean[i] = this.#mean[i]! + (mean[i]! - this.#mean[i]!) * f;
      this.#n = n + cnt;
    } catch (e) {
      this.#broken = e instanceof MetricsError ? e : new MetricsError('onnx-error', String(e), { cause: e });
      throw this.#broken;
    }
  }

  #input(data: Float64Array, dims: readonly number[]): Tensor {
    try {
      return this.#tensor(data, dims);
    } catch (e) {
      throw new MetricsError('onnx-error', `Could not create an input tensor: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
