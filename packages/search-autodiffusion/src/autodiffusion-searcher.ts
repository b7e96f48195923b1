import {
  ScheduleError,
  createGenerationalSearcher,
  formatSchedule,
  scheduleFromSteps,
  scheduleSteps,
  uniformSchedule,
  type GenerationalSnapshot,
  type Schedule,
  type SearchContext,
  type Searcher,
  type Trial,
} from '@flexiffusion/schedule';
import { drawSubset } from './internal/combinations.js';
import { crossGenes, mutateGenes } from './internal/variation.js';
import { keptSteps, subsetSchedule, subsetSizeForSpeedup, subsetSpaceK } from './timestep-subset-space.js';

/**
 * Options of {@link autoDiffusionSearcher}. Every field is optional; the defaults are
 * {@link AUTODIFFUSION_DEFAULTS}, the settings of AutoDiffusion's ImageNet-64 search.
 *
 * @public
 */
export interface AutoDiffusionSearcherOptions {
  /**
   * k, the number of kept (full) steps of every candidate. Default: the k of a
   * {@link timestepSubsetSpace}, or else the largest k the minimum speed-up allows, ⌊T / minSpeedup⌋.
   */
  readonly k?: number;
  /** `population_num`: the initial population, and the size every generation is filled up to with random candidates. Integer ≥ 1. */
  readonly populationSize?: number;
  /** `select_num`: parents are the best `topK` complete trials so far (ties: the earlier trial). Integer ≥ 1. */
  readonly topK?: number;
  /** `mutation_num`: mutants per generation. Integer ≥ 0. */
  readonly mutants?: number;
  /** `crossover_num`: crossovers per generation. Integer ≥ 0. */
  readonly crossovers?: number;
  /** `m_prob`: the probability that a mutant's kept step is replaced by a skipped one. In [0, 1]. */
  readonly mutationProbability?: number;
  /**
   * `use_ddim_init_x`: the initial population is DDIM-k (`uniformSchedule(T, k)`), ⌊P/2⌋ random
   * candidates and P − 1 − ⌊P/2⌋ mutants of DDIM-k; otherwise P random candidates.
   */
  readonly seedUniform?: boolean;
  /** The mutation probability of the mutants of DDIM-k in the initial population (0.1, fixed in AutoDiffusion's code). In [0, 1]. */
  readonly seedMutationProbability?: number;
  /** Draws per wanted mutant or crossover before giving up on it (AutoDiffusion's `max_iters = num × 10`). Integer ≥ 1. */
  readonly attemptsPerChild?: number;
}

/**
 * AutoDiffusion's settings, from its ImageNet-64 search script (the run behind its headline
 * 4-step result, `examples/guided_diffusion/search_imagenet64_classifier_guidance.sh` of
 * lilijiangg/AutoDiffusion): population 50, top 10, 25 mutants, 15 crossovers (so 10 random
 * candidates a generation), mutation probability 0.25, DDIM initialisation with mutants at 0.1.
 * Its Stable Diffusion script differs only in the mutation probability (its default, 0.1): pass
 * `{ mutationProbability: 0.1 }`. Its 10 epochs are 50 + 10 × 50 = 550 evaluations (500 in the
 * SD script, which stops one generation earlier); here the driver's `trials` budget decides.
 *
 * @public
 */
export const AUTODIFFUSION_DEFAULTS: Readonly<Required<Omit<AutoDiffusionSearcherOptions, 'k'>>> = Object.freeze({
  populationSize: 50,
  topK: 10,
  mutants: 25,
  crossovers: 15,
  mutationProbability: 0.25,
  seedUniform: true,
  seedMutationProbability: 0.1,
  attemptsPerChild: 10,
});

/**
 * The state of an {@link autoDiffusionSearcher}, as returned by `snapshot()`: plain JSON, the
 * {@link GenerationalSnapshot} of `@flexiffusion/schedule` (`{ version: 1, generation, queue }`;
 * the initial population counts as one generation).
 *
 * @public
 */
export interface AutoDiffusionSnapshot extends GenerationalSnapshot {}

/** Spaces up to this size are enumerated when random draws stop finding new candidates. */
const ENUMERATE_LIMIT = 20_000n;
/** Random draws per wanted random candidate before falling back to enumeration. */
const RANDOM_DRAWS = 100;

type Resolved = Required<Omit<AutoDiffusionSearcherOptions, 'k'>> & { readonly k: number | undefined };

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected an integer >= ${min}.`);
  }
  return v;
}

function checkProbability(name: string, p: unknown): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(p)}: expected a number in [0, 1].`);
  }
}

function resolveOptions(options: AutoDiffusionSearcherOptions): Resolved {
  const d = AUTODIFFUSION_DEFAULTS;
  const given = options ?? {};
  const o: Resolved = {
    k: given.k,
    populationSize: given.populationSize ?? d.populationSize,
    topK: given.topK ?? d.topK,
    mutants: given.mutants ?? d.mutants,
    crossovers: given.crossovers ?? d.crossovers,
    mutationProbability: given.mutationProbability ?? d.mutationProbability,
    seedUniform: given.seedUniform ?? d.seedUniform,
    seedMutationProbability: given.seedMutationProbability ?? d.seedMutationProbability,
    attemptsPerChild: given.attemptsPerChild ?? d.attemptsPerChild,
  };
  if (o.k !== undefined) checkInt('k', o.k, 1);
  checkInt('populationSize', o.populationSize, 1);
  checkInt('topK', o.topK, 1);
  checkInt('mutants', o.mutants, 0);
  checkInt('crossovers', o.crossovers, 0);
  checkInt('attemptsPerChild', o.attemptsPerChild, 1);
  checkProbability('mutationProbability', o.mutationProbability);
  checkProbability('seedMutationProbability', o.seedMutationProbability);
  if (typeof o.seedUniform !== 'boolean') {
    throw new ScheduleError('invalid-option', `Invalid seedUniform ${String(o.seedUniform)}: expected true or false.`);
  }
  return o;
}

/** The kept steps other than 0 of a trial's schedule, or undefined when it has partial steps or is not valid. */
function genesOfKey(key: string): number[] | undefined {
  try {
    const kept = keptSteps(key);
    return kept[0] === 0 ? kept.slice(1) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Create AutoDiffusion's evolutionary timestep search (Li et al., ICCV 2023; its public code,
 * `search_ea.py`): candidates are subsets of k of the T teacher steps — the sampler runs the full
 * network at those and skips the others (null mode `'skip'`) — so every candidate costs T / k.
 * Use it over {@link timestepSubsetSpace}`(T, k)`; over another space it proposes only the subset
 * schedules that are members of it (in one of its segment lengths).
 *
 * Each time it runs out of candidates it makes a generation from the history, as AutoDiffusion
 * does each epoch:
 *
 * 1. While fewer than `populationSize` (P) trials were evaluated (or none completed): the
 *    initial population — DDIM-k, ⌊P/2⌋ random subsets and mutants of DDIM-k at
 *    `seedMutationProbability` with `seedUniform`; else P random subsets (after a warm start, only
 *    the missing number, at random).
 * 2. Then: `mutants` mutants of parents drawn uniformly from the `topK` best complete trials
 *    (each kept step other than step 0 replaced with probability `mutationProbability` by a
 *    skipped step), `crossovers` crossovers of two parents drawn independently (position i of the
 *    sorted steps from either parent with probability ½; a child that repeats a step is drawn
 *    again), each given up after `attemptsPerChild` draws per wanted child; then random subsets
 *    up to P candidates in all.
 *
 * Differences from AutoDiffusion's code, forced by our schedules: step 0 is always kept (a
 * schedule starts with a full step), so the search chooses k − 1 of the steps 1..T−1; a crossover
 * child with a repeated step is drawn again (AutoDiffusion would sample fewer steps); candidates
 * already tried (in any segmentation) are drawn again, as AutoDiffusion's `vis_dict` does; a
 * short initial population is filled up with random subsets; small spaces (≤ 20,000 members)
 * are enumerated when random draws find nothing new, and `[]` (the end of the search) comes once
 * no untried feasible candidate is left. The number of generations is the driver's budget
 * (`trials`), not `max_epochs`.
 *
 * The objective is the evaluator's: AutoDiffusion judges a candidate by FID against the real
 * data's statistics (1,000–5,000 images per candidate: 5,000 on ImageNet-64, 2,000 for Stable
 * Diffusion); issue 19 of this project runs it at 1,000. With rFID against the teacher it is
 * AutoDiffusion's search under Flexiffusion's signal.
 *
 * All randomness comes from `ctx.rng`, so the searcher is deterministic for a given sequence of
 * contexts and resumes by replay (`runSearch` with a stored trial log). Its state — the current
 * generation's candidates not yet proposed — is JSON (`snapshot`/`restore`); at a generation
 * boundary a fresh searcher given the same history behaves identically. The queue, the
 * generation count and the snapshot are those of `createGenerationalSearcher`
 * (`@flexiffusion/schedule`), given the generation described above.
 *
 * @param options - k, population, selection and variation; see {@link AutoDiffusionSearcherOptions}
 *   and {@link AUTODIFFUSION_DEFAULTS}.
 * @returns A `Searcher` named `'autodiffusion'`, with `snapshot` and `restore`.
 * @throws ScheduleError `invalid-option` naming a bad option and its valid range; `ask` throws it
 *   when `k` is above T or differs from the k of a timestep-subset space, and `restore` for a
 *   state that is not a snapshot of this searcher.
 * @example
 * ```ts
 * import { runSearch } from '@flexiffusion/schedule';
 * import { autoDiffusionSearcher, timestepSubsetSpace } from '@flexiffusion/search-autodiffusion';
 *
 * const space = timestepSubsetSpace(50, 10); // 10 of 50 steps: 5×
 * const result = await runSearch({
 *   space, searcher: autoDiffusionSearcher(), evaluator, // e.g. FID vs the data at 1,000 samples
 *   costProfile, trials: 550, minSpeedup: 5, seed: 1,
 * });
 * console.log(result.best?.schedule, result.best?.objective);
 * ```
 * @public
 */
export function autoDiffusionSearcher(options: AutoDiffusionSearcherOptions = {}): Searcher {
  const o = resolveOptions(options);

  const kFor = (ctx: SearchContext): number => {
    const T = ctx.space.steps;
    const spaceK = subsetSpaceK(ctx.space);
    if (o.k !== undefined) {
      if (o.k > T) throw new ScheduleError('invalid-option', `Invalid k ${o.k}: expected an integer in 1..${T} (T, the space's steps).`);
      if (spaceK !== undefined && spaceK !== o.k) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid k ${o.k}: the timestep-subset space has k = ${spaceK}; leave k out or make them equal.`,
        );
      }
      return o.k;
    }
    return spaceK ?? subsetSizeForSpeedup(T, Math.max(1, ctx.minSpeedup));
  };

  const keyOf = (genes: readonly number[]): string => genes.join(',');

  /** The member of the space for a subset (one segment, or the first of the space's segment lengths that holds it). */
  const memberOf = (ctx: SearchContext, genes: readonly number[]): Schedule | undefined => {
    const T = ctx.space.steps;
    const one = subsetSchedule(T, [0, ...genes]);
    let s: Schedule | undefined = ctx.space.contains(one) ? one : undefined;
    if (!s) {
      const steps = scheduleSteps(one);
      for (const L of ctx.space.segmentLengths) {
        if (L === T || T % L !== 0) continue;
        const cut = scheduleFromSteps(steps, L);
        if (ctx.space.contains(cut)) {
          s = cut;
          break;
        }
      }
    }
    return s && ctx.cost(s).speedup >= ctx.minSpeedup ? s : undefined;
  };

  /** The best `topK` complete trials meeting the constraint, as subsets of k steps that are members of the space. */
  const parents = (ctx: SearchContext, k: number): number[][] => {
    const ranked = ctx.history
      .filter(
        (t: Trial) =>
          t.state === 'complete' && typeof t.objective === 'number' && !Number.isNaN(t.objective) && t.cost.speedup >= ctx.minSpeedup,
      )
      .slice()
      .sort((a, b) => a.objective! - b.objective! || a.number - b.number);
    const out: number[][] = [];
    for (const t of ranked) {
      if (out.length === o.topK) break;
      const g = genesOfKey(t.schedule);
      if (g && g.length === k - 1 && ctx.space.contains(t.schedule)) out.push(g);
    }
    return out;
  };

  const makeGeneration = (ctx: SearchContext): Schedule[] => {
    const { rng } = ctx;
    const T = ctx.space.steps;
    const k = kFor(ctx);
    const uniform = keptSteps(uniformSchedule(T, k)).slice(1);
    // every subset of k steps costs k full steps: when one misses the constraint, all do
    if (ctx.cost(subsetSchedule(T, [0, ...uniform])).speedup < ctx.minSpeedup) return [];
    const pool = Array.from({ length: T - 1 }, (_, i) => i + 1);
    const taken = new Set<string>();
    for (const t of ctx.history) {
      const g = genesOfKey(t.schedule);
      if (g) taken.add(keyOf(g));
    }
    const out: Schedule[] = [];
    /** Add a subset when it is new, a member and feasible. */
    const offer = (genes: readonly number[] | undefined): boolean => {
      if (!genes) return false;
      const key = keyOf(genes);
      if (taken.has(key)) return false;
      const s = memberOf(ctx, genes);
      if (!s) return false;
      taken.add(key);
      out.push(s);
      return true;
    };
    const randomUntil = (n: number): void => {
      while (out.length < n) {
        let ok = false;
        for (let a = 0; a < RANDOM_DRAWS && !ok; a++) ok = offer(drawSubset(pool, k - 1, rng));
        if (!ok) break;
      }
      if (out.length < n && ctx.space.size() <= ENUMERATE_LIMIT) {
        const rest: number[][] = [];
        for (const s of ctx.space.enumerate()) {
          const g = genesOfKey(formatSchedule(s));
          if (g && g.length === k - 1 && !taken.has(keyOf(g))) rest.push(g);
        }
        while (out.length < n && rest.length > 0) offer(rest.splice(rng.int(rest.length), 1)[0]);
      }
    };
    const mutantsOf = (source: () => readonly number[], wanted: number, p: number, until: number): void => {
      let made = 0;
      for (let a = 0; a < wanted * o.attemptsPerChild && made < wanted && out.length < until; a++) {
        if (offer(mutateGenes(source(), T, p, rng))) made++;
      }
    };

    const P = o.populationSize;
    const evaluated = ctx.history.filter((t) => t.state !== 'pruned').length;
    const best = parents(ctx, k);

    if (evaluated < P || best.length === 0) {
      const n = evaluated < P ? P - evaluated : P;
      if (o.seedUniform && evaluated === 0) {
        offer(uniform);
        randomUntil(Math.min(n, 1 + Math.floor(P / 2)));
        mutantsOf(() => uniform, P - 1 - Math.floor(P / 2), o.seedMutationProbability, n);
      }
      randomUntil(n);
      if (out.length > 0 || best.length === 0) return out;
    }

    mutantsOf(() => best[rng.int(best.length)]!, o.mutants, o.mutationProbability, Number.POSITIVE_INFINITY);
    let crossed = 0;
    for (let a = 0; a < o.crossovers * o.attemptsPerChild && crossed < o.crossovers; a++) {
      const x = best[rng.int(best.length)]!;
      const y = best[rng.int(best.length)]!;
      if (offer(crossGenes(x, y, rng))) crossed++;
    }
    randomUntil(P);
    return out;
  };

  return createGenerationalSearcher({ name: 'autodiffusion', makeGeneration });
}
