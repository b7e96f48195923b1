import { describe, expect, it } from 'vitest';
import { SAMPLERS, alphasCumprod, applyGuidance, getSampler, predictionToEpsilon, RuntimeError } from '../src/index.js';

const ac = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });

describe('alphasCumprod', () => {
  it("matches diffusers' float32 values (linear betas 1e-4..0.02, 1000 steps)", () => {
    // torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float32), 0)
    const expected: [number, number][] = [
      [0, 0.9998999834060669],
      [1, 0.9997800588607788],
      [499, 0.07858724147081375],
      [998, 4.118194556212984e-5],
      [999, 4.0358307160204276e-5],
    ];
    for (const [t, v] of expected) expect(ac[t]! / v).toBeCloseTo(1, 5);
  });

  it('supports scaled_linear and squaredcos_cap_v2', () => {
    const sl = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 });
    expect(sl[0]).toBeCloseTo(1 - 0.00085, 8);
    const cos = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'squaredcos_cap_v2', betaStart: 0.0001, betaEnd: 0.02 });
    expect(cos[999]).toBeGreaterThan(0);
    expect(cos[999]).toBeLessThan(1e-3);
  });

  it('names the valid schedules on a bad one', () => {
    expect(() => alphasCumprod({ trainTimesteps: 10, betaSchedule: 'cosine' as never, betaStart: 0.1, betaEnd: 0.2 })).toThrow(
      /Should be one of: "linear", "scaled_linear", "squaredcos_cap_v2"/,
    );
  });
});

describe('DDIM', () => {
  const x = Float32Array.from([0.5, -1.0, 2.0]);
  const eps = Float32Array.from([0.1, -0.3, 0.7]);
  // Values computed with diffusers' DDIMScheduler.step formulas in torch float32.
  it('matches precomputed diffusers values (eta 0)', () => {
    const s = SAMPLERS.ddim.init({ alphasCumprod: ac });
    const a = SAMPLERS.ddim.step(s, { sample: x, eps, timestep: 980, nextTimestep: 960 });
    [0.5867246985435486, -1.1517672538757324, 2.2818524837493896].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    const b = SAMPLERS.ddim.step(s, { sample: x, eps, timestep: 0, nextTimestep: -1 });
    [0.4990248680114746, -0.9970496296882629, 1.9930990934371948].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
  });

  it('matches precomputed diffusers values (eta 1, given noise)', () => {
    const s = SAMPLERS.ddim.init({ alphasCumprod: ac, eta: 1 });
    expect(SAMPLERS.ddim.stochastic({ alphasCumprod: ac, eta: 1 })).toBe(true);
    const noise = Float32Array.from([0.3, -0.2, 1.1]);
    const a = SAMPLERS.ddim.step(s, { sample: x, eps, timestep: 500, nextTimestep: 480, noise });
    [0.6575285792350769, -1.1262576580047607, 2.526007890701294].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
  });
});

describe('DPM-Solver++ 2M', () => {
  /**
   * Reference: diffusers' DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint,
   * lower_order_final, final_sigmas_type "zero") written out with its sigma parametrisation:
   * sigma = sqrt((1 - ac) / ac), alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha_t.
   */
  function reference(x0: Float64Array, timesteps: number[], epsFn: (x: Float64Array, t: number) => Float64Array): Float64Array {
    const sigmas = [...timesteps.map((t) => Math.sqrt((1 - ac[t]!) / ac[t]!)), 0];
    const conv = (s: number): [number, number] => {
      const alpha = 1 / Math.sqrt(s * s + 1);
      return [alpha, s * alpha];
    };
    let x = x0;
    const outs: Float64Array[] = [];
    let lowerOrderNums = 0;
    for (let i = 0; i < timesteps.length; i++) {
      const [aS0, sS0] = conv(sigmas[i]!);
      const eps = epsFn(x, timesteps[i]!);
      const m0 = x.map((v, j) => (v - sS0 * eps[j]!) / aS0);
      outs.push(m0);
      const lowerOrderFinal = i === timesteps.length - 1; // final_sigmas_type "zero"
      const [aT, sT] = conv(sigmas[i + 1]!);
      const lambdaT = Math.log(aT) - Math.log(sT);
      const lambdaS0 = Math.log(aS0) - Math.log(sS0);
      const h = lambdaT - lambdaS0;
      if (lowerOrderNums < 1 || lowerOrderFinal) {
        x = x.map((v, j) => (sT / sS0) * v - aT * (Math.exp(-h) - 1) * m0[j]!);
      } else {
        const [aS1, sS1] = conv(sigmas[i - 1]!);
        const lambdaS1 = Math.log(aS1) - Math.log(sS1);
        const m1 = outs[outs.length - 2]!;
        const r0 = (lambdaS0 - lambdaS1) / h;
        x = x.map((v, j) => {
          const d1 = (1 / r0) * (m0[j]! - m1[j]!);
          return (sT / sS0) * v - aT * (Math.exp(-h) - 1) * m0[j]! - 0.5 * (aT * (Math.exp(-h) - 1)) * d1;
        });
      }
      if (lowerOrderNums < 2) lowerOrderNums++;
    }
    return x;
  }

  it('matches the diffusers reference on an arbitrary decreasing sub-sequence ending at x0', () => {
    const timesteps = [999, 870, 640, 500, 333, 120, 40, 0];
    const epsFn = (x: ArrayLike<number>, t: number): Float64Array =>
      Float64Array.from(x, (v, j) => Math.tanh(0.7 * v + 0.001 * t * (j % 3 === 0 ? 1 : -1)));
    const start = Float64Array.from({ length: 12 }, (_, j) => Math.sin(j + 1) * 1.3);
    const ref = reference(start, timesteps, epsFn);
    const sampler = getSampler('dpmpp-2m');
    const state = sampler.init({ alphasCumprod: ac });
    let x: Float32Array = Float32Array.from(start);
    timesteps.forEach((t, i) => {
      const eps = Float32Array.from(epsFn(x, t));
      x = sampler.step(state, { sample: x, eps, timestep: t, nextTimestep: timesteps[i + 1] ?? -1 });
    });
    for (let j = 0; j < x.length; j++) expect(x[j]! - ref[j]!).toBeCloseTo(0, 4);
  });
});

describe('helpers', () => {
  it('applyGuidance is eps_u + w (eps_c - eps_u)', () => {
    expect([...applyGuidance(Float32Array.from([1, 2]), Float32Array.from([3, 0]), 2)]).toEqual([5, -2]);
  });

  it('predictionToEpsilon converts v and x0 predictions', () => {
    const a = ac[300]!;
    const x = Float32Array.from([0.4, -1.2]);
    const eps = Float32Array.from([0.9, 0.1]);
    const x0 = x.map((v, i) => (v - Math.sqrt(1 - a) * eps[i]!) / Math.sqrt(a));
    const v = eps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * x0[i]!);
    const fromV = predictionToEpsilon(v, x, a, 'v_prediction');
    const fromX0 = predictionToEpsilon(x0, x, a, 'sample');
    for (let i = 0; i < 2; i++) {
      expect(fromV[i]).toBeCloseTo(eps[i]!, 5);
      expect(fromX0[i]).toBeCloseTo(eps[i]!, 4);
    }
  });

  it('getSampler names the valid samplers', () => {
    expect(() => getSampler('euler')).toThrow(RuntimeError);
    expect(() => getSampler('euler')).toThrow('Unsupported sampler: "euler". Should be one of: "ddim", "dpmpp-2m", "dpmpp-3m", "unipc".');
  });
});
