import type { Rng } from '@flexiffusion/schedule';

/**
 * AutoDiffusion's mutation (`get_mutation` / `mutate_init_x` of search_ea.py): each kept step is
 * replaced, with probability `p`, by a step drawn from those not kept, without replacement; the
 * loop stops when none is left. Steps 1..T−1 only (step 0 is always kept). Returns ascending genes.
 *
 * @internal
 */
export function mutateGenes(genes: readonly number[], steps: number, p: number, rng: Rng): number[] {
  const kept = new Set(genes);
  const free: number[] = [];
  for (let i = 1; i < steps; i++) if (!kept.has(i)) free.push(i);
  const out = [...genes];
  for (let i = 0; i < out.length; i++) {
    if (free.length === 0) break;
    if (rng.bool(p)) out[i] = free.splice(rng.int(free.length), 1)[0]!;
  }
  return out.sort((a, b) => a - b);
}

/**
 * AutoDiffusion's crossover (`get_cross`): position i of the child comes from either parent's
 * sorted list with probability ½. The child can repeat a step (when the parents' lists are
 * shifted against each other); AutoDiffusion then samples a shorter sequence, here such a child is
 * returned as `undefined` and the caller draws again.
 *
 * @internal
 */
export function crossGenes(a: readonly number[], b: readonly number[], rng: Rng): number[] | undefined {
  const out = a.map((g, i) => (rng.bool(0.5) ? g : b[i]!));
  out.sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) if (out[i] === out[i - 1]) return undefined;
  return out;
}
