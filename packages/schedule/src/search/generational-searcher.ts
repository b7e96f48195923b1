import { ScheduleError } from '../errors.js';
import { formatSchedule, toSchedule } from '../notation.js';
import type { Schedule } from '../schedule.js';
import type { SearchContext, Searcher } from './contracts.js';

/**
 * Options of {@link createGenerationalSearcher}.
 *
 * @public
 */
export interface GenerationalSearcherOptions {
  /**
   * The searcher's name, recorded in the trial store header and used in its error messages
   * (`Invalid <name> searcher state …`). A non-empty string.
   */
  readonly name: string;
  /**
   * Make the next generation: the candidates to hand out, in order. Called only when every
   * candidate of the previous generation was proposed (or dropped), with the context of that
   * `ask`; return `[]` when nothing new is left (the search then ends).
   *
   * It must depend on the context only (the space, the history, the constraint and draws from
   * `ctx.rng`), never on state of its own: then a fresh searcher given the same history behaves
   * identically at a generation boundary, and the snapshot below is the whole state.
   */
  readonly makeGeneration: (ctx: SearchContext) => readonly Schedule[];
}

/**
 * The state of a searcher made by {@link createGenerationalSearcher}, as returned by its
 * `snapshot()`: plain JSON.
 *
 * @public
 */
export interface GenerationalSnapshot {
  /** Format version. */
  readonly version: 1;
  /** Generations made so far (the first, e.g. an initial population, counts as one). */
  readonly generation: number;
  /** Candidates of the current generation not yet proposed, in notation, in order. */
  readonly queue: readonly string[];
}

/**
 * Create a searcher that works in generations: the generational shell of the evolutionary
 * searchers, holding the queue of pending proposals, the generation count and their JSON
 * snapshot, around a function that makes one generation from the context.
 *
 * `ask(ctx, count)` first drops the queued candidates that have since been tried (are in
 * `ctx.history`), are no longer members of `ctx.space` or miss `ctx.minSpeedup`; when none is
 * left it calls `makeGeneration(ctx)`, queues what it returns and counts a generation; then it
 * hands out the first `count` queued candidates, in order. A generation is so handed out over as
 * many `ask` calls as the driver's batch size needs, never mixed with the next one, which is made
 * only once all of it has been proposed. `ask` with `count` ≤ 0 returns `[]` and changes nothing.
 *
 * The searcher has no `tell`: the generation function reads what it needs from the history.
 * `snapshot()` returns a {@link GenerationalSnapshot}; `restore(state)` takes one back, even one
 * that went through `JSON.stringify`/`JSON.parse`, after which the searcher proposes what the
 * snapshotted one would have proposed in the same contexts.
 *
 * @param options - The searcher's name and its generation function.
 * @returns A frozen `Searcher` with `name`, `ask`, `snapshot` and `restore`.
 * @throws {@link ScheduleError} `invalid-option` for a name that is not a non-empty string or a
 *   `makeGeneration` that is not a function; `restore` throws it for a state that is not a
 *   snapshot (`{ version: 1, generation: integer >= 0, queue: schedules in notation }`). `ask`
 *   lets an error of `makeGeneration` through, with the queue empty and the count unchanged.
 * @example
 * ```ts
 * import { createGenerationalSearcher, formatSchedule, type Schedule, type SearchContext } from '@flexiffusion/schedule';
 *
 * // each generation: 4 new random members of the space that meet the constraint
 * const randomGenerations = createGenerationalSearcher({
 *   name: 'random-generations',
 *   makeGeneration(ctx: SearchContext) {
 *     const taken = new Set(ctx.history.map((t) => t.schedule));
 *     const out: Schedule[] = [];
 *     for (let a = 0; a < 100 && out.length < 4; a++) {
 *       const s = ctx.space.sample(ctx.rng);
 *       const key = formatSchedule(s);
 *       if (!taken.has(key) && ctx.cost(s).speedup >= ctx.minSpeedup) {
 *         taken.add(key);
 *         out.push(s);
 *       }
 *     }
 *     return out;
 *   },
 * });
 * randomGenerations.snapshot!(); // { version: 1, generation: 0, queue: [] }
 * ```
 * @public
 */
export function createGenerationalSearcher(options: GenerationalSearcherOptions): Searcher {
  const name = options?.name;
  const makeGeneration = options?.makeGeneration;
  if (typeof name !== 'string' || name.length === 0) {
    throw new ScheduleError('invalid-option', `Invalid searcher name ${JSON.stringify(name)}: expected a non-empty string.`);
  }
  if (typeof makeGeneration !== 'function') {
    throw new ScheduleError('invalid-option', `Invalid makeGeneration ${String(makeGeneration)}: expected a function (ctx) => Schedule[].`);
  }
  let queue: Schedule[] = [];
  let generation = 0;

  const searcher: Searcher = {
    name,
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      if (count <= 0) return [];
      const tried = new Set(ctx.history.map((t) => t.schedule));
      queue = queue.filter((s) => !tried.has(formatSchedule(s)) && ctx.space.contains(s) && ctx.cost(s).speedup >= ctx.minSpeedup);
      if (queue.length === 0) {
        queue = [...makeGeneration(ctx)];
        generation++;
      }
      return Object.freeze(queue.splice(0, count));
    },
    snapshot(): GenerationalSnapshot {
      return { version: 1, generation, queue: queue.map(formatSchedule) };
    },
    restore(state: unknown): void {
      const s = state as Partial<GenerationalSnapshot> | null;
      const bad = (): ScheduleError =>
        new ScheduleError(
          'invalid-option',
          `Invalid ${name} searcher state ${JSON.stringify(state)?.slice(0, 200)}: ` +
            'expected { version: 1, generation: integer >= 0, queue: schedules in notation } from snapshot().',
        );
      if (
        typeof s !== 'object' ||
        s === null ||
        s.version !== 1 ||
        !Number.isSafeInteger(s.generation) ||
        s.generation! < 0 ||
        !Array.isArray(s.queue)
      )
        throw bad();
      let q: Schedule[];
      try {
        q = s.queue.map((key: unknown) => {
          if (typeof key !== 'string') throw bad();
          return toSchedule(key);
        });
      } catch {
        throw bad();
      }
      queue = q;
      generation = s.generation!;
    },
  };
  return Object.freeze(searcher);
}
