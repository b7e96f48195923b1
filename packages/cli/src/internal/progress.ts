/**
 * A one-line progress bar with ETA on stderr. On a TTY it redraws in place; otherwise it prints
 * a line at most every `minIntervalMs` and at the end, so logs stay readable.
 */
export interface ProgressBar {
  update(done: number, note?: string): void;
  done(note?: string): void;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  readonly label: string;
  readonly total: number;
  readonly stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

/** A duration as `m:ss` or `h:mm:ss` (`--:--` when unknown). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** A {@link ProgressBar} on stderr (or `options.stream`). */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = Boolean(stream.isTTY);
  const minInterval = options.minIntervalMs ?? (tty ? 100 : 10_000);
  const start = now();
  let last = -Infinity;
  let lastDone = 0;
  const render = (done: number, note: string | undefined, final: boolean): string => {
    const total = Math.max(options.total, 1);
    const frac = Math.min(1, Math.max(0, done / total));
    const elapsed = now() - start;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const time = final ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    return `${options.label} ${bar} ${done}/${options.total} ${(frac * 100).toFixed(0)}% ${time}${note ? `  ${note}` : ''}`;
  };
  return {
    update(done, note) {
      lastDone = done;
      const t = now();
      if (t - last < minInterval && done < options.total) return;
      last = t;
      const line = render(done, note, false);
      if (tty) {
        const cols = 'columns' in stream && stream.columns ? stream.columns : 120;
        stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
      } else stream.write(`${line}\n`);
    },
    done(note) {
      const line = render(lastDone, note, true);
      stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
