/**
 * Golden-output fixtures: outputs captured before the wave-2 redesign, compared after it, so a
 * refactor of the engine cannot change what it computes. Each case keeps the output's SHA-256 and
 * the values themselves (float32, base64). The same bits pass at once; other bits pass when every
 * value is within {@link GOLDEN_TOLERANCE} of the recorded one, relative to the output's largest
 * magnitude: onnxruntime's CPU kernels (MLAS) pick their code path by the processor's instruction set
 * (AVX2, AVX-512, …), so the last bits of a float32 convolution differ from one machine to the next,
 * while any change to the engine's arithmetic (a wrong coefficient, step or branch) moves values by
 * far more. `GOLDEN_WRITE=1 npx vitest run golden` rewrites the fixture (do that only when a change is
 * meant to change what the engine computes, and say so in the commit).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * Largest accepted |got − recorded| over an output, as a fraction of its largest recorded magnitude
 * (between an AVX-512 machine and the one the fixtures were first captured on, their first values
 * differ by at most 5e-7 of it; a guidance scale of 2.001 instead of 2 moves the tiny UNet's DDIM case
 * by 1.8e-4 of it).
 */
export const GOLDEN_TOLERANCE = 1e-5;

/** What a case's output is stored as: its SHA-256, length, first values (for a readable diff) and all values. */
export interface GoldenEntry {
  readonly sha256: string;
  readonly length: number;
  readonly head: readonly number[];
  /** Every value, float32 little-endian, base64. */
  readonly values: string;
}

function entry(values: Float32Array): GoldenEntry {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    length: values.length,
    head: Array.from(values.slice(0, 4)),
    values: bytes.toString('base64'),
  };
}

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
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
    expect(want!.values, `golden value for ${name} has no stored values: run with GOLDEN_WRITE=1 once`).toBeTypeOf('string');
    expect(got.length, `${name}: length`).toBe(want!.length);
    if (got.sha256 === want!.sha256) return;
    const recorded = decode(want!.values);
    let scale = 0;
    for (const v of recorded) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    let at = 0;
    for (let i = 0; i < recorded.length; i++) {
      const d = Math.abs(values[i]! - recorded[i]!);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    const relative = worst / Math.max(scale, 1e-30);
    expect(
      relative,
      `${name}: value ${at} is ${values[at]}, recorded ${recorded[at]} (|Δ| = ${worst.toExponential(2)}, ${relative.toExponential(2)} of the largest magnitude ${scale.toPrecision(4)}; tolerance ${GOLDEN_TOLERANCE})`,
    ).toBeLessThanOrEqual(GOLDEN_TOLERANCE);
  }

  /** Write the recorded cases (GOLDEN_WRITE=1 only), to a temporary file renamed into place. */
  save(): void {
    if (!this.#write) return;
    const tmp = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#seen, null, 2)}\n`);
    renameSync(tmp, this.#path);
  }
}
