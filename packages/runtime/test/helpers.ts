import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { ActiveBackend, ModelSource, SessionFactory } from '../src/index.js';

/** Folder of the committed stand-in models (made by tools/stand-ins/make_stand_ins.py). */
export const STAND_INS = fileURLToPath(new URL('./fixtures/stand-ins/', import.meta.url));

/** onnxruntime-node sessions on one thread (the test machine has 2 cores). */
export const sessions: SessionFactory = {
  create: (model) => ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 }),
};

/** A started backend over a session factory (default: {@link sessions}), as a platform package makes one. */
export function testBackend(factory: SessionFactory = sessions, deviceResident = false): ActiveBackend {
  return { name: 'test', description: 'onnxruntime-node cpu (test, 1 thread)', sessions: factory, deviceResident };
}

/** Files of a fixture folder. */
export function fixtureSource(dir: string): ModelSource {
  const root = `${STAND_INS}${dir}/`;
  return { readFile: async (p) => new Uint8Array(await readFile(root + p)), location: root };
}

export async function fixtureBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(STAND_INS + path));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export { ort };
