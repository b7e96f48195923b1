import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, 'fixtures');

export interface FixtureSet {
  readonly file: string;
  readonly dtype: 'float32' | 'float16';
  readonly count: number;
}

export interface FrechetCase {
  readonly name: string;
  readonly dim: number;
  readonly a: FixtureSet;
  readonly b: FixtureSet;
  readonly fid_pytorch: number;
  readonly fid_eigh: number;
  readonly tr_sqrt_pytorch: number;
  readonly mean_diff_sq: number;
  readonly trace_a: number;
  readonly trace_b: number;
  readonly mean_sum_a: number;
  readonly cov_sum_a: number;
  readonly cov_frob_a: number;
  readonly kid: {
    readonly subset_size: number;
    readonly subsets: [number[], number[]][];
    readonly values: number[];
    readonly mean: number;
    readonly std: number;
  };
  readonly mean_a?: number[];
  readonly cov_a_diag?: number[];
}

export function frechetCases(): FrechetCase[] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'frechet', 'frechet.json'), 'utf8')) as { cases: FrechetCase[] }).cases;
}

/** IEEE half → float (exact). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Features of one set, as float32 (float16 files are widened exactly). */
export function loadSet(set: FixtureSet, dim: number): Float32Array {
  const buf = readFileSync(join(FIXTURES, 'frechet', set.file));
  const n = set.count * dim;
  if (set.dtype === 'float32') {
    if (buf.length !== 4 * n) throw new Error(`bad fixture size ${set.file}`);
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(buf);
    return out;
  }
  if (buf.length !== 2 * n) throw new Error(`bad fixture size ${set.file}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(buf[2 * i]! | (buf[2 * i + 1]! << 8));
  return out;
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}
