import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelSource } from '../src/index.js';

/** Folder of the committed export stand-ins (made by tools/stand-ins/make_export_stand_ins.py). */
export const EXPORTS = fileURLToPath(new URL('./fixtures/exports/', import.meta.url));

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Every file of an export stand-in, by its '/'-separated path in the folder. */
export async function exportFiles(name: string): Promise<Map<string, Uint8Array>> {
  const root = join(EXPORTS, name);
  const files = new Map<string, Uint8Array>();
  for (const p of await walk(root)) files.set(relative(root, p).split(sep).join('/'), new Uint8Array(await readFile(p)));
  return files;
}

/** A source over files in memory: a missing path rejects like a file system's ENOENT; every read is logged. */
export function memorySource(files: ReadonlyMap<string, Uint8Array>, location = '/models/stand-in'): ModelSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    location,
    reads,
    readFile: async (p) => {
      reads.push(p);
      const bytes = files.get(p);
      if (!bytes) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return bytes;
    },
  };
}

/** An export stand-in in memory, with files replaced (a value) or removed (`null`). */
export async function editedExport(name: string, edits: Readonly<Record<string, Uint8Array | string | object | null>> = {}) {
  const files = await exportFiles(name);
  for (const [path, value] of Object.entries(edits)) {
    if (value === null) files.delete(path);
    else if (value instanceof Uint8Array) files.set(path, value);
    else files.set(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return memorySource(files, `/models/${name}`);
}

/** A JSON file of a stand-in, parsed. */
export async function exportJson(name: string, path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(EXPORTS, name, path), 'utf8')) as Record<string, unknown>;
}
