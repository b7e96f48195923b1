import { open, readFile, rename, mkdir, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '@flexiffusion/runtime';
import type { SearchHeader, Trial, TrialStore } from '@flexiffusion/schedule';

/** File names inside a {@link FileTrialStore} folder. @public */
export const TRIAL_STORE_FILES = Object.freeze({
  /** The search's header, written once (temp file, fsync, rename). */
  header: 'header.json',
  /** One JSON line per finished trial, appended and fsynced. */
  trials: 'trials.jsonl',
});

async function fsyncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // some file systems do not allow syncing a directory; the rename is still atomic
  }
}

function isTrial(v: unknown): v is Trial {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return (
    typeof t['number'] === 'number' &&
    typeof t['schedule'] === 'string' &&
    (t['state'] === 'complete' || t['state'] === 'failed' || t['state'] === 'pruned')
  );
}

/**
 * A {@link TrialStore} in a folder, so a search resumes after a crash with nothing lost:
 * `header.json` (written once, via a temporary file and an atomic rename) and `trials.jsonl`
 * (one JSON line per finished trial, appended with a full line and an fsync before `append`
 * resolves). On load a torn last line — a crash in the middle of a write — is dropped and cut off
 * the file; damage before the last line is an error.
 *
 * @example
 * ```ts
 * const store = new FileTrialStore('runs/search-1');
 * await runSearch({ ..., store }); // resumes when runs/search-1 already holds trials
 * ```
 * @public
 */
export class FileTrialStore implements TrialStore {
  /** The folder. */
  readonly dir: string;
  #chain: Promise<void> = Promise.resolve();

  /**
   * @param dir - Folder of the store (created on `init`).
   */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Path of the header file. */
  get headerPath(): string {
    return join(this.dir, TRIAL_STORE_FILES.header);
  }

  /** Path of the trial log. */
  get trialsPath(): string {
    return join(this.dir, TRIAL_STORE_FILES.trials);
  }

  /**
   * Read the header and the trials.
   *
   * @returns `null` when the folder holds no search yet.
   * @throws {@link @flexiffusion/runtime!RuntimeError} `corrupt-file` for an unreadable header or a damaged line before the last.
   */
  async load(): Promise<{
    /** The stored header. */
    readonly header: SearchHeader;
    /** The finished trials, in order (a torn last line dropped). */
    readonly trials: readonly Trial[];
  } | null> {
    await this.#chain;
    let headerText: string;
    try {
      headerText = await readFile(this.headerPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let header: SearchHeader;
    try {
      header = JSON.parse(headerText) as SearchHeader;
    } catch (cause) {
      throw new RuntimeError('corrupt-file', `The trial store header ${this.headerPath} is not valid JSON: ${String(cause)}.`, { cause });
    }
    let text = '';
    try {
      text = await readFile(this.trialsPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const trials: Trial[] = [];
    const lines = text.split('\n');
    const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines;
    let goodBytes = 0;
    for (let i = 0; i < complete.length; i++) {
      const line = complete[i]!;
      const last = i === complete.length - 1;
      const torn = last && !text.endsWith('\n');
      let parsed: unknown;
      try {
        parsed = line === '' ? undefined : JSON.parse(line);
      } catch (cause) {
        if (torn || last) break;
        throw new RuntimeError(
          'corrupt-file',
          `Line ${i + 1} of ${this.trialsPath} is not valid JSON (and is not the last line): ${String(cause)}.`,
          { cause },
        );
      }
      if (torn) break; // parsed, but its newline never made it: treat as not written
      if (parsed !== undefined) {
        if (!isTrial(parsed)) {
          if (last) break;
          throw new RuntimeError('corrupt-file', `Line ${i + 1} of ${this.trialsPath} is not a trial: ${line.slice(0, 80)}.`);
        }
        trials.push(parsed);
      }
      goodBytes += Buffer.byteLength(line, 'utf8') + 1;
    }
    if (goodBytes < Buffer.byteLength(text, 'utf8')) await truncate(this.trialsPath, goodBytes);
    return { header, trials };
  }

  /**
   * Start a new search: write the header (temp file + fsync + rename) and an empty trial log.
   *
   * @param header - The search header.
   * @throws {@link @flexiffusion/runtime!RuntimeError} `invalid-option` when the folder already holds a search.
   */
  async init(header: SearchHeader): Promise<void> {
    await this.#chain;
    await mkdir(this.dir, { recursive: true });
    const exists = await stat(this.headerPath).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new RuntimeError(
        'invalid-option',
        `The trial store ${this.dir} already holds a search (${TRIAL_STORE_FILES.header}): load it to resume, or use a new folder.`,
      );
    }
    const h = await open(this.trialsPath, 'w');
    await h.sync();
    await h.close();
    const tmp = `${this.headerPath}.${process.pid}.tmp`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(`${JSON.stringify(header, null, 2)}\n`);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.headerPath);
    await fsyncDir(this.dir);
  }

  /**
   * Append one finished trial: open the log with 'a', write one full line, fsync, close.
   * Appends are serialized in call order.
   *
   * @param trial - The trial.
   * @returns Resolves once the line is on disk.
   */
  append(trial: Trial): Promise<void> {
    const line = `${JSON.stringify(trial)}\n`;
    const next = this.#chain.then(async () => {
      const h = await open(this.trialsPath, 'a');
      try {
        await h.write(line);
        await h.sync();
      } finally {
        await h.close();
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
