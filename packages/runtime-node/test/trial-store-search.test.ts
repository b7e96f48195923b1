import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryTrialStore,
  createSearchSpace,
  formatSchedule,
  runSearch,
  type Evaluator,
  type Searcher,
  type Trial,
} from '@flexiffusion/schedule';
import { describe, expect, it } from 'vitest';
import { FileTrialStore } from '../src/index.js';

const costProfile = { fullMacs: 100, partialMacs: [30, 60] };
const space = createSearchSpace({ steps: 6, segmentLengths: [3], branches: 2 });

/** Proposes the space in enumeration order. */
function firstOnes(): Searcher {
  return {
    name: 'first-ones',
    ask(ctx, count) {
      const seen = new Set(ctx.history.map((t) => t.schedule));
      const out = [];
      for (const s of ctx.space.enumerate()) {
        if (out.length === count) break;
        if (!seen.has(formatSchedule(s))) out.push(s);
      }
      return out;
    },
  };
}

const evaluator: Evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true as const, objective: formatSchedule(s).length / 10 }));
  },
};

const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...t }) => t);

describe('FileTrialStore with runSearch', () => {
  it('resumes an interrupted search to the same trials as an uninterrupted one', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'flexi-search-')), 'run');
    const base = { space, evaluator, costProfile, trials: 8, batchSize: 2, seed: 3 };
    const ac = new AbortController();
    let finished = 0;
    await expect(
      runSearch({
        ...base,
        searcher: firstOnes(),
        store: new FileTrialStore(dir),
        signal: ac.signal,
        onProgress: () => ++finished === 3 && ac.abort(),
      }),
    ).rejects.toThrow();
    const partial = await new FileTrialStore(dir).load();
    expect(partial!.trials.length).toBeGreaterThanOrEqual(3);
    expect(partial!.trials.length).toBeLessThan(8);
    await runSearch({ ...base, searcher: firstOnes(), store: new FileTrialStore(dir) });
    const memory = new MemoryTrialStore();
    await runSearch({ ...base, searcher: firstOnes(), store: memory });
    expect(strip((await new FileTrialStore(dir).load())!.trials)).toEqual(strip(memory.trials));
  });
});
