/**
 * Bit-identity fixtures: outputs captured before the wave-2 redesign, compared byte for byte
 * after it. `GOLDEN_WRITE=1 npx vitest run golden` rewrites the fixture (do that only when a change
 * is meant to change what the engine computes, and say so in the commit).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/** What a case's output is reduced to: its SHA-256 and a few values for a readable diff. */
export interface GoldenEntry {
  readonly sha256: string;
  readonly length: number;
  readonly head: readonly number[];
}

function entry(values: Float32Array): GoldenEntry {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), length: values.length, head: Array.from(values.slice(0, 4)) };
}

/** A fixture file of named cases. */
export class Golden {
  readonly #path: string;
  readonly #write = process.env.GOLDEN_WRITE === '1';
  readonly #stored: Record<string, GoldenEntry>;
  readonly #seen: Record<string, GoldenEntry> = {};

  constructor(path: string) {
    this.#path = path;
    this.#stored = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, GoldenEntry>) : {};
  }

  /** Compare (or, with GOLDEN_WRITE=1, record) one case. */
  check(name: string, values: Float32Array): void {
    const got = entry(values);
    this.#seen[name] = got;
    if (this.#write) return;
    const want = this.#stored[name];
    expect(want, `no golden value for ${name}: run with GOLDEN_WRITE=1 once`).toBeDefined();
    expect(got).toEqual(want);
  }

  /** Write the recorded cases (GOLDEN_WRITE=1 only). */
  save(): void {
    if (this.#write) writeFileSync(this.#path, `${JSON.stringify(this.#seen, null, 2)}\n`);
  }
}
