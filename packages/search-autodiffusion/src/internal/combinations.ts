import type { Rng } from '@flexiffusion/schedule';

/**
 * Binomial coefficients C(m, j) for m ≤ n, j ≤ r, by Pascal's rule in doubles. An entry whose true
 * value is at most 2^53 is exact (its two addends are smaller, hence exact too); larger entries are
 * rounded but stay ≥ 2^53, so comparisons against ranks below 2^53 remain correct.
 *
 * @internal
 */
export function binomialTable(n: number, r: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let m = 0; m <= n; m++) {
    const row = new Float64Array(r + 1);
    row[0] = 1;
    for (let j = 1; j <= r; j++) row[j] = m === 0 ? 0 : rows[m - 1]![j - 1]! + rows[m - 1]![j]!;
    rows.push(row);
  }
  return rows;
}

/** C(n, r) exactly, as a bigint. @internal */
export function binomialBig(n: number, r: number): bigint {
  if (r < 0 || r > n) return 0n;
  const s = Math.min(r, n - r);
  let out = 1n;
  for (let i = 1; i <= s; i++) out = (out * BigInt(n - s + i)) / BigInt(i);
  return out;
}

/**
 * The colexicographic rank of an ascending combination c_0 < … < c_{r−1} of 0..n−1:
 * Σ C(c_i, i + 1). Rank 0 is 0, 1, …, r − 1.
 *
 * @internal
 */
export function rankCombination(table: readonly Float64Array[], combo: readonly number[]): number {
  let rank = 0;
  for (let i = 0; i < combo.length; i++) rank += table[combo[i]!]![i + 1]!;
  return rank;
}

/** The ascending combination of r elements of 0..n−1 with a colex rank (inverse of {@link rankCombination}). @internal */
export function unrankCombination(table: readonly Float64Array[], n: number, r: number, rank: number): number[] {
  const out = new Array<number>(r);
  let rest = rank;
  let c = n - 1;
  for (let i = r - 1; i >= 0; i--) {
    while (table[c]![i + 1]! > rest) c--;
    out[i] = c;
    rest -= table[c]![i + 1]!;
    c--;
  }
  return out;
}

/**
 * The colex successor of an ascending combination of r elements of 0..n−1, in place; false after
 * the last one (n − r, …, n − 1).
 *
 * @internal
 */
export function nextCombination(combo: number[], n: number): boolean {
  const r = combo.length;
  for (let i = 0; i < r; i++) {
    const limit = i + 1 < r ? combo[i + 1]! : n;
    if (combo[i]! + 1 < limit) {
      combo[i]!++;
      for (let j = 0; j < i; j++) combo[j] = j;
      return true;
    }
  }
  return false;
}

/** r distinct elements of `pool` drawn uniformly (partial Fisher–Yates on a copy), ascending. @internal */
export function drawSubset(pool: readonly number[], r: number, rng: Rng): number[] {
  const a = [...pool];
  for (let i = 0; i < r; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, r).sort((x, y) => x - y);
}
