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

  /** @returns The header and trials, or `null` when empty. */
  async load(): Promise<{ header: SearchHeader; trials: readonly Trial[] } | null> {
    return this.header ? { header: this.header, trials: [...this.trials] } : null;
  }

  /** @param header - The header of the new search. */
  async init(header: SearchHeader): Promise<void> {
    this.header = header;
    this.trials.length = 0;
  }

  /** @param trial - A finished trial. */
  async append(trial: Trial): Promise<void> {
    this.trials.push(trial);
  }
}
