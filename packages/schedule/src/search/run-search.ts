import { scheduleCost, validateCostProfile, type CostProfile, type ScheduleCost } from '../cost.js';
import { ScheduleError } from '../errors.js';
import { formatSchedule } from '../notation.js';
import { createRng } from '../rng.js';
import type { Schedule } from '../schedule.js';
import type { SearchSpace } from '../space.js';
import type { EvaluationResult, Evaluator, SearchContext, SearchHeader, Searcher, Trial, TrialStore } from './contracts.js';
import { MemoryTrialStore } from './memory-store.js';
import { bestTrial, paretoFront } from './pareto.js';

/**
 * Progress of {@link runSearch}, reported after every finished trial.
 *
 * @public
 */
export interface SearchProgress {
  /** Evaluated trials (complete + failed) so far, including replayed ones. */
  readonly evaluated: number;
  /** The trial budget. */
  readonly budget: number;
  /** Trials replayed from the store rather than evaluated in this run. */
  readonly replayed: number;
  /** The best trial so far. */
  readonly best: Trial | undefined;
  /** The trial that just finished. */
  readonly trial: Trial;
}

/**
 * Options of {@link runSearch}.
 *
 * @public
 */
export interface RunSearchOptions {
  /** The space searched. */
  readonly space: SearchSpace;
  /** The strategy. */
  readonly searcher: Searcher;
  /** Judges candidates. */
  readonly evaluator: Evaluator;
  /** The model's cost profile (for speed-ups). */
  readonly costProfile: CostProfile;
  /** Budget: number of evaluated (complete or failed) trials. */
  readonly trials: number;
  /** Minimum speed-up; candidates below it are pruned without evaluation (default 1). */
  readonly minSpeedup?: number;
  /** Candidates asked for and evaluated per round (default 8). */
  readonly batchSize?: number;
  /** Seed of the driver's RNG (default 0). */
  readonly seed?: number;
  /** Where trials are kept; a store holding an earlier run of the same search resumes it. Default: in memory. */
  readonly store?: TrialStore;
  /** User data that identifies the search (model, evaluator settings); must match on resume. */
  readonly meta?: unknown;
  /** Rounds in a row that yield no new candidate before the search ends (default 50). */
  readonly maxIdleRounds?: number;
  /** Stops the search; finished trials are kept in the store. */
  readonly signal?: AbortSignal;
  /** Called after each finished trial. */
  readonly onProgress?: (progress: SearchProgress) => void;
}

/**
 * Why {@link runSearch} ended.
 *
 * @public
 */
export type StopReason = 'budget' | 'exhausted' | 'idle';

/**
 * Result of {@link runSearch}.
 *
 * @public
 */
export interface SearchResult {
  /** Every trial, in order. */
  readonly trials: readonly Trial[];
  /** The best complete trial meeting the speed-up constraint. */
  readonly best: Trial | undefined;
  /** The Pareto front (speed-up vs objective). */
  readonly pareto: readonly Trial[];
  /** Why the search ended. */
  readonly stopReason: StopReason;
  /** Trials taken from the store instead of being evaluated again. */
  readonly replayed: number;
}

function checkPositiveInt(name: string, v: number, min = 1): void {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected an integer >= ${min}.`);
  }
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : val,
  );
}

function freezeTrial(t: Trial): Trial {
  return Object.freeze({ ...t, cost: Object.freeze({ ...t.cost }), ...(t.metrics ? { metrics: Object.freeze({ ...t.metrics }) } : {}) });
}

/**
 * Run a search: the driver owns the ask/evaluate/tell loop. Candidates below the minimum
 * speed-up, outside the space or already evaluated are recorded as `pruned` and never evaluated.
 * Every finished trial is appended to the store at once; running again with a store that holds
 * an earlier run of the same search (same searcher, seed, space, constraint, batch size, meta)
 * replays the stored trials through the searcher — nothing finished is evaluated again — and
 * continues.
 *
 * @param options - See {@link RunSearchOptions}.
 * @returns The trials, the best trial, the Pareto front and why it stopped.
 * @throws {@link ScheduleError} `invalid-option` for bad options, `resume-mismatch` when the store
 *   holds a different search, `aborted` when `signal` fires (finished trials are kept).
 * @example
 * ```ts
 * const space = createSearchSpace({ steps: 20, segmentLengths: [4, 5], branches: 3 });
 * const result = await runSearch({
 *   space, searcher: randomSearcher(), evaluator, costProfile: { fullMacs: 100, partialMacs: [25, 50, 75] },
 *   trials: 40, minSpeedup: 2, seed: 1,
 * });
 * console.log(result.best?.schedule, result.best?.objective);
 * ```
 * @public
 */
export async function runSearch(options: RunSearchOptions): Promise<SearchResult> {
  const { space, searcher, evaluator, signal, onProgress } = options;
  const profile = validateCostProfile(options.costProfile);
  const minSpeedup = options.minSpeedup ?? 1;
  const batchSize = options.batchSize ?? 8;
  const seed = options.seed ?? 0;
  const maxIdle = options.maxIdleRounds ?? 50;
  checkPositiveInt('trials', options.trials, 0);
  checkPositiveInt('batchSize', batchSize);
  checkPositiveInt('maxIdleRounds', maxIdle);
  checkPositiveInt('seed', seed, Number.MIN_SAFE_INTEGER);
  if (typeof minSpeedup !== 'number' || !Number.isFinite(minSpeedup) || minSpeedup <= 0) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid minSpeedup ${String(minSpeedup)}: expected a finite number > 0 (1 = no constraint).`,
    );
  }
  if (profile.partialMacs.length < space.branches) {
    throw new ScheduleError(
      'invalid-cost-profile',
      `The cost profile has ${profile.partialMacs.length} partial costs but the space uses ${space.branches} branches.`,
    );
  }
  const store = options.store ?? new MemoryTrialStore();
  const header: SearchHeader = Object.freeze({
    version: 1,
    searcher: searcher.name,
    seed,
    minSpeedup,
    batchSize,
    space: space.describe(),
    ...(options.meta === undefined ? {} : { meta: options.meta }),
  });
  const stored = await store.load();
  const replay = new Map<number, Trial>();
  if (stored) {
    const a = stableJson(stored.header);
    const b = stableJson(header);
    if (a !== b) {
      throw new ScheduleError(
        'resume-mismatch',
        `The trial store holds a different search: stored ${a}, requested ${b}. Use a new store (output folder) or the same settings.`,
      );
    }
    for (const t of stored.trials) replay.set(t.number, t);
  } else {
    await store.init(header);
  }

  const costCache = new Map<string, ScheduleCost>();
  const costOf = (s: Schedule): ScheduleCost => {
    const key = formatSchedule(s);
    let c = costCache.get(key);
    if (!c) {
      c = scheduleCost(s, profile);
      costCache.set(key, c);
    }
    return c;
  };
  const history: Trial[] = [];
  const seen = new Map<string, number>();
  const rng = createRng(seed);
  let evaluated = 0;
  let replayed = 0;
  let idle = 0;
  let stopReason: StopReason = 'budget';
  let appendChain: Promise<void> = Promise.resolve();
  const append = (t: Trial): void => {
    appendChain = appendChain.then(() => store.append(t));
  };
  const report = (t: Trial): void => {
    if (t.state !== 'pruned') evaluated++;
    onProgress?.({ evaluated, budget: options.trials, replayed, best: bestTrial(history, minSpeedup), trial: t });
  };
  const context = (): SearchContext => Object.freeze({ space, history: Object.freeze([...history]), rng, minSpeedup, cost: costOf });

  while (evaluated < options.trials) {
    if (signal?.aborted)
      throw new ScheduleError('aborted', 'The search was aborted; finished trials are kept in the store.', { cause: signal.reason });
    const want = Math.min(batchSize, options.trials - evaluated);
    const candidates = searcher.ask(context(), want).slice(0, want);
    if (candidates.length === 0) {
      stopReason = 'exhausted';
      break;
    }
    const round: Trial[] = [];
    const pending: { index: number; number: number; schedule: Schedule; key: string; cost: ScheduleCost }[] = [];
    for (const cand of candidates) {
      const number = history.length + round.length + pending.length;
      let key: string;
      let cost: ScheduleCost | undefined;
      let pruneReason: string | undefined;
      if (!space.contains(cand)) {
        key = safeFormat(cand);
        pruneReason = 'not a member of the search space';
      } else {
        key = formatSchedule(cand);
        cost = costOf(cand);
        const dup = seen.get(key);
        if (cost.speedup < minSpeedup) pruneReason = `speed-up ${cost.speedup.toFixed(3)} is below the minimum ${minSpeedup}`;
        else if (dup !== undefined) pruneReason = `duplicate of trial ${dup}`;
      }
      const old = replay.get(number);
      if (old && old.schedule !== key) {
        throw new ScheduleError(
          'resume-mismatch',
          `Replaying the stored search diverged at trial ${number}: ` +
            `stored ${JSON.stringify(old.schedule)}, proposed ${JSON.stringify(key)}. ` +
            'The searcher is not deterministic or its settings changed.',
        );
      }
      if (pruneReason !== undefined) {
        const t =
          old ??
          freezeTrial({
            number,
            schedule: key,
            state: 'pruned',
            cost: cost ?? { macs: NaN, speedup: NaN },
            reason: pruneReason,
            durationMs: 0,
          });
        if (!old) append(t);
        round.push(t);
        continue;
      }
      seen.set(key, number);
      if (old) {
        replayed++;
        round.push(old);
      } else {
        pending.push({ index: round.length + pending.length, number, schedule: cand, key, cost: cost! });
      }
    }
    const finished = new Map<number, Trial>();
    if (pending.length > 0) {
      const start = performance.now();
      const finish = (i: number, r: EvaluationResult): void => {
        const p = pending[i];
        if (!p || finished.has(p.number)) return;
        const durationMs = performance.now() - start;
        const t = freezeTrial(
          r.ok
            ? {
                number: p.number,
                schedule: p.key,
                state: 'complete',
                objective: r.objective,
                ...(r.metrics ? { metrics: r.metrics } : {}),
                cost: { macs: p.cost.macs, speedup: p.cost.speedup },
                durationMs,
              }
            : {
                number: p.number,
                schedule: p.key,
                state: 'failed',
                reason: r.reason,
                cost: { macs: p.cost.macs, speedup: p.cost.speedup },
                durationMs,
              },
        );
        finished.set(p.number, t);
        append(t);
      };
      try {
        const results = await evaluator.evaluate(
          pending.map((p) => p.schedule),
          { ...(signal ? { signal } : {}), onResult: finish },
        );
        if (!Array.isArray(results) || results.length !== pending.length) {
          throw new ScheduleError(
            'invalid-option',
            `The evaluator returned ${Array.isArray(results) ? results.length : typeof results} results for ${pending.length} schedules.`,
          );
        }
        results.forEach((r, i) => finish(i, r));
      } catch (e) {
        await appendChain;
        if (signal?.aborted) {
          throw new ScheduleError('aborted', 'The search was aborted; finished trials are kept in the store.', { cause: e });
        }
        const reason = e instanceof Error ? e.message : String(e);
        pending.forEach((_, i) => finish(i, { ok: false, reason: `evaluator failed: ${reason}` }));
      }
    }
    await appendChain;
    const all = [...round, ...finished.values()].sort((a, b) => a.number - b.number);
    let newEvaluated = 0;
    for (const t of all) {
      history.push(t);
      if (t.state !== 'pruned') newEvaluated++;
      report(t);
    }
    searcher.tell?.(Object.freeze(all), context());
    if (newEvaluated === 0) {
      idle++;
      if (idle >= maxIdle) {
        stopReason = 'idle';
        break;
      }
    } else idle = 0;
  }
  const trials = Object.freeze([...history]);
  return Object.freeze({
    trials,
    best: bestTrial(trials, minSpeedup),
    pareto: paretoFront(trials),
    stopReason,
    replayed,
  });
}

function safeFormat(s: Schedule): string {
  try {
    return formatSchedule(s);
  } catch {
    return '<invalid schedule>';
  }
}
