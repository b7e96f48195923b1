import {
  ScheduleError,
  formatSchedule,
  scheduleLength,
  scheduleSteps,
  toSchedule,
  type Rng,
  type Schedule,
  type SearchContext,
  type SearchSpace,
  type Searcher,
} from '@flexiffusion/schedule';

/**
 * A schedule with a name, e.g. `{ label: 'DDIM-25', schedule }` from {@link baselineGrid}.
 *
 * @public
 */
export interface LabelledSchedule {
  /** A short unique name. */
  readonly label: string;
  /** The schedule. */
  readonly schedule: Schedule;
}

/**
 * What {@link listSearcher} and {@link listSpace} accept: a schedule, its text notation, or a
 * {@link LabelledSchedule}.
 *
 * @public
 */
export type ScheduleLike = Schedule | string | LabelledSchedule;

function isLabelled(v: ScheduleLike): v is LabelledSchedule {
  return typeof v === 'object' && v !== null && 'label' in v && 'schedule' in v;
}

/** Parse, validate and de-duplicate (first one wins) a list of schedules. */
function normalise(what: string, items: readonly ScheduleLike[]): Schedule[] {
  if (!Array.isArray(items)) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid ${what} ${String(items)}: expected an array of schedules (Schedule objects, notation strings or { label, schedule }).`,
    );
  }
  const seen = new Set<string>();
  const out: Schedule[] = [];
  items.forEach((item, i) => {
    let s: Schedule;
    try {
      s = toSchedule(isLabelled(item) ? item.schedule : item);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new ScheduleError(
        'invalid-option',
        `Invalid ${what}[${i}] ${JSON.stringify(isLabelled(item) ? item.label : typeof item === 'string' ? item : '<schedule>')}: ${msg}`,
        { cause: e },
      );
    }
    const key = formatSchedule(s);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  });
  return out;
}

/**
 * Create a searcher that proposes a fixed list of schedules, in order: useful to evaluate
 * baselines (see {@link baselineGrid}) through the same loop, trial store and Pareto front as a
 * search. It skips entries that are not members of `ctx.space` (the driver would prune them),
 * that miss `ctx.minSpeedup`, that are already in the history, or that repeat an earlier entry;
 * it returns `[]` when the list is done.
 *
 * Stateless: its position in the list is derived from the history, so it resumes by replay and
 * needs no snapshot.
 *
 * Baselines such as DDIM-17 on T = 50 are not members of a `'paper'` space; run them with
 * {@link listSpace} as the space, which contains exactly the listed schedules.
 *
 * @param schedules - The schedules, in the order to propose them.
 * @param options - `name`: the searcher's name in the trial store header (default `'list'`).
 * @returns A `Searcher`.
 * @throws ScheduleError `invalid-option` when an entry is not a valid schedule, or for an empty name.
 * @example
 * ```ts
 * const baselines = baselineGrid(50, { branches: 3 });
 * const result = await runSearch({
 *   space: listSpace(baselines), searcher: listSearcher(baselines),
 *   evaluator, costProfile, trials: baselines.length,
 * });
 * ```
 * @public
 */
export function listSearcher(schedules: readonly ScheduleLike[], options: { readonly name?: string } = {}): Searcher {
  const list = normalise('schedules', schedules);
  const keys = list.map(formatSchedule);
  const name = options.name ?? 'list';
  if (typeof name !== 'string' || name.length === 0) {
    throw new ScheduleError('invalid-option', `Invalid name ${JSON.stringify(name)}: expected a non-empty string.`);
  }
  return Object.freeze({
    name,
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      const tried = new Set(ctx.history.map((t) => t.schedule));
      const out: Schedule[] = [];
      for (let i = 0; i < list.length && out.length < count; i++) {
        const s = list[i]!;
        if (tried.has(keys[i]!) || !ctx.space.contains(s) || ctx.cost(s).speedup < ctx.minSpeedup) continue;
        out.push(s);
      }
      return out;
    },
  });
}

/**
 * A search space whose members are exactly the given schedules (duplicates removed), so that
 * schedules outside every segment-wise space — DDIM-17 on T = 50, DeepCache with an interval
 * that does not divide T — can be evaluated through `runSearch`, which prunes non-members.
 *
 * Each member is one gene: in the space's coordinates there is one segment length, T, with
 * `segmentVariants(T)` = the number of members, and a member's genes are `[its index]`;
 * the members themselves keep their own segmentation. `sample` picks a member, `mutate` another
 * member, `crossover` one of the two parents, `enumerate` yields the list in order, and
 * `describe()` includes the members (so a resumed search checks the list too). Works with
 * {@link gridSearcher} and any searcher written against the `SearchSpace` interface.
 *
 * @param schedules - The members, all with the same number of steps T.
 * @param options - `branches`: B, the model's cache branches (default: one more than the
 *   largest branch used).
 * @returns A frozen `SearchSpace`.
 * @throws ScheduleError `invalid-option` for an empty list, an invalid entry, entries with
 *   different T, or a partial branch ≥ `branches`.
 * @example
 * ```ts
 * const space = listSpace(['F N N N', 'F P0 N N', 'F N F N']);
 * space.size(); // 3n
 * space.contains('F N F N'); // true
 * ```
 * @public
 */
export function listSpace(schedules: readonly ScheduleLike[], options: { readonly branches?: number } = {}): SearchSpace {
  const members = normalise('schedules', schedules);
  if (members.length === 0) {
    throw new ScheduleError('invalid-option', 'Invalid schedules []: expected at least one schedule.');
  }
  const T = scheduleLength(members[0]!);
  let maxBranch = -1;
  members.forEach((s, i) => {
    const t = scheduleLength(s);
    if (t !== T) {
      throw new ScheduleError(
        'invalid-option',
        `Invalid schedules[${i}] ${JSON.stringify(formatSchedule(s))}: it has ${t} steps, expected ${T} like schedules[0].`,
      );
    }
    for (const st of scheduleSteps(s)) if (st.kind === 'partial' && st.branch > maxBranch) maxBranch = st.branch;
  });
  const B = options.branches ?? maxBranch + 1;
  if (!Number.isSafeInteger(B) || B < 0) {
    throw new ScheduleError('invalid-option', `Invalid branches ${String(B)}: expected an integer >= ${maxBranch + 1}.`);
  }
  if (maxBranch >= B) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid branches ${B}: a listed schedule uses branch ${maxBranch}; expected an integer >= ${maxBranch + 1}.`,
    );
  }
  const keys = members.map(formatSchedule);
  const index = new Map(keys.map((k, i) => [k, i]));
  const n = members.length;
  const lengths = Object.freeze([T]);

  const indexOf = (s: Schedule | string): number | undefined => {
    try {
      return index.get(formatSchedule(toSchedule(s)));
    } catch {
      return undefined;
    }
  };
  const encodeIndex = (s: Schedule): number => {
    const i = indexOf(s);
    if (i === undefined) {
      throw new ScheduleError('not-in-space', `Schedule is not a member of the list space (T=${T}, ${n} members).`);
    }
    return i;
  };
  const checkLength = (L: number): void => {
    if (L !== T)
      throw new ScheduleError(
        'invalid-option',
        `Invalid segment length ${String(L)}: a list space has one segment length, ${T} (one gene per member).`,
      );
  };
  const description = Object.freeze({
    steps: T,
    segmentLengths: lengths,
    branches: B,
    form: 'free' as const,
    members: Object.freeze([...keys]),
  });

  const space: SearchSpace = {
    steps: T,
    segmentLengths: lengths,
    branches: B,
    form: 'free',
    size: () => BigInt(n),
    contains: (s) => indexOf(s) !== undefined,
    sample: (rng: Rng) => members[rng.int(n)]!,
    mutate(s: Schedule, rng: Rng): Schedule {
      const i = encodeIndex(s);
      return n <= 1 ? members[i]! : members[(i + 1 + rng.int(n - 1)) % n]!;
    },
    crossover(a: Schedule, b: Schedule, rng: Rng): Schedule {
      const ia = encodeIndex(a);
      const ib = encodeIndex(b);
      return members[rng.bool() ? ia : ib]!;
    },
    *enumerate() {
      yield* members;
    },
    segmentVariants(L: number): number {
      checkLength(L);
      return n;
    },
    encode: (s: Schedule) => Object.freeze({ length: T, genes: Object.freeze([encodeIndex(s)]) }),
    decode(L: number, genes: readonly number[]): Schedule {
      checkLength(L);
      const g = genes[0];
      if (genes.length !== 1 || g === undefined || !Number.isSafeInteger(g) || g < 0 || g >= n) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid genes ${JSON.stringify(genes)}: a list space expects one integer in 0..${n - 1}.`,
        );
      }
      return members[g]!;
    },
    project(s: Schedule, L: number): Schedule {
      const i = encodeIndex(s);
      checkLength(L);
      return members[i]!;
    },
    describe: () => description,
  };
  return Object.freeze(space);
}
