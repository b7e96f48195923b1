import { expect } from 'vitest';
import {
  createRng,
  formatSchedule,
  scheduleCost,
  type CostProfile,
  type Rng,
  type Schedule,
  type SearchContext,
  type SearchSpace,
  type Searcher,
  type Trial,
} from '@flexiffusion/schedule';

/** A synthetic objective for tests: cheaper schedules are worse, plus a deterministic wobble. */
export function syntheticObjective(s: Schedule, profile: CostProfile): number {
  const key = formatSchedule(s);
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return scheduleCost(s, profile).speedup + (h % 1000) / 1000;
}

export interface DriveOptions {
  readonly space: SearchSpace;
  readonly costProfile: CostProfile;
  readonly seed?: number;
  readonly rng?: Rng;
  readonly minSpeedup?: number;
  readonly rounds: number;
  readonly batch: number;
  readonly history?: readonly Trial[];
}

/**
 * A synchronous stand-in for runSearch that asserts the searcher invariants on every ask:
 * at most `batch` candidates, all members of the space, all meeting the constraint, none a
 * duplicate of the history or of the same batch.
 */
export function drive(searcher: Searcher, o: DriveOptions): { history: Trial[]; proposed: string[]; done: boolean; rng: Rng } {
  const rng = o.rng ?? createRng(o.seed ?? 0);
  const minSpeedup = o.minSpeedup ?? 1;
  const history: Trial[] = [...(o.history ?? [])];
  const proposed: string[] = [];
  const cost = (s: Schedule) => scheduleCost(s, o.costProfile);
  const ctx = (): SearchContext => Object.freeze({ space: o.space, history: Object.freeze([...history]), rng, minSpeedup, cost });
  let done = false;
  for (let r = 0; r < o.rounds; r++) {
    const out = searcher.ask(ctx(), o.batch);
    if (out.length === 0) {
      done = true;
      break;
    }
    expect(out.length).toBeLessThanOrEqual(o.batch);
    const keys = out.map(formatSchedule);
    expect(new Set(keys).size).toBe(keys.length);
    const tried = new Set(history.map((t) => t.schedule));
    const trials: Trial[] = out.map((s, i) => {
      expect(o.space.contains(s)).toBe(true);
      const c = cost(s);
      expect(c.speedup).toBeGreaterThanOrEqual(minSpeedup);
      expect(tried.has(keys[i]!)).toBe(false);
      return Object.freeze({
        number: history.length + i,
        schedule: keys[i]!,
        state: 'complete' as const,
        objective: syntheticObjective(s, o.costProfile),
        cost: { macs: c.macs, speedup: c.speedup },
        durationMs: 0,
      });
    });
    proposed.push(...keys);
    history.push(...trials);
    searcher.tell?.(trials, ctx());
  }
  return { history, proposed, done, rng };
}
