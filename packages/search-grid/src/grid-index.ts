import { ScheduleError, type Schedule, type SearchSpace } from '@flexiffusion/schedule';

/** @internal One segment length's block of the enumeration order. */
export interface GridBlock {
  readonly length: number;
  /** The number of variants of each segment (`segmentVariants(L, s)`), first segment first. */
  readonly radices: readonly bigint[];
  readonly count: bigint;
}

/**
 * The number of members of each segment length's block, in the space's order, checked against
 * `space.size()`.
 *
 * @internal
 */
export function gridBlocks(space: SearchSpace): GridBlock[] {
  const blocks = space.segmentLengths.map((L) => {
    const radices = Array.from({ length: space.steps / L }, (_, s) => BigInt(space.segmentVariants(L, s)));
    return { length: L, radices, count: radices.reduce((n, r) => n * r, 1n) };
  });
  const total = blocks.reduce((n, b) => n + b.count, 0n);
  const size = space.size();
  if (total !== size) {
    throw new ScheduleError(
      'invalid-option',
      `The space's size() ${size} is not the sum over its segment lengths of the product of segmentVariants(L, s) over the segments s (${total}): ` +
        'the grid needs a space whose members are indexed by per-segment genes, such as createSearchSpace() or listSpace() makes.',
    );
  }
  return blocks;
}

/**
 * The member of a space at a position of its enumeration order, computed directly by mixed-radix
 * arithmetic (no iteration): ascending segment length L, then the genes as the digits of a
 * mixed-radix number (segment s has `segmentVariants(L, s)` values), most significant segment first. `gridScheduleAt(space, i)` is
 * the i-th schedule that `space.enumerate()` yields.
 *
 * @param space - A space whose `size()` is Σ over L of the product over its segments s of
 *   `segmentVariants(L, s)` (every space
 *   made by `createSearchSpace` or {@link listSpace}).
 * @param index - Position, 0 ≤ index < `space.size()`.
 * @returns The member at that position.
 * @throws ScheduleError `invalid-option` when the index is out of
 *   range or the space is not indexed by per-segment genes.
 * @example
 * ```ts
 * const space = createSearchSpace({ steps: 50, segmentLengths: [5, 10], branches: 3 });
 * formatSchedule(gridScheduleAt(space, 0n)); // 'F N N N N | F N N N N | …' (all genes 0)
 * gridScheduleAt(space, space.size() - 1n); // the last member, without enumerating 10^11 others
 * ```
 * @public
 */
export function gridScheduleAt(space: SearchSpace, index: bigint | number): Schedule {
  return scheduleAtIndex(space, gridBlocks(space), toBigInt('index', index));
}

/** @internal {@link gridScheduleAt} with precomputed blocks. */
export function scheduleAtIndex(space: SearchSpace, blocks: readonly GridBlock[], index: bigint): Schedule {
  let i = index;
  const size = blocks.reduce((n, b) => n + b.count, 0n);
  if (i < 0n || i >= size) {
    throw new ScheduleError(
      'invalid-option',
      `Invalid grid index ${i}: expected an integer in 0..${size - 1n} (the space has ${size} members).`,
    );
  }
  for (const b of blocks) {
    if (i < b.count) {
      const genes = new Array<number>(b.radices.length).fill(0);
      for (let d = b.radices.length - 1; d >= 0; d--) {
        genes[d] = Number(i % b.radices[d]!);
        i /= b.radices[d]!;
      }
      return space.decode(b.length, genes);
    }
    i -= b.count;
  }
  /* c8 ignore next */
  throw new ScheduleError('invalid-option', `Invalid grid index ${index}.`);
}

/**
 * The position of a member in its space's enumeration order: the inverse of {@link gridScheduleAt}.
 *
 * @param space - A space indexed by per-segment genes (see {@link gridScheduleAt}).
 * @param schedule - A member of the space.
 * @returns Its index, 0 ≤ index < `space.size()`.
 * @throws ScheduleError `not-in-space` for a non-member,
 *   `invalid-option` for a space not indexed by per-segment genes.
 * @example
 * ```ts
 * gridIndexOf(space, gridScheduleAt(space, 12345n)); // 12345n
 * ```
 * @public
 */
export function gridIndexOf(space: SearchSpace, schedule: Schedule): bigint {
  const blocks = gridBlocks(space);
  const { length, genes } = space.encode(schedule);
  let offset = 0n;
  for (const b of blocks) {
    if (b.length === length) {
      let i = 0n;
      genes.forEach((g, d) => {
        i = i * b.radices[d]! + BigInt(g);
      });
      return offset + i;
    }
    offset += b.count;
  }
  /* c8 ignore next */
  throw new ScheduleError('not-in-space', `Segment length ${length} is not one of the space's lengths ${space.segmentLengths.join(', ')}.`);
}

/** @internal Convert a number or bigint option to a bigint, rejecting non-integers. */
export function toBigInt(name: string, v: bigint | number): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new ScheduleError('invalid-option', `Invalid ${name} ${String(v)}: expected a safe integer or a bigint.`);
}
