import {
  ScheduleError,
  createSchedule,
  fullStep,
  nullStep,
  scheduleSteps,
  toSchedule,
  type Rng,
  type Schedule,
  type SearchSpace,
  type Step,
} from '@flexiffusion/schedule';
import { binomialBig, binomialTable, drawSubset, nextCombination, rankCombination, unrankCombination } from './internal/combinations.js';

/**
 * What {@link TimestepSubsetSpace.describe} returns: the fields of every `SearchSpace`
 * description plus `kind` and `k`, so that a resumed search checks k too.
 *
 * @public
 */
export interface TimestepSubsetSpaceDescription {
  /** T: steps of every member. */
  readonly steps: number;
  /** `[T]`: one segment (one gene, the member's rank). */
  readonly segmentLengths: readonly number[];
  /** 0: members have no partial steps. */
  readonly branches: number;
  /** `'free'`, as for every space that is not segment-wise. */
  readonly form: 'free';
  /** Marks a timestep-subset space. */
  readonly kind: 'timestep-subset';
  /** The number of full steps of every member. */
  readonly k: number;
}

/**
 * The space of {@link timestepSubsetSpace}: every schedule that runs the full network at exactly
 * k of the T teacher steps (step 0 among them) and skips the others.
 *
 * @public
 */
export interface TimestepSubsetSpace extends SearchSpace {
  /** The number of full steps of every member. */
  readonly k: number;
  /** A JSON description: T, `[T]`, 0 branches, `'free'`, `kind: 'timestep-subset'` and k. */
  describe(): TimestepSubsetSpaceDescription;
}

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected an integer in ${min}..${max}.`);
  }
  return v;
}

/** The kept steps of a schedule made only of F and N steps, or undefined. */
function tryKept(schedule: Schedule | string): number[] | undefined {
  let s: Schedule;
  try {
    s = toSchedule(schedule);
  } catch {
    return undefined;
  }
  const kept: number[] = [];
  const steps = scheduleSteps(s);
  for (let i = 0; i < steps.length; i++) {
    const kind = steps[i]!.kind;
    if (kind === 'full') kept.push(i);
    else if (kind !== 'null') return undefined;
  }
  return kept;
}

/**
 * The schedule of a timestep subset: the full network at the kept steps, null (skipped) steps
 * elsewhere, as one segment of length T — the form the members of {@link timestepSubsetSpace}
 * have. With null mode `'skip'` (the default) the sampler runs on the sub-sequence of the kept
 * teacher timesteps, which is what AutoDiffusion's candidates are.
 *
 * @param steps - T, the number of teacher steps.
 * @param kept - The kept step indices in 0..T−1, distinct, any order; 0 must be among them (a
 *   schedule starts with a full step).
 * @returns The schedule, frozen.
 * @throws ScheduleError `invalid-option` for a bad T, an index out of range or repeated, or a
 *   subset without step 0.
 * @example
 * ```ts
 * formatSchedule(subsetSchedule(6, [0, 2, 3])); // 'F N F F N N'
 * ```
 * @public
 */
export function subsetSchedule(steps: number, kept: readonly number[]): Schedule {
  checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(kept)) {
    throw new ScheduleError('invalid-option', `Invalid kept steps ${String(kept)}: expected an array of step indices in 0..${steps - 1}.`);
  }
  const out: Step[] = Array.from({ length: steps }, () => nullStep());
  for (const i of kept) {
    checkInt('kept step', i, 0, steps - 1);
    if (out[i]!.kind === 'full')
      throw new ScheduleError('invalid-option', `Invalid kept steps ${JSON.stringify(kept)}: step ${i} appears twice.`);
    out[i] = fullStep();
  }
  if (out[0]!.kind !== 'full') {
    throw new ScheduleError(
      'invalid-option',
      `Invalid kept steps ${JSON.stringify(kept)}: step 0 must be kept (a schedule starts with a full step).`,
    );
  }
  return createSchedule([out]);
}

/**
 * The kept (full) steps of a schedule made of full and null steps only: the inverse of
 * {@link subsetSchedule}, whatever the schedule's segmentation.
 *
 * @param schedule - The schedule or its notation.
 * @returns The indices of its full steps, ascending, frozen.
 * @throws ScheduleError `invalid-option` when the schedule has a partial step or is not valid.
 * @example
 * ```ts
 * keptSteps('F N F F N N'); // [0, 2, 3]
 * keptSteps(uniformSchedule(50, 10)); // [0, 5, 10, …, 45]
 * ```
 * @public
 */
export function keptSteps(schedule: Schedule | string): readonly number[] {
  const kept = tryKept(schedule);
  if (!kept) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid schedule ${typeof schedule === 'string' ? JSON.stringify(schedule) : '<schedule>'}: ` +
        'expected a valid schedule of full (F) and null (N) steps only.',
    );
  }
  return Object.freeze(kept);
}

/**
 * The number k of kept steps that a target speed-up allows on T teacher steps when every kept step
 * is a full step: the largest k with T / k ≥ speed-up, i.e. ⌊T / speed-up⌋ (at least 1).
 *
 * @param steps - T.
 * @param speedup - The minimum speed-up, a finite number ≥ 1.
 * @returns k in 1..T.
 * @throws ScheduleError `invalid-option` for a bad T or speed-up.
 * @example
 * ```ts
 * subsetSizeForSpeedup(50, 2); // 25
 * subsetSizeForSpeedup(50, 3); // 16 (3.125×)
 * ```
 * @public
 */
export function subsetSizeForSpeedup(steps: number, speedup: number): number {
  checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  if (typeof speedup !== 'number' || !Number.isFinite(speedup) || speedup < 1) {
    throw new ScheduleError('invalid-option', `Invalid speedup ${String(speedup)}: expected a finite number >= 1.`);
  }
  // the tolerance keeps k = 20 for 50 / 2.5 when the division rounds just below
  return Math.max(1, Math.floor(steps / speedup + 1e-9));
}

/**
 * The search space of AutoDiffusion's timestep search on a T-step teacher: every choice of k of the
 * T steps to run (the full network), the others skipped — C(T−1, k−1) members, since step 0 is
 * always kept (our schedules start with a full step; AutoDiffusion's sampler likewise starts from
 * the noisiest kept timestep). Every member costs k full steps, a speed-up of T / k.
 *
 * The segment-wise spaces of `createSearchSpace` cannot express "exactly k full steps anywhere",
 * hence this space. Its members are one segment of length T ({@link subsetSchedule}); in the
 * space's coordinates there is one segment length, T, with one gene: the member's colex rank
 * (`segmentVariants(T)` = the size), so `gridSearcher` and any searcher written against
 * `SearchSpace` work on it. `sample` draws k − 1 of the steps 1..T−1 uniformly; `mutate` moves one
 * kept step to a skipped one; `crossover` keeps the steps both parents share and fills up at
 * random from the steps only one of them has, so a child is always a member; `enumerate` yields
 * the members by rank.
 *
 * Only the one-segment form is a member: re-cut a schedule such as `uniformSchedule(50, 10)`
 * (DDIM-10, cut into 10 segments) with `subsetSchedule(T, keptSteps(s))` first.
 *
 * @param steps - T, an integer ≥ 1.
 * @param k - The number of kept steps, in 1..T.
 * @returns A frozen {@link TimestepSubsetSpace}.
 * @throws ScheduleError `invalid-option` for a bad T or k, or a space with more than 2^53 − 1
 *   members (its ranks would not be safe integers: e.g. T = 100 with 15 ≤ k ≤ 86).
 * @example
 * ```ts
 * const space = timestepSubsetSpace(50, 10);
 * space.size(); // C(49, 9) = 2054455634n
 * const s = space.sample(createRng(1)); // 10 full steps, step 0 first: speed-up 5
 * ```
 * @public
 */
export function timestepSubsetSpace(steps: number, k: number): TimestepSubsetSpace {
  const T = checkInt('steps (T)', steps, 1, Number.MAX_SAFE_INTEGER);
  checkInt('k', k, 1, T);
  const n = T - 1; // the pool: steps 1..T−1, position p = step − 1
  const r = k - 1;
  const total = binomialBig(n, r);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ScheduleError(
      'invalid-option',
      `A timestep-subset space with T = ${T} and k = ${k} has ${total} members, more than 2^53 − 1: ` +
        'its ranks would not be safe integers. Use a smaller T, or a k nearer 1 or T.',
    );
  }
  const size = Number(total);
  const table = binomialTable(n, r);
  const pool = Array.from({ length: n }, (_, i) => i + 1);
  const lengths = Object.freeze([T]);
  const description: TimestepSubsetSpaceDescription = Object.freeze({
    steps: T,
    segmentLengths: lengths,
    branches: 0,
    form: 'free' as const,
    kind: 'timestep-subset' as const,
    k,
  });

  /** The schedule of kept steps 1..T−1 (ascending, without 0). */
  const fromGenes = (genes: readonly number[]): Schedule => subsetSchedule(T, [0, ...genes]);
  /** The kept steps other than 0 of a member, or undefined for a non-member. */
  const genesOf = (s: Schedule | string): number[] | undefined => {
    let sched: Schedule;
    try {
      sched = toSchedule(s);
    } catch {
      return undefined;
    }
    if (sched.segments.length !== 1 || sched.segments[0]!.length !== T) return undefined;
    const kept = tryKept(sched);
    if (!kept || kept.length !== k || kept[0] !== 0) return undefined;
    return kept.slice(1);
  };
  const encodeGenes = (s: Schedule): number[] => {
    const g = genesOf(s);
    if (!g) {
      throw new ScheduleError(
        'not-in-space',
        `Schedule is not a member of the timestep-subset space (T=${T}, k=${k}: one segment of ${T} F/N steps, ${k} of them F, the first F).`,
      );
    }
    return g;
  };
  const checkLength = (L: number): void => {
    if (L !== T) {
      throw new ScheduleError(
        'invalid-option',
        `Invalid segment length ${String(L)}: a timestep-subset space has one segment length, ${T} (one gene: the member's rank).`,
      );
    }
  };
  const rankOf = (genes: readonly number[]): number =>
    rankCombination(
      table,
      genes.map((g) => g - 1),
    );
  const atRank = (rank: number): Schedule => fromGenes(unrankCombination(table, n, r, rank).map((p) => p + 1));

  const space: TimestepSubsetSpace = {
    steps: T,
    segmentLengths: lengths,
    branches: 0,
    form: 'free',
    k,
    size: () => total,
    contains: (s) => genesOf(s) !== undefined,
    sample: (rng: Rng) => fromGenes(drawSubset(pool, r, rng)),
    mutate(s: Schedule, rng: Rng): Schedule {
      const genes = encodeGenes(s);
      if (size <= 1) return s;
      const kept = new Set(genes);
      const free = pool.filter((p) => !kept.has(p));
      const next = [...genes];
      next[rng.int(next.length)] = free[rng.int(free.length)]!;
      return fromGenes(next.sort((a, b) => a - b));
    },
    crossover(a: Schedule, b: Schedule, rng: Rng): Schedule {
      const ga = encodeGenes(a);
      const gb = new Set(encodeGenes(b));
      const both = ga.filter((g) => gb.has(g));
      const inA = new Set(ga);
      const either = [...ga.filter((g) => !gb.has(g)), ...[...gb].filter((g) => !inA.has(g))].sort((x, y) => x - y);
      const fill = drawSubset(either, r - both.length, rng);
      return fromGenes([...both, ...fill].sort((x, y) => x - y));
    },
    *enumerate(): Generator<Schedule, void, undefined> {
      const combo = Array.from({ length: r }, (_, i) => i);
      do yield fromGenes(combo.map((p) => p + 1));
      while (nextCombination(combo, n));
    },
    segmentVariants(L: number): number {
      checkLength(L);
      return size;
    },
    encode: (s: Schedule) => Object.freeze({ length: T, genes: Object.freeze([rankOf(encodeGenes(s))]) }),
    decode(L: number, genes: readonly number[]): Schedule {
      checkLength(L);
      const g = genes[0];
      if (genes.length !== 1 || g === undefined || !Number.isSafeInteger(g) || g < 0 || g >= size) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid genes ${JSON.stringify(genes)}: a timestep-subset space expects one integer in 0..${size - 1} (the member's rank).`,
        );
      }
      return atRank(g);
    },
    project(s: Schedule, L: number): Schedule {
      encodeGenes(s);
      checkLength(L);
      return s;
    },
    describe: () => description,
  };
  return Object.freeze(space);
}

/** Whether a space is a {@link timestepSubsetSpace} (by its description). @internal */
export function subsetSpaceK(space: SearchSpace): number | undefined {
  const d = space.describe() as Partial<TimestepSubsetSpaceDescription>;
  return d.kind === 'timestep-subset' && typeof d.k === 'number' ? d.k : undefined;
}
