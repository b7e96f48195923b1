import { ScheduleError } from './errors.js';
import { toSchedule } from './notation.js';
import type { Rng } from './rng.js';
import { freezeSchedule, scheduleIssues, type Schedule } from './schedule.js';
import { fullStep, nullStep, partialStep, type Step } from './step.js';

/**
 * Shape of the segments of a {@link SearchSpace}.
 *
 * - `'paper'`: each segment is one `F`, then p partial steps sharing one branch b, then L−1−p
 *   nulls: 1 + (L−1)·B variants per segment, (1 + (L−1)·B)^(T/L) schedules for one L.
 * - `'free'`: each segment starts with `F`, the other L−1 steps are any of `F`, `P0..P(B−1)`,
 *   `N`: (B+2)^(L−1) variants per segment.
 * - `'open'`: every step is any of `F`, `P0..P(B−1)`, `N`, except the first step of the
 *   schedule, which is `F`: (B+2)^(T−1) schedules. Full steps may sit at any of the T timesteps
 *   (so the GITS-style and AutoDiffusion timestep subsets are members), with partial steps
 *   anywhere after the first. The segment length only cuts the steps into genes (for crossover
 *   and `encode`), so an open space takes exactly one: the first segment has (B+2)^(L−1)
 *   variants, the others (B+2)^L. `mutate` is local: it changes one step's kind, or moves one
 *   step to a neighbouring position.
 *
 * @public
 */
export type SpaceForm = 'paper' | 'free' | 'open';

/** The valid {@link SpaceForm} values. @public */
export const SPACE_FORMS: readonly SpaceForm[] = Object.freeze(['paper', 'free', 'open']);

/**
 * Options of {@link createSearchSpace}.
 *
 * @public
 */
export interface SearchSpaceOptions {
  /** T, the number of base steps. */
  readonly steps: number;
  /** The segment lengths L to search; each must divide T (exactly one in the `'open'` form). */
  readonly segmentLengths: readonly number[];
  /** B, the number of cache branches of the model (0 = no partial steps). */
  readonly branches: number;
  /** Segment form (default `'paper'`). */
  readonly form?: SpaceForm;
}

/**
 * A space of schedules. All methods are pure and return valid, frozen members of the space.
 *
 * @public
 */
export interface SearchSpace {
  /** T. */
  readonly steps: number;
  /** The segment lengths, ascending. */
  readonly segmentLengths: readonly number[];
  /** B. */
  readonly branches: number;
  /** Segment form. */
  readonly form: SpaceForm;
  /** Exact number of schedules in the space. */
  size(): bigint;
  /** Whether a schedule (object or text) is a member. Never throws. */
  contains(schedule: Schedule | string): boolean;
  /** A random member: a segment length uniformly, then each segment uniformly among its variants. */
  sample(rng: Rng): Schedule;
  /**
   * A random neighbour: changes one segment's variant, or (with several segment lengths, with
   * probability 1/4) moves the schedule to another segment length by projection. In the
   * `'open'` form, with probability ½ each: one step (not the first) changes to another kind, or
   * one step that is not null (not the first) swaps with a different neighbour (not the first).
   * Differs from the input whenever the space has more than one member.
   */
  mutate(schedule: Schedule, rng: Rng): Schedule;
  /**
   * A child of two members: each segment from either parent with probability ½ when they share a
   * segment length; otherwise one parent's length is picked and the other parent projected onto it.
   */
  crossover(a: Schedule, b: Schedule, rng: Rng): Schedule;
  /** Every member, lazily, in a stable order (ascending L, then segment variants in counter order, last segment fastest). */
  enumerate(): Generator<Schedule, void, undefined>;
  /**
   * The number of variants of a segment of length L: of segment `segment` (default 0) of the
   * schedule. All segments have the same number except in the `'open'` form, where segment 0
   * (its first step is always `F`) has (B+2)^(L−1) and the others (B+2)^L; the default is the
   * smallest, so a gene below it is valid in every segment.
   */
  segmentVariants(length: number, segment?: number): number;
  /** The variant index of each segment (the schedule's genes). @throws {@link ScheduleError} `not-in-space`. */
  encode(schedule: Schedule): {
    /** The schedule's segment length L. */
    readonly length: number;
    /** The variant index of each of its T/L segments, in order. */
    readonly genes: readonly number[];
  };
  /** The schedule of a segment length and genes. @throws {@link ScheduleError} `invalid-option` for bad genes. */
  decode(length: number, genes: readonly number[]): Schedule;
  /** Map a member onto another segment length, keeping each step kind at the same relative position. */
  project(schedule: Schedule, length: number): Schedule;
  /** A JSON description of the space. */
  describe(): {
    /** T: steps of every member. */
    readonly steps: number;
    /** The segment lengths L of the space. */
    readonly segmentLengths: readonly number[];
    /** B: number of cache branches. */
    readonly branches: number;
    /** The segment form. */
    readonly form: SpaceForm;
  };
}

function segmentOf(form: SpaceForm, L: number, B: number, gene: number, first = true): Step[] {
  if (form === 'open' && !first) return digitsOf(L, B, gene);
  const seg: Step[] = [fullStep()];
  if (form === 'paper') {
    // gene 0: F N...N ; gene 1 + (p-1)*B + b: F, p partial(b), nulls
    const p = gene === 0 ? 0 : Math.floor((gene - 1) / B) + 1;
    const b = gene === 0 ? 0 : (gene - 1) % B;
    for (let i = 1; i < L; i++) seg.push(i <= p ? partialStep(b) : nullStep());
  } else {
    seg.push(...digitsOf(L - 1, B, gene));
  }
  return seg;
}

/** n steps from the base-(B+2) digits of a gene, most significant first: 0 = F, 1 = N, 2+b = P<b>. */
function digitsOf(n: number, B: number, gene: number): Step[] {
  const radix = B + 2;
  const digits: number[] = [];
  let g = gene;
  for (let i = 0; i < n; i++) {
    digits.push(g % radix);
    g = Math.floor(g / radix);
  }
  digits.reverse();
  return digits.map((d) => (d === 0 ? fullStep() : d === 1 ? nullStep() : partialStep(d - 2)));
}

/** The gene of steps (base-(B+2) digits, most significant first), or undefined for a branch ≥ B. */
function geneOfDigits(B: number, steps: readonly Step[]): number | undefined {
  const radix = B + 2;
  let g = 0;
  for (const st of steps) {
    let d: number;
    if (st.kind === 'full') d = 0;
    else if (st.kind === 'null') d = 1;
    else {
      if (st.branch >= B) return undefined;
      d = 2 + st.branch;
    }
    g = g * radix + d;
  }
  return g;
}

function geneOf(form: SpaceForm, B: number, seg: readonly Step[], first = true): number | undefined {
  if (form === 'open' && !first) return geneOfDigits(B, seg);
  if (seg[0]?.kind !== 'full') return undefined;
  if (form === 'paper') {
    let p = 0;
    let b = -1;
    let i = 1;
    while (i < seg.length && seg[i]!.kind === 'partial') {
      const st = seg[i] as { branch: number };
      if (b === -1) b = st.branch;
      else if (st.branch !== b) return undefined;
      p++;
      i++;
    }
    for (; i < seg.length; i++) if (seg[i]!.kind !== 'null') return undefined;
    if (p === 0) return 0;
    if (b >= B) return undefined;
    return 1 + (p - 1) * B + b;
  }
  return geneOfDigits(B, seg.slice(1));
}

/**
 * Create a search space of schedules.
 *
 * @param options - T, the segment lengths, the number of cache branches and the form.
 * @returns A frozen {@link SearchSpace}.
 * @throws {@link ScheduleError} `invalid-option` naming the bad value (T not a positive integer,
 *   a segment length that does not divide T, a negative branch count, an unknown form, or a
 *   space too large to index with safe integers per segment).
 * @example
 * ```ts
 * const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
 * space.size(); // 13n ** 10n + 28n ** 5n
 * const s = space.sample(createRng(1));
 * ```
 * @public
 */
export function createSearchSpace(options: SearchSpaceOptions): SearchSpace {
  const { steps: T, branches: B } = options;
  const form = options.form ?? 'paper';
  if (!Number.isSafeInteger(T) || T < 1) {
    throw new ScheduleError('invalid-option', `Invalid steps ${String(T)}: expected a positive integer (T).`);
  }
  if (!Number.isSafeInteger(B) || B < 0) {
    throw new ScheduleError('invalid-option', `Invalid branches ${String(B)}: expected an integer >= 0.`);
  }
  if (!SPACE_FORMS.includes(form)) {
    throw new ScheduleError('invalid-option', `Unknown form ${JSON.stringify(form)}: expected one of "paper", "free", "open".`);
  }
  if (!Array.isArray(options.segmentLengths) || options.segmentLengths.length === 0) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid segmentLengths ${JSON.stringify(options.segmentLengths)}: expected a non-empty array of divisors of ${T}.`,
    );
  }
  const divisors: number[] = [];
  for (let d = 1; d <= T; d++) if (T % d === 0) divisors.push(d);
  for (const L of options.segmentLengths) {
    if (!Number.isSafeInteger(L) || L < 1 || T % L !== 0) {
      throw new ScheduleError(
        'invalid-option',
        `Invalid segment length ${String(L)}: expected a divisor of ${T} (one of ${divisors.join(', ')}).`,
      );
    }
  }
  const lengths = Object.freeze([...new Set(options.segmentLengths)].sort((a, b) => a - b));
  if (form === 'open' && lengths.length !== 1) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid segmentLengths ${JSON.stringify(options.segmentLengths)} for the "open" form: expected exactly one divisor of ${T} ` +
        '(every length cuts the same step sequences into genes).',
    );
  }
  /** Variants of segment s (the first segment of an open schedule starts with F). */
  const variantsAt = (L: number, s: number): number =>
    form === 'paper' ? 1 + (L - 1) * B : form === 'free' || s === 0 ? (B + 2) ** (L - 1) : (B + 2) ** L;
  const variants = (L: number): number => variantsAt(L, 0);
  for (const L of lengths) {
    if (!Number.isSafeInteger(variantsAt(L, 1))) {
      throw new ScheduleError(
        'invalid-option',
        `Segment length ${L} gives more than 2^53 variants per segment in the "${form}" form: use shorter segments.`,
      );
    }
  }

  const decode = (L: number, genes: readonly number[]): Schedule => {
    if (
      !lengths.includes(L) ||
      genes.length !== T / L ||
      genes.some((g, i) => !Number.isSafeInteger(g) || g < 0 || g >= variantsAt(L, i))
    ) {
      const range =
        form === 'open' && lengths.includes(L) && T / L > 1
          ? `0..${variants(L) - 1} (the first) and 0..${variantsAt(L, 1) - 1} (the others)`
          : `0..${variants(L) - 1}`;
      throw new ScheduleError(
        'invalid-option',
        `Invalid genes ${JSON.stringify(genes)} for segment length ${L}: ` +
          `expected ${lengths.includes(L) ? T / L : '?'} integers in ${range} with L one of ${lengths.join(', ')}.`,
      );
    }
    return freezeSchedule(genes.map((g, i) => segmentOf(form, L, B, g, i === 0)));
  };

  const tryEncode = (schedule: Schedule | string): { length: number; genes: number[] } | undefined => {
    let s: Schedule;
    try {
      s = typeof schedule === 'string' ? toSchedule(schedule) : schedule;
    } catch {
      return undefined;
    }
    if (scheduleIssues(s, { branches: B }).length > 0) return undefined;
    const L = s.segments[0]!.length;
    if (!lengths.includes(L) || s.segments.length * L !== T) return undefined;
    const genes: number[] = [];
    for (const [i, seg] of s.segments.entries()) {
      const g = geneOf(form, B, seg, i === 0);
      if (g === undefined) return undefined;
      genes.push(g);
    }
    return { length: L, genes };
  };

  const encode = (schedule: Schedule): { readonly length: number; readonly genes: readonly number[] } => {
    const e = tryEncode(schedule);
    if (!e) {
      throw new ScheduleError(
        'not-in-space',
        `Schedule is not a member of the space (T=${T}, L in {${lengths.join(', ')}}, B=${B}, form "${form}").`,
      );
    }
    return Object.freeze({ length: e.length, genes: Object.freeze(e.genes) });
  };

  const project = (schedule: Schedule, L: number): Schedule => {
    const { length: L0 } = encode(schedule);
    if (L0 === L) return schedule;
    if (!lengths.includes(L)) {
      throw new ScheduleError('invalid-option', `Invalid segment length ${L}: expected one of ${lengths.join(', ')}.`);
    }
    const old = schedule.segments;
    const segs: Step[][] = [];
    for (let j = 0; j < T / L; j++) {
      // the old segment covering the middle of the new one, and relative positions inside it
      const mid = j * L + Math.floor(L / 2);
      const src = old[Math.floor(mid / L0)]!;
      if (form === 'paper') {
        const g = geneOf(form, B, src)!;
        const p0 = g === 0 ? 0 : Math.floor((g - 1) / B) + 1;
        const b = g === 0 ? 0 : (g - 1) % B;
        const p = L0 === 1 ? 0 : Math.min(L - 1, Math.round((p0 * (L - 1)) / (L0 - 1)));
        segs.push(segmentOf(form, L, B, p === 0 ? 0 : 1 + (p - 1) * B + b));
      } else {
        const seg: Step[] = [fullStep()];
        for (let i = 1; i < L; i++) {
          const k = L0 === 1 ? 0 : Math.min(L0 - 1, Math.max(1, Math.round((i * (L0 - 1)) / (L - 1))));
          seg.push(src[k] ?? nullStep());
        }
        segs.push(seg);
      }
    }
    return freezeSchedule(segs);
  };

  const size = (): bigint => {
    let n = 0n;
    for (const L of lengths) n += BigInt(variants(L)) * BigInt(variantsAt(L, 1)) ** BigInt(T / L - 1);
    return n;
  };

  /** The open form's local move: one step changes kind, or one non-null step swaps with a different neighbour. */
  const mutateOpen = (schedule: Schedule, L: number, rng: Rng): Schedule => {
    const steps = schedule.segments.flat();
    const kinds = [fullStep(), nullStep(), ...Array.from({ length: B }, (_, b) => partialStep(b))];
    const token = (st: Step): string => (st.kind === 'partial' ? `P${st.branch}` : st.kind);
    const swaps: [number, number][] = [];
    if (rng.bool()) {
      for (let i = 1; i < T; i++) {
        if (steps[i]!.kind === 'null') continue;
        for (const j of [i - 1, i + 1]) if (j >= 1 && j < T && token(steps[j]!) !== token(steps[i]!)) swaps.push([i, j]);
      }
    }
    const next = [...steps];
    if (swaps.length > 0) {
      const [i, j] = rng.pick(swaps);
      [next[i], next[j]] = [next[j]!, next[i]!];
    } else {
      const i = 1 + rng.int(T - 1);
      const others = kinds.filter((k) => token(k) !== token(steps[i]!));
      next[i] = rng.pick(others);
    }
    const segs: Step[][] = [];
    for (let k = 0; k < T; k += L) segs.push(next.slice(k, k + L));
    return freezeSchedule(segs);
  };

  const space: SearchSpace = {
    steps: T,
    segmentLengths: lengths,
    branches: B,
    form,
    size,
    contains: (s) => tryEncode(s) !== undefined,
    segmentVariants(L: number, segment = 0): number {
      if (!lengths.includes(L)) {
        throw new ScheduleError('invalid-option', `Invalid segment length ${L}: expected one of ${lengths.join(', ')}.`);
      }
      if (!Number.isSafeInteger(segment) || segment < 0 || segment >= T / L) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid segment ${String(segment)} for segment length ${L}: expected an integer in 0..${T / L - 1}.`,
        );
      }
      return variantsAt(L, segment);
    },
    encode,
    decode,
    project,
    sample(rng: Rng): Schedule {
      const L = rng.pick(lengths);
      return decode(
        L,
        Array.from({ length: T / L }, (_, i) => rng.int(variantsAt(L, i))),
      );
    },
    mutate(schedule: Schedule, rng: Rng): Schedule {
      const { length: L, genes } = encode(schedule);
      if (size() <= 1n) return schedule;
      if (form === 'open') return mutateOpen(schedule, L, rng);
      const others = lengths.filter((l) => l !== L);
      const V = variants(L);
      if (others.length > 0 && (V === 1 || rng.int(4) === 0)) {
        const target = rng.pick(others);
        const projected = project(schedule, target);
        // projection of a one-gene-type schedule may equal nothing new; it is always a different L, hence different
        return projected;
      }
      const next = [...genes];
      const i = rng.int(next.length);
      const shift = 1 + rng.int(V - 1);
      next[i] = (next[i]! + shift) % V;
      return decode(L, next);
    },
    crossover(a: Schedule, b: Schedule, rng: Rng): Schedule {
      const ea = encode(a);
      const eb = encode(b);
      if (ea.length === eb.length) {
        return decode(
          ea.length,
          ea.genes.map((g, i) => (rng.bool() ? g : eb.genes[i]!)),
        );
      }
      const L = rng.bool() ? ea.length : eb.length;
      const pa = encode(project(a, L)).genes;
      const pb = encode(project(b, L)).genes;
      return decode(
        L,
        pa.map((g, i) => (rng.bool() ? g : pb[i]!)),
      );
    },
    *enumerate(): Generator<Schedule, void, undefined> {
      for (const L of lengths) {
        const n = T / L;
        const genes = new Array<number>(n).fill(0);
        for (;;) {
          yield decode(L, genes);
          let k = n - 1;
          while (k >= 0 && genes[k] === variantsAt(L, k) - 1) {
            genes[k] = 0;
            k--;
          }
          if (k < 0) break;
          genes[k]!++;
        }
      }
    },
    describe: () => Object.freeze({ steps: T, segmentLengths: lengths, branches: B, form }),
  };
  return Object.freeze(space);
}
