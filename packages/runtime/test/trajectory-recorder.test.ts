import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SAMPLER_NAMES, alphasCumprod, getSampler, recordTrajectory, type SamplerDefinition } from '../src/index.js';

const ac = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });

/** Run `sampler` over `timesteps` on `x` with the given ε per update; the x after every update. */
function run(sampler: SamplerDefinition<unknown>, x0: Float32Array, timesteps: number[], eps: Float32Array[]): Float32Array[] {
  const state = sampler.init({ alphasCumprod: sampler.alphasCumprod?.(ac) ?? ac, updates: timesteps.length });
  const out: Float32Array[] = [];
  let x = x0;
  timesteps.forEach((t, i) => {
    x = sampler.step(state, { sample: x, eps: eps[i]!, timestep: t, nextTimestep: timesteps[i + 1] ?? -1 });
    out.push(x);
  });
  return out;
}

const trajectory = fc.record({
  size: fc.integer({ min: 1, max: 6 }),
  steps: fc.integer({ min: 1, max: 8 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  sampler: fc.constantFrom(...SAMPLER_NAMES),
});

function inputs({ size, steps, seed }: { size: number; steps: number; seed: number }) {
  let s = seed + 1;
  const rand = () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  };
  const x = Float32Array.from({ length: size }, rand);
  const eps = Array.from({ length: steps }, () => Float32Array.from({ length: size }, rand));
  const stride = Math.floor(1000 / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => 999 - i * stride);
  return { x, eps, timesteps };
}

describe('recordTrajectory', () => {
  test.prop([trajectory])('returns exactly what the wrapped sampler returns', (p) => {
    const { x, eps, timesteps } = inputs(p);
    const base = getSampler(p.sampler);
    const rec = recordTrajectory(base);
    expect(run(rec.sampler, x, timesteps, eps)).toEqual(run(base, x, timesteps, eps));
    expect(rec.sampler.stochastic({ alphasCumprod: ac })).toBe(base.stochastic({ alphasCumprod: ac }));
    expect(rec.sampler.alphasCumprod?.(ac)).toEqual(base.alphasCumprod?.(ac));
  });

  test.prop([trajectory])('records the initial x, every ε (copies) and every timestep of each batch', (p) => {
    const { x, eps, timesteps } = inputs(p);
    let calls = 0;
    const rec = recordTrajectory(getSampler(p.sampler), { onStep: (done) => expect(done).toBe(++calls) });
    run(rec.sampler, x, timesteps, eps);
    run(
      rec.sampler,
      x.map((v) => -v),
      timesteps,
      eps,
    );
    expect(calls).toBe(2 * timesteps.length);
    expect(rec.batches).toHaveLength(2);
    const [first, second] = rec.batches;
    expect(first!.x).toEqual(x);
    expect(second!.x).toEqual(x.map((v) => -v));
    expect(first!.timesteps).toEqual(timesteps);
    expect(first!.eps).toEqual(eps);
    // copies: the caller's arrays may be reused
    eps[0]!.fill(42);
    expect(first!.eps[0]).not.toEqual(eps[0]);
  });

  it('keeps the config of the last init and drops batches that never stepped', () => {
    const rec = recordTrajectory(getSampler('ddim'));
    expect(rec.alphasCumprod).toBeUndefined();
    expect(rec.finalAlphaCumprod).toBe(1);
    rec.sampler.init({ alphasCumprod: ac, finalAlphaCumprod: ac[0]! });
    expect(rec.alphasCumprod).toBe(ac);
    expect(rec.finalAlphaCumprod).toBe(ac[0]);
    expect(rec.batches).toHaveLength(0);
    expect(rec.sampler.name).toBe('ddim-recording');
  });
});
