import type { SearchHeader, Trial, TrialStore } from './contracts.js';

/**
 * A {@link TrialStore} in memory: fine for tests and for searches that need not survive the
 * process. Runtime packages ship file-backed stores.
 *
 * @example
 * ```ts
 * const store = new MemoryTrialStore();
 * await runSearch({ ..., store });
 * store.trials; // every finished trial
 * ```
 * @public
 */
export class MemoryTrialStore implements TrialStore {
  /** The stored header, once the search started. */
  header: SearchHeader | undefined;
  /** The stored trials, in order. */
  readonly trials: Trial[] = [];

  /**
   * Read what the store holds.
   *
   * @returns The header and trials, or `null` when empty.
   */
  async load(): Promise<{
    /** The stored header. */
    header: SearchHeader;
    /** A copy of the stored trials, in order. */
    trials: readonly Trial[];
  } | null> {
    return this.header ? { header: this.header, trials: [...this.trials] } : null;
  }

  /**
   * Start a new search: keep its header and drop any stored trials.
   *
   * @param header - The header of the new search.
   */
  async init(header: SearchHeader): Promise<void> {
    this.header = header;
    this.trials.length = 0;
  }

  /**
   * Store one finished trial (in memory: durable for the life of the process).
   *
   * @param trial - A finished trial.
   */
  async append(trial: Trial): Promise<void> {
    this.trials.push(trial);
  }
}
