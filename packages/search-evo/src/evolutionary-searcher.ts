import {
  ScheduleError,
  createGenerationalSearcher,
  createSchedule,
  formatSchedule,
  nullStep,
  partialStep,
  toSchedule,
  type GenerationalSnapshot,
  type Schedule,
  type SearchContext,
  type SearchSpace,
  type Searcher,
  type Step,
  type Trial,
} from '@flexiffusion/schedule';
import { baselineSeeds } from './seeds.js';

/**
 * What {@link evolutionarySearcher} does with a child below the minimum speed-up.
 *
 * - `'cheapen'`: repair it: repeatedly pick a segment at random and make it cheaper (turn its
 *   last active step after the head into a null step, or move its partial steps to a cheaper
 *   branch, at random among the moves that keep it in the space), until it meets the constraint.
 * - `'reject'`: drop it and draw another child.
 *
 * @public
 */
export type RepairMode = 'cheapen' | 'reject';

/** The valid {@link RepairMode} values. @public */
export const REPAIR_MODES: readonly RepairMode[] = Object.freeze(['cheapen', 'reject']);

/**
 * Options of {@link evolutionarySearcher}. Every field is optional; the defaults are
 * {@link EVOLUTION_DEFAULTS}.
 *
 * The mapping to AutoDiffusion (population 50 = top 10 kept + 25 mutants + 15 crossovers, p = 0.25):
 * here the kept parents are already in the history, so a generation is the new candidates only
 * (`mutants + crossovers`), and `populationSize` is the size of the initial random population.
 *
 * @public
 */
export interface EvolutionarySearcherOptions {
  /** Size of the initial population, drawn at random (and from the baselines with `seedBaselines`). Integer ≥ 1. */
  readonly populationSize?: number;
  /** Parents: the best `topK` complete trials meeting the constraint, by objective (ties: earlier trial first). Integer ≥ 1. */
  readonly topK?: number;
  /** Mutants per generation: a parent chosen uniformly from the top k, mutated. Integer ≥ 0. */
  readonly mutants?: number;
  /**
   * Crossovers per generation: two distinct parents from the top k, crossed (`space.crossover`).
   * Integer ≥ 0; `mutants + crossovers` ≥ 1.
   */
  readonly crossovers?: number;
  /**
   * A mutant is one `space.mutate` step (one segment's variant changes, or the schedule moves to
   * another segment length), after which every segment is redrawn (to a different variant) with
   * this probability, as AutoDiffusion does with 0.25. In [0, 1]; 0 = exactly one mutate step.
   */
  readonly mutationProbability?: number;
  /**
   * Put the classic baselines that are members of the space ({@link baselineSeeds}) and meet the constraint
   * into the initial population, up to half of it.
   */
  readonly seedBaselines?: boolean;
  /**
   * Schedules (objects or text) to put first into the initial population, in the order given, up
   * to `populationSize` — e.g. GITS-style timestep subsets (`gitsSchedule` of
   * `@flexiffusion/search-grid`) in an `'open'` space, so the search starts from them. Those below
   * the minimum speed-up, and repeats of the history, are left out; one that is not a member of the
   * space makes the first `ask` throw `not-in-space`. Default none.
   */
  readonly seeds?: readonly (Schedule | string)[];
  /** What to do with children below the minimum speed-up (see {@link RepairMode}). */
  readonly repair?: RepairMode;
  /** Children drawn per candidate before falling back to a random sample (integer ≥ 1). */
  readonly maxAttempts?: number;
}

/**
 * The default options of {@link evolutionarySearcher}, chosen for budgets of tens to a few
 * hundred evaluations with `bench/search-evo-defaults.mjs` (a synthetic objective: see the
 * package README for the figures). AutoDiffusion's settings (population 50, top 10, 25 mutants,
 * 15 crossovers, p = 0.25) spend a quarter of a 200-trial budget on the random start.
 *
 * @public
 */
export const EVOLUTION_DEFAULTS: Readonly<Required<EvolutionarySearcherOptions>> = Object.freeze({
  populationSize: 8,
  topK: 4,
  mutants: 6,
  crossovers: 2,
  mutationProbability: 0,
  seedBaselines: false,
  seeds: Object.freeze([]),
  repair: 'cheapen',
  maxAttempts: 50,
});

/**
 * The state of an {@link evolutionarySearcher}, as returned by `snapshot()`: plain JSON, the
 * {@link GenerationalSnapshot} of `@flexiffusion/schedule` (`{ version: 1, generation, queue }`;
 * the initial population counts as one generation).
 *
 * @public
 */
export interface EvolutionarySnapshot extends GenerationalSnapshot {}

/** Spaces up to this size are enumerated when sampling stops finding new feasible members. */
const ENUMERATE_LIMIT = 20_000n;

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected an integer >= ${min}.`);
  }
  return v;
}

function resolveOptions(options: EvolutionarySearcherOptions): Required<EvolutionarySearcherOptions> {
  const d = EVOLUTION_DEFAULTS;
  const given = options ?? {};
  const o: Required<EvolutionarySearcherOptions> = {
    populationSize: given.populationSize ?? d.populationSize,
    topK: given.topK ?? d.topK,
    mutants: given.mutants ?? d.mutants,
    crossovers: given.crossovers ?? d.crossovers,
    mutationProbability: given.mutationProbability ?? d.mutationProbability,
    seedBaselines: given.seedBaselines ?? d.seedBaselines,
    seeds: given.seeds ?? d.seeds,
    repair: given.repair ?? d.repair,
    maxAttempts: given.maxAttempts ?? d.maxAttempts,
  };
  checkInt('populationSize', o.populationSize, 1);
  checkInt('topK', o.topK, 1);
  checkInt('mutants', o.mutants, 0);
  checkInt('crossovers', o.crossovers, 0);
  checkInt('maxAttempts', o.maxAttempts, 1);
  if (o.mutants + o.crossovers < 1) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid mutants ${o.mutants} and crossovers ${o.crossovers}: expected integers >= 0 with mutants + crossovers >= 1.`,
    );
  }
  const p = o.mutationProbability;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ScheduleError('invalid-option', `Invalid mutationProbability ${String(p)}: expected a number in [0, 1].`);
  }
  if (typeof o.seedBaselines !== 'boolean') {
    throw new ScheduleError('invalid-option', `Invalid seedBaselines ${String(o.seedBaselines)}: expected true or false.`);
  }
  if (!Array.isArray(o.seeds)) {
    throw new ScheduleError('invalid-option', `Invalid seeds ${String(o.seeds)}: expected an array of schedules (objects or text).`);
  }
  o.seeds.forEach((seed, i) => {
    try {
      toSchedule(seed);
    } catch (cause) {
      throw new ScheduleError(
        'invalid-option',
        `Invalid seeds[${i}] ${JSON.stringify(seed)}: expected a valid schedule (object or text).`,
        {
          cause,
        },
      );
    }
  });
  if (!REPAIR_MODES.includes(o.repair)) {
    throw new ScheduleError('invalid-option', `Unknown repair ${JSON.stringify(o.repair)}: expected one of "cheapen", "reject".`);
  }
  return o;
}

/**
 * Create the evolutionary searcher of Flexiffusion / AutoDiffusion over a segment-wise space.
 *
 * Each time it runs out of candidates it makes a generation from the history:
 *
 * 1. While fewer than `populationSize` trials were evaluated (or none completed): the initial
 *    population — the missing number of random members of the space that meet the constraint
 *    (under a constraint that random members rarely meet, repaired ones), after the feasible
 *    `seeds` in their order, and with `seedBaselines` the feasible {@link baselineSeeds} next, up
 *    to half the population, chosen at random when more.
 * 2. Then: `mutants + crossovers` children of the `topK` best complete trials that meet the
 *    constraint, interleaved in proportion (mutant, then crossover, … for 8 and 4).
 *
 * Every candidate it returns is a member of `ctx.space`, meets `ctx.minSpeedup` (children below it
 * are repaired or rejected, per `repair`), and repeats neither the history nor the generation.
 * A candidate it cannot find in `maxAttempts` draws comes from random sampling (and, for spaces of
 * at most 20,000 members, from enumerating the untried feasible ones); when nothing new is left it
 * returns `[]`, which ends the search.
 *
 * A generation is handed out over as many `ask` calls as needed (at most `count` at a time, never
 * mixing generations), so a generation larger than the driver's batch is still evaluated as a
 * whole before the next is made. All randomness comes from `ctx.rng`, so the searcher is
 * deterministic for a given sequence of contexts and resumes by replay. Its state — the current
 * generation's candidates not yet proposed — is JSON (`snapshot`/`restore`); at a generation
 * boundary a fresh searcher given the same history behaves identically, so it can also be
 * rebuilt from the history alone. The queue, the generation count and the snapshot are those of
 * `createGenerationalSearcher` (`@flexiffusion/schedule`), given the generation described above.
 *
 * @param options - Population, selection, variation and constraint handling; see
 *   {@link EvolutionarySearcherOptions} and {@link EVOLUTION_DEFAULTS}.
 * @returns A `Searcher` named `'evolutionary'`, with `snapshot` and `restore`.
 * @throws ScheduleError `invalid-option` naming a bad option and its valid range; `restore`
 *   throws it for a state that is not a snapshot of this searcher.
 * @example
 * ```ts
 * import { createSearchSpace, runSearch } from '@flexiffusion/schedule';
 * import { evolutionarySearcher } from '@flexiffusion/search-evo';
 *
 * const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
 * const result = await runSearch({
 *   space, searcher: evolutionarySearcher({ topK: 5 }), evaluator, costProfile,
 *   trials: 200, minSpeedup: 2, seed: 1,
 * });
 * console.log(result.best?.schedule, result.best?.objective);
 * ```
 * @public
 */
export function evolutionarySearcher(options: EvolutionarySearcherOptions = {}): Searcher {
  const o = resolveOptions(options);
  const generationSize = o.mutants + o.crossovers;
  const parsed = new Map<string, Schedule | null>();

  const parse = (key: string, space: SearchSpace): Schedule | null => {
    let s = parsed.get(key);
    if (s === undefined) {
      try {
        s = toSchedule(key);
      } catch {
        s = null;
      }
      parsed.set(key, s);
    }
    return s !== null && space.contains(s) ? s : null;
  };

  const feasible = (ctx: SearchContext, s: Schedule): boolean => ctx.cost(s).speedup >= ctx.minSpeedup;

  /** The best `topK` complete trials meeting the constraint, as schedules of the space. */
  const parents = (ctx: SearchContext): Schedule[] => {
    const ranked = ctx.history
      .filter(
        (t: Trial) =>
          t.state === 'complete' && typeof t.objective === 'number' && !Number.isNaN(t.objective) && t.cost.speedup >= ctx.minSpeedup,
      )
      .slice()
      .sort((a, b) => a.objective! - b.objective! || a.number - b.number);
    const out: Schedule[] = [];
    for (const t of ranked) {
      if (out.length === o.topK) break;
      const s = parse(t.schedule, ctx.space);
      if (s) out.push(s);
    }
    return out;
  };

  /** Cheaper variants of one segment that keep the schedule in the space. */
  const cheaperMoves = (ctx: SearchContext, s: Schedule, i: number): Schedule[] => {
    const seg = s.segments[i]!;
    const moves: Step[][] = [];
    // the last step that is not null (a segment's first step only stays when the space requires it)
    let last = -1;
    for (let k = seg.length - 1; k >= 0; k--) {
      if (seg[k]!.kind !== 'null') {
        last = k;
        break;
      }
    }
    if (last >= 0) moves.push(seg.map((st, k) => (k === last ? nullStep() : st)));
    const branches = new Set(seg.flatMap((st) => (st.kind === 'partial' ? [st.branch] : [])));
    if (branches.size > 0) {
      for (let b = 0; b < ctx.space.branches; b++) {
        if (branches.size === 1 && branches.has(b)) continue;
        moves.push(seg.map((st) => (st.kind === 'partial' ? partialStep(b) : st)));
      }
    }
    const before = ctx.cost(s).macs;
    const out: Schedule[] = [];
    for (const m of moves) {
      const segs = s.segments.map((sg, k) => (k === i ? m : sg));
      let cand: Schedule;
      try {
        cand = createSchedule(segs);
      } catch {
        continue;
      }
      if (ctx.space.contains(cand) && ctx.cost(cand).macs < before) out.push(cand);
    }
    return out;
  };

  /** Make a schedule cheaper, one segment at a time, until it meets the constraint. */
  const repair = (ctx: SearchContext, start: Schedule): Schedule | undefined => {
    let s = start;
    for (let guard = 0; guard < 4 * ctx.space.steps + 4; guard++) {
      if (feasible(ctx, s)) return s;
      // segments in random order; the first with a cheaper move gives one, chosen at random
      const order = s.segments.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = ctx.rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let next: Schedule | undefined;
      for (const i of order) {
        const moves = cheaperMoves(ctx, s, i);
        if (moves.length > 0) {
          next = moves[ctx.rng.int(moves.length)];
          break;
        }
      }
      if (!next) return undefined;
      s = next;
    }
    return feasible(ctx, s) ? s : undefined;
  };

  const mutate = (ctx: SearchContext, parent: Schedule): Schedule => {
    const { space, rng } = ctx;
    let child = space.mutate(parent, rng);
    if (o.mutationProbability > 0) {
      const { length, genes } = space.encode(child);
      const next = genes.map((g, i) => {
        const V = space.segmentVariants(length, i);
        return V > 1 && rng.bool(o.mutationProbability) ? (g + 1 + rng.int(V - 1)) % V : g;
      });
      child = space.decode(length, next);
    }
    return child;
  };

  /**
   * A new random feasible member, or undefined after `tries` draws; when none of them meets the
   * constraint (a tight one), `tries` more draws repaired with `'cheapen'`.
   */
  const randomFresh = (ctx: SearchContext, taken: Set<string>, tries: number): Schedule | undefined => {
    for (let a = 0; a < tries; a++) {
      const s = ctx.space.sample(ctx.rng);
      if (!taken.has(formatSchedule(s)) && feasible(ctx, s)) return s;
    }
    if (o.repair === 'cheapen') {
      for (let a = 0; a < tries; a++) {
        const s = repair(ctx, ctx.space.sample(ctx.rng));
        if (s && !taken.has(formatSchedule(s))) return s;
      }
    }
    return undefined;
  };

  /** Up to n untried feasible members of a small space, chosen at random. */
  const enumerateFresh = (ctx: SearchContext, taken: Set<string>, n: number): Schedule[] => {
    if (n <= 0 || ctx.space.size() > ENUMERATE_LIMIT) return [];
    const rest: Schedule[] = [];
    for (const s of ctx.space.enumerate()) if (!taken.has(formatSchedule(s)) && feasible(ctx, s)) rest.push(s);
    const out: Schedule[] = [];
    while (out.length < n && rest.length > 0) out.push(rest.splice(ctx.rng.int(rest.length), 1)[0]!);
    return out;
  };

  const makeGeneration = (ctx: SearchContext): Schedule[] => {
    const taken = new Set(ctx.history.map((t) => t.schedule));
    const out: Schedule[] = [];
    const push = (s: Schedule): void => {
      taken.add(formatSchedule(s));
      out.push(s);
    };
    const evaluated = ctx.history.filter((t) => t.state !== 'pruned').length;
    const pool = parents(ctx);

    if (evaluated < o.populationSize || pool.length === 0) {
      const n = evaluated < o.populationSize ? o.populationSize - evaluated : generationSize;
      if (evaluated === 0) {
        for (const seed of o.seeds) {
          const s = toSchedule(seed);
          if (!ctx.space.contains(s)) {
            throw new ScheduleError(
              'not-in-space',
              `Seed ${formatSchedule(s)} is not a member of the search space ${JSON.stringify(ctx.space.describe())}.`,
            );
          }
          if (out.length < n && !taken.has(formatSchedule(s)) && feasible(ctx, s)) push(s);
        }
      }
      if (o.seedBaselines && evaluated === 0) {
        const seeds = baselineSeeds(ctx.space).filter((s) => !taken.has(formatSchedule(s)) && feasible(ctx, s));
        const cap = Math.min(n, out.length + Math.ceil(o.populationSize / 2));
        while (out.length < cap && seeds.length > 0) push(seeds.splice(ctx.rng.int(seeds.length), 1)[0]!);
      }
      while (out.length < n) {
        const s = randomFresh(ctx, taken, o.maxAttempts);
        if (!s) break;
        push(s);
      }
      for (const s of enumerateFresh(ctx, taken, n - out.length)) push(s);
      if (out.length > 0 || pool.length === 0) return out;
    }

    for (let j = 0; j < generationSize; j++) {
      // Bresenham interleave: crossover j when floor((j+1)·C/G) steps up
      const cross =
        pool.length >= 2 && Math.floor(((j + 1) * o.crossovers) / generationSize) > Math.floor((j * o.crossovers) / generationSize);
      let cand: Schedule | undefined;
      for (let a = 0; a < o.maxAttempts && !cand; a++) {
        let child: Schedule;
        if (cross) {
          const i = ctx.rng.int(pool.length);
          const k = (i + 1 + ctx.rng.int(pool.length - 1)) % pool.length;
          child = ctx.space.crossover(pool[i]!, pool[k]!, ctx.rng);
        } else {
          child = mutate(ctx, pool[ctx.rng.int(pool.length)]!);
        }
        const fixed = feasible(ctx, child) ? child : o.repair === 'cheapen' ? repair(ctx, child) : undefined;
        if (fixed && !taken.has(formatSchedule(fixed))) cand = fixed;
      }
      cand ??= randomFresh(ctx, taken, o.maxAttempts);
      if (cand) push(cand);
    }
    if (out.length === 0) for (const s of enumerateFresh(ctx, taken, generationSize)) push(s);
    return out;
  };

  return createGenerationalSearcher({ name: 'evolutionary', makeGeneration });
}
