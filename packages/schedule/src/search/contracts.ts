import type { ScheduleCost } from '../cost.js';
import type { Rng } from '../rng.js';
import type { Schedule } from '../schedule.js';
import type { SearchSpace } from '../space.js';

/**
 * State of a finished trial.
 *
 * - `complete`: evaluated; `objective` is set.
 * - `failed`: the evaluator failed on it; `reason` says why.
 * - `pruned`: never evaluated: below the speed-up constraint, outside the space, or already
 *   evaluated in an earlier trial; `reason` says which. Pruned trials do not use up the budget.
 *
 * @public
 */
export type TrialState = 'complete' | 'failed' | 'pruned';

/**
 * One proposed schedule and its outcome. Plain JSON-serialisable frozen data.
 *
 * @public
 */
export interface Trial {
  /** Sequential number, from 0, in the order the searcher proposed the schedules. */
  readonly number: number;
  /** The schedule in canonical notation ({@link formatSchedule}). */
  readonly schedule: string;
  /** Outcome. */
  readonly state: TrialState;
  /** The value minimised (rFID by default); set when `state` is `complete`. */
  readonly objective?: number;
  /** Further metrics reported by the evaluator (e.g. `kid`, `psnr`, `latencyMs`). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** MACs per sample and speed-up from the cost profile. */
  readonly cost: {
    /** MACs per sample of the schedule. */
    readonly macs: number;
    /** Teacher (all-full) MACs divided by `macs`. */
    readonly speedup: number;
  };
  /** Why a trial failed or was pruned. */
  readonly reason?: string;
  /**
   * Milliseconds from the start of its evaluation batch (the `batchSize` candidates `runSearch`
   * hands the evaluator at once) to its result; 0 when pruned. An evaluator that works through a
   * batch one candidate after another makes the later trials' times include the earlier ones', so
   * a search's evaluation wall time is the sum over its batches of their largest `durationMs`, not
   * the sum over trials.
   */
  readonly durationMs: number;
}

/**
 * What a searcher sees when asked for candidates. Everything in it is immutable.
 *
 * @public
 */
export interface SearchContext {
  /** The search space. */
  readonly space: SearchSpace;
  /** Every finished trial so far, in order. */
  readonly history: readonly Trial[];
  /** A seeded generator owned by the driver; the only randomness a searcher may use. */
  readonly rng: Rng;
  /** The minimum speed-up a candidate must reach to be evaluated (1 = no constraint). */
  readonly minSpeedup: number;
  /** The cost of a schedule under the model's cost profile. */
  cost(schedule: Schedule): ScheduleCost;
}

/**
 * A search strategy in the ask/tell style: the driver ({@link runSearch}) owns the loop, asks
 * for candidates, evaluates them, and tells the results. A searcher never calls the evaluator.
 *
 * A searcher must be deterministic given the same sequence of contexts (history and RNG): the
 * driver resumes an interrupted search by replaying it against the stored trials.
 *
 * @example
 * ```ts
 * const firstOnes: Searcher = {
 *   name: 'first-ones',
 *   ask(ctx, count) {
 *     const out = [];
 *     for (const s of ctx.space.enumerate()) {
 *       if (out.length === count) break;
 *       if (ctx.cost(s).speedup >= ctx.minSpeedup) out.push(s);
 *     }
 *     return out;
 *   },
 * };
 * ```
 * @public
 */
export interface Searcher {
  /** A short name, recorded in the trial store header. */
  readonly name: string;
  /**
   * Propose up to `count` candidates. Return an empty array when the searcher has nothing more
   * to propose (the search then ends).
   */
  ask(ctx: SearchContext, count: number): readonly Schedule[];
  /** Learn from newly finished trials (in order). Optional. */
  tell?(trials: readonly Trial[], ctx: SearchContext): void;
  /** A JSON-serialisable snapshot of the searcher's internal state. Optional. */
  snapshot?(): unknown;
  /** Restore a state produced by `snapshot`. Optional. */
  restore?(state: unknown): void;
}

/**
 * Result of evaluating one schedule.
 *
 * @public
 */
export type EvaluationResult =
  | {
      /** The schedule was evaluated. */
      readonly ok: true;
      /** The value minimised (e.g. rFID). */
      readonly objective: number;
      /** Further metrics (e.g. `kid`, `psnr`, `latencyMs`). */
      readonly metrics?: Readonly<Record<string, number>>;
    }
  | {
      /** The schedule could not be evaluated (the trial is recorded as `failed`). */
      readonly ok: false;
      /** Why, in words. */
      readonly reason: string;
    };

/**
 * Options of {@link Evaluator.evaluate}.
 *
 * @public
 */
export interface EvaluateOptions {
  /** Aborts the evaluation; the promise then rejects. */
  readonly signal?: AbortSignal;
  /** Called as soon as one schedule's result is known (index into the input array). */
  readonly onResult?: (index: number, result: EvaluationResult) => void;
  /** Progress of the whole call, in [0, 1]. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Judges schedules: quality (the objective, lower is better) and further metrics.
 *
 * @public
 */
export interface Evaluator {
  /**
   * Evaluate schedules; the result array has one entry per input, in order.
   * A failure of one schedule is reported as `{ ok: false }`; a rejection fails the whole batch.
   */
  evaluate(schedules: readonly Schedule[], options?: EvaluateOptions): Promise<readonly EvaluationResult[]>;
}

/**
 * What identifies a search, stored once at its start and checked on resume.
 *
 * @public
 */
export interface SearchHeader {
  /** Format version of the store. */
  readonly version: 1;
  /** Searcher name. */
  readonly searcher: string;
  /** RNG seed of the driver. */
  readonly seed: number;
  /** Minimum speed-up. */
  readonly minSpeedup: number;
  /** Candidates asked for per round. */
  readonly batchSize: number;
  /** Description of the space ({@link SearchSpace.describe}). */
  readonly space: unknown;
  /** Free-form user data (model, evaluator settings...) that must match on resume. */
  readonly meta?: unknown;
}

/**
 * Where a search keeps its trials so that it can stop and resume with nothing lost.
 * `@flexiffusion/schedule` ships {@link MemoryTrialStore}; runtime packages ship file stores.
 *
 * @public
 */
export interface TrialStore {
  /** The stored header and trials, or `null` when the store is empty. */
  load(): Promise<{
    /** The header written by {@link TrialStore.init}. */
    readonly header: SearchHeader;
    /** The finished trials, in the order they were appended. */
    readonly trials: readonly Trial[];
  } | null>;
  /** Start a new search (the store must be empty). */
  init(header: SearchHeader): Promise<void>;
  /** Persist one finished trial. Must be durable when the promise resolves. */
  append(trial: Trial): Promise<void>;
}
