import {
  ScheduleError,
  formatSchedule,
  toSchedule,
  type Schedule,
  type SearchContext,
  type SearchSpace,
  type Searcher,
} from '@flexiffusion/schedule';
import { gridBlocks, gridIndexOf, scheduleAtIndex, toBigInt } from './grid-index.js';

/**
 * Options of {@link gridSearcher}.
 *
 * @public
 */
export interface GridSearcherOptions {
  /**
   * Visit every `stride`-th member of the enumeration order (default 1: every member). With a
   * stride the grid is the exact subset of indices `start, start + stride, start + 2·stride, …`
   * below `size()`; it is decoded by mixed-radix arithmetic, so a stride over a space of 10^11
   * members costs nothing per skipped member.
   */
  readonly stride?: bigint | number;
  /** Index of the first grid point (default 0); must be below the space's size. */
  readonly start?: bigint | number;
  /**
   * Grid points one `ask` may look at (default 1,000,000) while skipping points that miss the
   * speed-up constraint or were already tried. When it finds none within that many, `ask`
   * throws rather than scanning a huge infeasible region for ever.
   */
  readonly maxScan?: number;
}

/**
 * The state of a {@link gridSearcher}, as returned by `snapshot()`: plain JSON.
 *
 * @public
 */
export interface GridSearcherSnapshot {
  /** Format version. */
  readonly version: 1;
  /** The stride, as a decimal string. */
  readonly stride: string;
  /** The start index, as a decimal string. */
  readonly start: string;
  /** The next grid index to look at, as a decimal string, or `null` before the first `ask`. */
  readonly cursor: string | null;
}

const DEFAULT_MAX_SCAN = 1_000_000;

/**
 * Create a grid searcher: proposes the members of the space in its enumeration order
 * (`space.enumerate()`: ascending segment length, then genes in counter order), or the exact
 * strided subset `start + j·stride`, skipping the ones below `ctx.minSpeedup` and the ones
 * already in the history. Returns `[]` once the grid is done, which ends the search.
 *
 * The cursor (the next index to look at) is kept inside the searcher and saved by `snapshot()`;
 * a fresh searcher derives it from the history alone: one stride past the largest grid index
 * already tried. Replaying the same history through it (as `runSearch` does on resume) gives the
 * same proposals.
 *
 * @param options - Stride, start index and scan limit; see {@link GridSearcherOptions}.
 * @returns A `Searcher` named `'grid'`, with `snapshot`/`restore`.
 * @throws ScheduleError `invalid-option` for a stride below 1, a negative start, or a `maxScan`
 *   that is not a positive integer; from `ask`, for a start beyond the space, a space not
 *   indexed by per-segment genes, or `maxScan` points scanned without a candidate.
 * @example
 * ```ts
 * import { createSearchSpace, runSearch } from '@flexiffusion/schedule';
 * import { gridSearcher } from '@flexiffusion/search-grid';
 * const space = createSearchSpace({ steps: 12, segmentLengths: [4, 6], branches: 2 });
 * // 7^3 + 11^2 = 464 members: evaluate every feasible one
 * await runSearch({ space, searcher: gridSearcher(), evaluator, costProfile, trials: 464, minSpeedup: 2 });
 * // every 1000th member of a huge space
 * gridSearcher({ stride: 1000n, start: 7n });
 * ```
 * @public
 */
export function gridSearcher(options: GridSearcherOptions = {}): Searcher {
  const stride = toBigInt('stride', options.stride ?? 1);
  const start = toBigInt('start', options.start ?? 0);
  const maxScan = options.maxScan ?? DEFAULT_MAX_SCAN;
  if (stride < 1n) throw new ScheduleError('invalid-option', `Invalid stride ${stride}: expected an integer >= 1.`);
  if (start < 0n)
    throw new ScheduleError(
      'invalid-option',
      `Invalid start ${start}: expected an integer >= 0 (an index into the space's enumeration order).`,
    );
  if (!Number.isSafeInteger(maxScan) || maxScan < 1) {
    throw new ScheduleError('invalid-option', `Invalid maxScan ${String(maxScan)}: expected an integer >= 1.`);
  }
  let cursor: bigint | undefined;
  const indexCache = new WeakMap<SearchSpace, Map<string, bigint | null>>();

  /** One stride past the largest grid index in the history (or `start`). */
  const cursorFromHistory = (ctx: SearchContext): bigint => {
    let cache = indexCache.get(ctx.space);
    if (!cache) indexCache.set(ctx.space, (cache = new Map()));
    let next = start;
    for (const t of ctx.history) {
      let idx = cache.get(t.schedule);
      if (idx === undefined) {
        idx = null;
        if (ctx.space.contains(t.schedule)) {
          const i = gridIndexOf(ctx.space, toSchedule(t.schedule));
          if (i >= start && (i - start) % stride === 0n) idx = i;
        }
        cache.set(t.schedule, idx);
      }
      if (idx !== null && idx + stride > next) next = idx + stride;
    }
    return next;
  };

  const searcher: Searcher = {
    name: 'grid',
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      const blocks = gridBlocks(ctx.space);
      const size = ctx.space.size();
      if (start >= size) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid start ${start}: expected an index in 0..${size - 1n} (the space has ${size} members).`,
        );
      }
      const fromHistory = cursorFromHistory(ctx);
      let idx = cursor === undefined || fromHistory > cursor ? fromHistory : cursor;
      const out: Schedule[] = [];
      if (count <= 0) return out;
      const tried = new Set(ctx.history.map((t) => t.schedule));
      const from = idx;
      let scanned = 0;
      while (out.length < count && idx < size && scanned < maxScan) {
        const s = scheduleAtIndex(ctx.space, blocks, idx);
        idx += stride;
        scanned++;
        const key = formatSchedule(s);
        if (tried.has(key) || ctx.cost(s).speedup < ctx.minSpeedup) continue;
        tried.add(key);
        out.push(s);
      }
      cursor = idx;
      if (out.length === 0 && idx < size) {
        throw new ScheduleError(
          'invalid-option',
          `gridSearcher scanned maxScan = ${maxScan} grid points from index ${from} (stride ${stride}) ` +
            `without one that is new and meets minSpeedup ${ctx.minSpeedup}: ` +
            'use a larger stride, a lower minSpeedup, or a larger maxScan (an integer >= 1).',
        );
      }
      return out;
    },
    snapshot(): GridSearcherSnapshot {
      return { version: 1, stride: String(stride), start: String(start), cursor: cursor === undefined ? null : String(cursor) };
    },
    restore(state: unknown): void {
      const s = state as Partial<GridSearcherSnapshot> | null;
      if (
        typeof s !== 'object' ||
        s === null ||
        s.version !== 1 ||
        s.stride !== String(stride) ||
        s.start !== String(start) ||
        !(s.cursor === null || (typeof s.cursor === 'string' && /^\d+$/.test(s.cursor)))
      ) {
        throw new ScheduleError(
          'invalid-option',
          `Invalid grid searcher state ${JSON.stringify(state)}: ` +
            `expected { version: 1, stride: "${stride}", start: "${start}", cursor: null or a decimal index } ` +
            'from snapshot() of a grid searcher with the same options.',
        );
      }
      cursor = s.cursor === null ? undefined : BigInt(s.cursor);
    },
  };
  return Object.freeze(searcher);
}
