/**
 * `m` distinct integers from [0, n), in random order (partial Fisher–Yates).
 *
 * @internal
 */
export function sampleWithoutReplacement(n: number, m: number, random: () => number): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(random() * (n - i)));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, m);
}
