import {
  deepCacheSchedule,
  formatSchedule,
  scheduleFromSteps,
  scheduleSteps,
  uniformSchedule,
  type Schedule,
  type SearchSpace,
} from '@flexiffusion/schedule';

/**
 * The classic baselines that are members of a space, re-cut to its segment lengths: for every
 * divisor N of T, DDIM with T/N steps (`uniformSchedule(T, T/N)`: a full step every N steps,
 * nulls between) and DeepCache's 1:N schedule for each branch (`deepCacheSchedule(T, N, b)`),
 * each cut into segments of every length L of the space that N divides, kept when the space
 * contains it. In a `'paper'` space these are the schedules whose segments are all `F N…N`
 * or all `F P<b>…P<b>`; a `'free'` space also holds the ones with N < L.
 *
 * Used to seed the initial population of {@link evolutionarySearcher} (`seedBaselines`).
 *
 * @param space - The search space.
 * @returns The members, without repeats, by ascending N, DDIM before DeepCache, branches ascending.
 * @example
 * ```ts
 * const space = createSearchSpace({ steps: 20, segmentLengths: [5, 10], branches: 2 });
 * baselineSeeds(space).map(formatSchedule);
 * // 'F N N N N | …' (DDIM-4), 'F P0 P0 P0 P0 | …' (DeepCache N=5, b=0), 'F P1 …', then the L = 10 ones
 * ```
 * @public
 */
export function baselineSeeds(space: SearchSpace): readonly Schedule[] {
  const T = space.steps;
  const out: Schedule[] = [];
  const seen = new Set<string>();
  for (let N = 1; N <= T; N++) {
    if (T % N !== 0) continue;
    const sources = [uniformSchedule(T, T / N)];
    for (let b = 0; b < space.branches; b++) sources.push(deepCacheSchedule(T, N, b));
    for (const src of sources) {
      const steps = scheduleSteps(src);
      for (const L of space.segmentLengths) {
        if (L % N !== 0) continue;
        const s = scheduleFromSteps(steps, L);
        const key = formatSchedule(s);
        if (seen.has(key) || !space.contains(s)) continue;
        seen.add(key);
        out.push(s);
      }
    }
  }
  return Object.freeze(out);
}
