/**
 * One `flexi search` per output folder: OUT/.flexi-lock holds the owner's pid, hostname and start
 * time. It is created atomically (written under a temporary name, then hard-linked into place, which
 * fails when it exists), removed when the search ends, and taken over when its process is dead on
 * this host (a killed search does not hold the folder forever).
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliError } from './args.js';

/** The lock file's name in a search folder. */
export const LOCK_FILE = '.flexi-lock';

interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.hostname === 'string'
      ? { pid: v.pid, hostname: v.hostname, startedAt: String(v.startedAt) }
      : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Why `out` cannot be locked now (another live search holds it), or `undefined`. Reads only. */
export function lockHolder(out: string): string | undefined {
  const info = readLock(join(out, LOCK_FILE));
  if (!info) return undefined;
  if (info.hostname === hostname() && (!alive(info.pid) || info.pid === process.pid)) return undefined;
  return `process ${info.pid} on ${info.hostname} (started ${info.startedAt})`;
}

function refuse(command: string, out: string, holder: string): never {
  throw new CliError(
    'out-locked',
    `flexi ${command}: "${out}" is in use by another search: ${holder}. ` +
      `Wait for it to finish, or use another --out. If that process is gone, delete ${join(out, LOCK_FILE)}.`,
  );
}

/** Refuse (exit 2) when another live search holds `out`; nothing is written. */
export function checkUnlocked(command: string, out: string): void {
  const holder = lockHolder(out);
  if (holder) refuse(command, out, holder);
}

/**
 * Take the lock of `out` (an existing folder). A lock of a dead process on this host is taken
 * over, with a note on stderr. Returns the release function (also run on process exit).
 */
export function acquireLock(command: string, out: string): () => void {
  const path = join(out, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST' || attempt > 0) throw e;
      }
      const old = readLock(path);
      const holder = lockHolder(out);
      if (holder) refuse(command, out, holder);
      const whose = old ? `process ${old.pid} (started ${old.startedAt}), which is no longer running` : 'an unreadable lock file';
      process.stderr.write(`flexi ${command}: taking over the lock of ${whose}\n`);
      unlinkSync(path);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('out-lock', `flexi ${command}: cannot lock "${out}": ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      exitCode: 1,
    });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readLock(path)?.pid === process.pid) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return release;
}
