import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import {
  MemoryTrialStore,
  ScheduleError,
  bestTrial,
  createSearchSpace,
  formatSchedule,
  paretoFront,
  runSearch,
  scheduleCost,
  type EvaluationResult,
  type Evaluator,
  type Schedule,
  type Searcher,
  type Trial,
} from '../src/index.js';

const costProfile = { fullMacs: 100, partialMacs: [30, 60] };
const space = createSearchSpace({ steps: 12, segmentLengths: [3, 4, 6], branches: 2 });

/** A deterministic stand-in objective: fewer evaluated steps and shallower branches cost quality. */
function fakeQuality(s: Schedule): number {
  const c = scheduleCost(s, costProfile);
  return 1 / c.speedup + (formatSchedule(s).length % 7) / 100;
}

function countingEvaluator(opts: { failOn?: (s: string) => boolean; abortAfter?: { n: number; ctrl: AbortController } } = {}) {
  const calls: string[] = [];
  const evaluator: Evaluator = {
    async evaluate(schedules, options = {}) {
      const out: EvaluationResult[] = [];
      for (const [i, s] of schedules.entries()) {
        if (options.signal?.aborted) throw new Error('aborted');
        const key = formatSchedule(s);
        calls.push(key);
        const r: EvaluationResult = opts.failOn?.(key)
          ? { ok: false, reason: 'boom' }
          : { ok: true, objective: fakeQuality(s), metrics: { kid: 0.5 } };
        out.push(r);
        options.onResult?.(i, r);
        if (opts.abortAfter && calls.length >= opts.abortAfter.n) opts.abortAfter.ctrl.abort(new Error('stop'));
        await Promise.resolve();
      }
      return out;
    },
  };
  return { evaluator, calls };
}

/** A deterministic searcher: random samples from the driver's RNG (so replay is exact). */
const sampler: Searcher = {
  name: 'sampler',
  ask(ctx, count) {
    return Array.from({ length: count }, () => ctx.space.sample(ctx.rng));
  },
};

describe('runSearch', () => {
  it('evaluates up to the budget, prunes infeasible and duplicate candidates', async () => {
    const { evaluator, calls } = countingEvaluator();
    const r = await runSearch({ space, searcher: sampler, evaluator, costProfile, trials: 20, minSpeedup: 2, seed: 3, batchSize: 4 });
    const evaluated = r.trials.filter((t) => t.state !== 'pruned');
    expect(evaluated).toHaveLength(20);
    expect(calls).toHaveLength(20);
    expect(new Set(calls).size).toBe(20);
    for (const t of r.trials) {
      if (t.state === 'complete') expect(t.cost.speedup).toBeGreaterThanOrEqual(2);
      if (t.state === 'pruned') expect(t.reason).toMatch(/below the minimum|duplicate/);
    }
    expect(r.trials.map((t) => t.number)).toEqual(r.trials.map((_, i) => i));
    expect(r.best).toEqual(bestTrial(r.trials, 2));
    expect(r.stopReason).toBe('budget');
  });

  it('records failures and keeps going', async () => {
    const { evaluator } = countingEvaluator({ failOn: (s) => s.includes('P1') });
    const r = await runSearch({ space, searcher: sampler, evaluator, costProfile, trials: 15, seed: 1 });
    const failed = r.trials.filter((t) => t.state === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((t) => t.reason === 'boom' && t.schedule.includes('P1'))).toBe(true);
    expect(r.best?.schedule.includes('P1')).toBe(false);
  });

  it('a searcher with nothing to propose ends the search', async () => {
    const { evaluator } = countingEvaluator();
    const none: Searcher = { name: 'none', ask: () => [] };
    const r = await runSearch({ space, searcher: none, evaluator, costProfile, trials: 5 });
    expect(r.stopReason).toBe('exhausted');
    expect(r.trials).toHaveLength(0);
  });

  it('stops when only duplicates come back', async () => {
    const { evaluator } = countingEvaluator();
    const same: Searcher = { name: 'same', ask: () => [space.decode(3, [0, 0, 0, 0])] };
    const r = await runSearch({ space, searcher: same, evaluator, costProfile, trials: 5, maxIdleRounds: 3 });
    expect(r.stopReason).toBe('idle');
    expect(r.trials.filter((t) => t.state === 'complete')).toHaveLength(1);
  });

  it('resumes after an abort with nothing lost and nothing evaluated twice', async () => {
    const store = new MemoryTrialStore();
    const ctrl = new AbortController();
    const first = countingEvaluator({ abortAfter: { n: 7, ctrl } });
    const opts = { space, searcher: sampler, costProfile, trials: 16, minSpeedup: 1.5, seed: 9, batchSize: 5 };
    await expect(runSearch({ ...opts, evaluator: first.evaluator, store, signal: ctrl.signal })).rejects.toMatchObject({ code: 'aborted' });
    const kept = store.trials.filter((t) => t.state !== 'pruned').map((t) => t.schedule);
    expect(kept).toEqual(first.calls.slice(0, kept.length));
    expect(kept.length).toBeGreaterThanOrEqual(6);

    const second = countingEvaluator();
    const resumed = await runSearch({ ...opts, evaluator: second.evaluator, store });
    for (const s of second.calls) expect(kept).not.toContain(s);
    expect(resumed.replayed).toBe(kept.length);

    const straight = countingEvaluator();
    const reference = await runSearch({ ...opts, evaluator: straight.evaluator });
    const strip = (ts: readonly Trial[]) => ts.map(({ durationMs: _d, ...rest }) => rest);
    expect(strip(resumed.trials)).toEqual(strip(reference.trials));
    expect([...first.calls.slice(0, kept.length), ...second.calls]).toEqual(straight.calls);
  });

  it('refuses to resume a different search', async () => {
    const store = new MemoryTrialStore();
    const { evaluator } = countingEvaluator();
    await runSearch({ space, searcher: sampler, evaluator, costProfile, trials: 3, seed: 1, store });
    await expect(runSearch({ space, searcher: sampler, evaluator, costProfile, trials: 3, seed: 2, store })).rejects.toMatchObject({
      code: 'resume-mismatch',
    });
  });

  it('validates its options', async () => {
    const { evaluator } = countingEvaluator();
    await expect(runSearch({ space, searcher: sampler, evaluator, costProfile, trials: -1 })).rejects.toThrow(/trials -1/);
    await expect(
      runSearch({ space, searcher: sampler, evaluator, costProfile: { fullMacs: 1, partialMacs: [1] }, trials: 1 }),
    ).rejects.toBeInstanceOf(ScheduleError);
  });
});

const arbTrial = fc.record({
  speedup: fc.double({ min: 1, max: 10, noNaN: true }),
  objective: fc.double({ min: 0, max: 100, noNaN: true }),
});

describe('paretoFront', () => {
  fcTest.prop([fc.array(arbTrial, { maxLength: 40 })])('no trial dominates a front member, every non-member is dominated', (raw) => {
    const trials: Trial[] = raw.map((r, i) => ({
      number: i,
      schedule: `t${i}`,
      state: 'complete',
      objective: r.objective,
      cost: { macs: 1, speedup: r.speedup },
      durationMs: 0,
    }));
    const front = paretoFront(trials);
    const dominates = (a: Trial, b: Trial) =>
      a.cost.speedup >= b.cost.speedup && a.objective! <= b.objective! && (a.cost.speedup > b.cost.speedup || a.objective! < b.objective!);
    for (const f of front) for (const t of trials) expect(dominates(t, f)).toBe(false);
    for (const t of trials) {
      if (!front.includes(t))
        expect(
          trials.some(
            (o) => dominates(o, t) || (o !== t && o.cost.speedup === t.cost.speedup && o.objective === t.objective && front.includes(o)),
          ),
        ).toBe(true);
    }
    for (let i = 1; i < front.length; i++) expect(front[i]!.cost.speedup).toBeGreaterThan(front[i - 1]!.cost.speedup);
  });
});
