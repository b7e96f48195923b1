import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { StatsCache } from '@flexiffusion/metrics';

/** Write a file atomically: temp file in the same folder, then rename. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Write a value as indented JSON, atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Read a JSON file (its type is the caller's claim). */
export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Default cache folder: node_modules/.cache/flexiffusion under the working folder, else ~/.cache/flexiffusion. */
export function defaultCacheDir(): string {
  const nm = resolve('node_modules');
  return existsSync(nm) ? join(nm, '.cache', 'flexiffusion') : join(homedir(), '.cache', 'flexiffusion');
}

/** A {@link StatsCache} of files named by the (hashed) key in a folder; writes are atomic. */
export function fileStatsCache(dir: string): StatsCache {
  const path = (key: string) => join(dir, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`);
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(path(key)));
      } catch {
        return undefined;
      }
    },
    async set(key, bytes) {
      await writeAtomic(path(key), bytes);
    },
  };
}
