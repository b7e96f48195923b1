/**
 * `unipc` and `dpmpp-3m` beyond the reference numbers (multistep-reference.test.ts): invariants
 * over arbitrary timestep sub-sequences and noise predictions (fast-check), convergence on a
 * Gaussian toy whose ε-model is perfect, the scheduler-config mapping, and a run through a model.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  RuntimeError,
  SAMPLERS,
  SAMPLER_NAMES,
  alphasCumprod,
  gaussianNoise,
  getSampler,
  openModel,
  parseSchedulerConfig,
  planSettings,
  type SamplerConfig,
  type SamplerName,
  type SamplerStepInput,
} from '../src/index.js';
import { fixtureSource, maxAbsDiff, testBackend } from './helpers.js';

const LINEAR = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
const SD = alphasCumprod({ trainTimesteps: 1000, betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 });
const MULTISTEP = ['unipc', 'dpmpp-3m'] as const;
const N = 24;

type EpsFn = (x: Float32Array, t: number, k: number) => { eps: Float32Array; x0?: Float32Array };

/** Walk `timesteps` (decreasing; the last update goes to `end`, default −1) with a fresh state; every update's output. */
function walk(
  name: SamplerName,
  timesteps: readonly number[],
  start: Float32Array,
  model: EpsFn,
  settings: Partial<SamplerConfig> = {},
  end = -1,
): Float32Array[] {
  const sampler = getSampler(name);
  const config = { alphasCumprod: sampler.alphasCumprod?.(settings.alphasCumprod ?? SD) ?? SD, updates: timesteps.length, ...settings };
  const state = sampler.init(config);
  const outs: Float32Array[] = [];
  let x = start;
  timesteps.forEach((t, k) => {
    const input: SamplerStepInput = { sample: x, ...model(x, t, k), timestep: t, nextTimestep: timesteps[k + 1] ?? end };
    x = sampler.step(state, input);
    outs.push(x);
  });
  return outs;
}

/** A made-up but deterministic ε-model: smooth in x, varying with t and the position, seeded. */
function noisyModel(seed: number): EpsFn {
  const wobble = gaussianNoise(seed, N);
  return (x, t) => ({ eps: Float32Array.from(x, (v, i) => Math.tanh(0.6 * v + 0.3 * wobble[i]! * Math.cos(t / 150))) });
}

function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / scale;
}

/** Decreasing timestep sub-sequences of 0..999, as a 'skip' plan's evaluated steps are. */
const subsequence = (minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength, maxLength }).map((ts) => [...ts].sort((a, b) => b - a));
const start = (seed: number): Float32Array => gaussianNoise(seed + 1, N);

describe('invariants (fast-check)', () => {
  fcTest.prop([fc.constantFrom(...MULTISTEP), subsequence(1, 16), fc.nat(1000), fc.constantFrom('zero', 'sigma_min' as const)])(
    'deterministic: a fresh state on the same inputs gives the same bits, finite',
    (name, ts, seed, final) => {
      const a = walk(name, ts, start(seed), noisyModel(seed), { finalSigmasType: final });
      const b = walk(name, ts, start(seed), noisyModel(seed), { finalSigmasType: final });
      expect(a).toEqual(b);
      for (const x of a) expect(x.every(Number.isFinite)).toBe(true);
    },
  );

  fcTest.prop([fc.constantFrom(...MULTISTEP), subsequence(2, 10), fc.nat(1000)])(
    'a state belongs to one run: two runs interleaved step by step give what each gives alone',
    (name, ts, seed) => {
      const sampler = getSampler(name);
      const config = { alphasCumprod: SD, updates: ts.length };
      const [s1, s2] = [sampler.init(config), sampler.init(config)];
      const [m1, m2] = [noisyModel(seed), noisyModel(seed + 7)];
      let [x1, x2] = [start(seed), start(seed + 7)];
      ts.forEach((t, k) => {
        const next = ts[k + 1] ?? -1;
        x1 = sampler.step(s1, { sample: x1, ...m1(x1, t, k), timestep: t, nextTimestep: next });
        x2 = sampler.step(s2, { sample: x2, ...m2(x2, t, k), timestep: t, nextTimestep: next });
      });
      expect(x1).toEqual(walk(name, ts, start(seed), m1).at(-1));
      expect(x2).toEqual(walk(name, ts, start(seed + 7), m2).at(-1));
    },
  );

  fcTest.prop([fc.constantFrom(...MULTISTEP), subsequence(1, 12), fc.nat(1000)])(
    'order never exceeds the history: the first update is DDIM (η = 0), whatever follows',
    (name, ts, seed) => {
      const first = walk(name, ts, start(seed), noisyModel(seed))[0]!;
      const ddim = walk('ddim', ts.slice(0, 1), start(seed), noisyModel(seed), {}, ts[1] ?? -1)[0]!;
      expect(relative(first, ddim)).toBeLessThan(1e-5);
    },
  );

  fcTest.prop([subsequence(1, 20), fc.nat(1000), fc.constantFrom('zero', 'sigma_min' as const)])(
    'dpmpp-3m: the first two updates are dpmpp-2m bit for bit (history of 1, 2); with ≤ 4 updates all of them are',
    (ts, seed, final) => {
      const three = walk('dpmpp-3m', ts, start(seed), noisyModel(seed), { finalSigmasType: final });
      // 2M on the same inputs: feed it the samples 3M produced, so both see the same x at every step
      const two = getSampler('dpmpp-2m');
      const state = two.init({ alphasCumprod: SD, updates: ts.length, finalSigmasType: final });
      const model = noisyModel(seed);
      let x = start(seed);
      ts.forEach((t, k) => {
        const y = two.step(state, { sample: x, ...model(x, t, k), timestep: t, nextTimestep: ts[k + 1] ?? -1 });
        // 3M lowers to 2M's orders: steps 0, 1 always; every step when < 15 updates leave no room for order 3 (≤ 4)
        if (k < 2 || ts.length <= 4 || (final === 'zero' && k === ts.length - 1)) expect(y).toEqual(three[k]);
        x = three[k]!;
      });
    },
  );

  fcTest.prop([fc.constantFrom(...MULTISTEP), subsequence(1, 16), fc.nat(1000), fc.boolean()])(
    'the update to σ = 0 is the x0 of the last model output (lowerOrderFinal or not: no inf / NaN)',
    (name, ts, seed, lowerOrderFinal) => {
      const model = noisyModel(seed);
      const sampler = getSampler(name);
      const state = sampler.init({ alphasCumprod: SD, updates: ts.length, lowerOrderFinal });
      let x = start(seed);
      ts.forEach((t, k) => {
        const input = { sample: x, ...model(x, t, k), timestep: t, nextTimestep: ts[k + 1] ?? -1 };
        x = sampler.step(state, input);
        if (k === ts.length - 1) {
          const a = SD[t]!;
          const x0 = Float32Array.from(input.sample, (v, i) => (v - Math.sqrt(1 - a) * input.eps[i]!) / Math.sqrt(a));
          expect(x).toEqual(x0);
        }
      });
    },
  );

  fcTest.prop([fc.constantFrom(...MULTISTEP), subsequence(1, 16), fc.nat(1000)])(
    'exact when the data prediction is constant: the ODE solution σ_e/σ_T·x_T + (α_e − σ_e·α_T/σ_T)·c',
    (name, ts, seed) => {
      // x0 given (as for v- and x0-predicting models), so every history difference is exactly 0
      const c = gaussianNoise(seed + 3, N);
      const model: EpsFn = (x, t) => {
        const a = SD[t]!;
        return { eps: Float32Array.from(x, (v, i) => (v - Math.sqrt(a) * c[i]!) / Math.sqrt(1 - a)), x0: c };
      };
      const x = walk(name, ts, start(seed), model, { finalSigmasType: 'sigma_min' }).at(-1)!;
      const [aT, aE] = [SD[ts[0]!]!, SD[0]!];
      const [alphaT, sigmaT, alphaE, sigmaE] = [Math.sqrt(aT), Math.sqrt(1 - aT), Math.sqrt(aE), Math.sqrt(1 - aE)];
      const want = Float64Array.from(start(seed), (v, i) => (sigmaE / sigmaT) * v + (alphaE - (sigmaE * alphaT) / sigmaT) * c[i]!);
      expect(relative(x, want)).toBeLessThan(1e-5);
    },
  );
});

describe('convergence with a perfect ε-model of a Gaussian toy (x0 ~ N(0, ½²))', () => {
  // ε(x, t) = E[ε | x_t] = √(1−ᾱ)·x / (ᾱ·s² + 1 − ᾱ); the probability-flow ODE maps x_T to
  // x_e = x_T·c(ᾱ_e)/c(ᾱ_T), c(ᾱ) = √(ᾱ·s² + 1 − ᾱ). Timesteps about uniform in λ from 999 to 60, the last
  // update to t = 60 (to σ = 0 the last update is x0 = E[x0 | x], which is not the ODE's end point).
  const s2 = 0.25;
  const perfect: EpsFn = (x, t) => {
    const a = SD[t]!;
    return { eps: Float32Array.from(x, (v) => (Math.sqrt(1 - a) * v) / (a * s2 + 1 - a)) };
  };
  const lambda = (t: number): number => 0.5 * Math.log(SD[t]! / (1 - SD[t]!));
  function grid(T: number): number[] {
    const out: number[] = [];
    for (let k = 0; k <= T; k++) {
      const target = lambda(999) + ((lambda(60) - lambda(999)) * k) / T;
      let best = 0;
      for (let t = 0; t < 1000; t++) if (Math.abs(lambda(t) - target) < Math.abs(lambda(best) - target)) best = t;
      if (out.at(-1) !== best) out.push(best);
    }
    return out;
  }
  const x0 = Float32Array.from({ length: N }, (_, i) => -2 + (4 * i) / (N - 1));
  const c = (a: number): number => Math.sqrt(a * s2 + 1 - a);
  function error(name: SamplerName, T: number): number {
    const ts = grid(T);
    const x = walk(name, ts.slice(0, -1), x0, perfect, {}, ts.at(-1)!).at(-1)!;
    return relative(
      x,
      Float64Array.from(x0, (v) => (v * c(SD[ts.at(-1)!]!)) / c(SD[999]!)),
    );
  }
  const steps = [10, 20, 40, 80];

  it.each(['unipc', 'dpmpp-3m', 'dpmpp-2m', 'ddim'] as const)('%s: the error falls as the steps grow', (name) => {
    const errors = steps.map((T) => error(name, T));
    console.log(`${name.padEnd(9)} relative error at T = ${steps.join(', ')}: ${errors.map((e) => e.toExponential(2)).join(', ')}`);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
    // DDIM is first order (a factor ~4 from T = 20 to 80); the multistep ones at least second order (≥ 16)
    const gain = errors[1]! / errors[3]!;
    if (name === 'ddim') expect(gain).toBeGreaterThan(3);
    else expect(gain).toBeGreaterThan(16);
  });

  it('unipc and dpmpp-3m are an order of magnitude closer than DDIM at T = 20 and beyond', () => {
    for (const T of [20, 40, 80]) {
      const ddim = error('ddim', T);
      for (const name of MULTISTEP) expect(error(name, T)).toBeLessThan(ddim / 10);
    }
  });
});

describe('names, timesteps and zero SNR', () => {
  it('are built-ins with a name, a summary and no noise', () => {
    expect(SAMPLER_NAMES).toEqual(['ddim', 'dpmpp-2m', 'dpmpp-3m', 'unipc']);
    for (const name of MULTISTEP) {
      expect(getSampler(name)).toBe(SAMPLERS[name]);
      expect(SAMPLERS[name].name).toBe(name);
      expect(SAMPLERS[name].stochastic({ alphasCumprod: SD, eta: 1 })).toBe(false);
    }
    expect(() => getSampler('unipc-3')).toThrow(RuntimeError);
  });

  it("run on the scheduler block's dpmSolverTimesteps, as dpmpp-2m (DPM-Solver's grid: diffusers' UniPC has the same set_timesteps)", () => {
    const s = { timestepSpacing: 'linspace', stepsOffset: 0, dpmSolverTimesteps: 'dpm-solver' } as const;
    for (const name of MULTISTEP) {
      expect(planSettings(s, name).grid).toBe('dpm-solver');
      expect(planSettings(s, SAMPLERS[name]).grid).toBe('dpm-solver');
      expect(planSettings(s, { ...SAMPLERS[name], name: 'mine' }).grid).toBe('ddim');
      expect(planSettings({}, name).grid).toBe('ddim');
    }
  });

  it('use 2^-24 for a zero terminal ᾱ, as diffusers', () => {
    const zero = alphasCumprod({
      trainTimesteps: 1000,
      betaSchedule: 'scaled_linear',
      betaStart: 0.00085,
      betaEnd: 0.012,
      rescaleBetasZeroSnr: true,
    });
    for (const name of MULTISTEP) {
      expect(SAMPLERS[name].alphasCumprod!(zero)[999]).toBe(2 ** -24);
      expect(SAMPLERS[name].alphasCumprod!(LINEAR)).toBe(LINEAR);
    }
  });

  it('name a timestep outside the table', () => {
    const s = SAMPLERS.unipc.init({ alphasCumprod: SD });
    const x = new Float32Array(2);
    expect(() => SAMPLERS.unipc.step(s, { sample: x, eps: x, timestep: 1000, nextTimestep: -1 })).toThrow(/Invalid timestep 1000/);
  });
});

describe('parseSchedulerConfig maps the classes to the samplers', () => {
  const FILE = 'scheduler/scheduler_config.json';
  // UniPCMultistepScheduler.save_config() of a recent diffusers (every __init__ key), as Python's json writes it
  const UNIPC = {
    _class_name: 'UniPCMultistepScheduler',
    _diffusers_version: '0.32.2',
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    disable_corrector: [],
    dynamic_thresholding_ratio: 0.995,
    final_sigmas_type: 'zero',
    flow_shift: 1.0,
    lower_order_final: true,
    num_train_timesteps: 1000,
    predict_x0: true,
    prediction_type: 'epsilon',
    rescale_betas_zero_snr: false,
    sample_max_value: 1.0,
    solver_order: 2,
    solver_p: null,
    solver_type: 'bh2',
    steps_offset: 1,
    thresholding: false,
    time_shift_type: 'exponential',
    timestep_spacing: 'linspace',
    trained_betas: null,
    use_beta_sigmas: false,
    use_dynamic_shifting: false,
    use_exponential_sigmas: false,
    use_flow_sigmas: false,
    use_karras_sigmas: false,
  };

  it('UniPCMultistepScheduler → unipc, on DPM-Solver’s timesteps and its final settings', () => {
    const r = parseSchedulerConfig(UNIPC, FILE);
    expect(r.sampler).toBe('unipc');
    expect(r.prediction).toBe('epsilon');
    expect(r.scheduler).toMatchObject({
      betaSchedule: 'scaled_linear',
      timestepSpacing: 'linspace',
      stepsOffset: 1,
      finalSigmasType: 'zero',
      lowerOrderFinal: true,
      dpmSolverTimesteps: 'dpm-solver',
    });
    const minimal = parseSchedulerConfig({ _class_name: 'UniPCMultistepScheduler' }, FILE);
    expect(minimal.sampler).toBe('unipc');
    expect(minimal.scheduler.timestepSpacing).toBe('linspace'); // UniPC's default, as DPM-Solver's
    // diffusers' __init__ turns midpoint, heun and logrho into bh2
    for (const t of ['midpoint', 'heun', 'logrho']) expect(parseSchedulerConfig({ ...UNIPC, solver_type: t }, FILE).sampler).toBe('unipc');
    const sigmaMin = parseSchedulerConfig({ ...UNIPC, final_sigmas_type: 'sigma_min', lower_order_final: false }, FILE).scheduler;
    expect(sigmaMin).toMatchObject({ finalSigmasType: 'sigma_min', lowerOrderFinal: false });
  });

  it('DPMSolverMultistepScheduler with solver_order 3 → dpmpp-3m (2 → dpmpp-2m)', () => {
    const dpm = { _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver++', solver_type: 'midpoint' };
    expect(parseSchedulerConfig({ ...dpm, solver_order: 3 }, FILE).sampler).toBe('dpmpp-3m');
    expect(parseSchedulerConfig({ ...dpm, solver_order: 2 }, FILE).sampler).toBe('dpmpp-2m');
    expect(parseSchedulerConfig(dpm, FILE).sampler).toBe('dpmpp-2m');
    expect(() => parseSchedulerConfig({ ...dpm, solver_order: 1 }, FILE)).toThrow(/Unsupported solver_order 1: .* Supported: 2, 3\./);
  });

  it.each([
    ['solver_order', { solver_order: 3 }, /Unsupported solver_order 3: only UniPC of order 2 is implemented\. Supported: 2\./],
    [
      'solver_type',
      { solver_type: 'bh1' },
      /Unsupported solver_type "bh1" \(a UniPCMultistepScheduler setting we do not implement\)\. Should be one of: "bh2"/,
    ],
    [
      'predict_x0',
      { predict_x0: false },
      /Unsupported predict_x0 false: UniPC on the noise prediction is not implemented\. Supported: true\./,
    ],
    [
      'disable_corrector',
      { disable_corrector: [0] },
      /Unsupported disable_corrector \[0\]: skipping the corrector UniC .* Supported: \[\]/,
    ],
    ['solver_p', { solver_p: { _class_name: 'DDIMScheduler' } }, /Unsupported solver_p .* Supported: null\./],
    ['use_karras_sigmas', { use_karras_sigmas: true }, /Unsupported use_karras_sigmas true: Karras sigmas is not implemented/],
    ['use_flow_sigmas', { use_flow_sigmas: true }, /Unsupported use_flow_sigmas true/],
    ['euler_at_final', { euler_at_final: true }, /Unsupported key "euler_at_final" .* in a UniPCMultistepScheduler config/],
    ['thresholding', { thresholding: true }, /Unsupported thresholding true/],
  ] as const)('refuses UniPC %s by name', (key, change, message) => {
    const e = (() => {
      try {
        parseSchedulerConfig({ ...UNIPC, ...change }, FILE);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as RuntimeError).code).toBe('unsupported');
    expect((e as RuntimeError).message).toMatch(message);
    expect((e as RuntimeError).issues?.map((i) => i.path)).toEqual([key]);
  });
});

describe('through a model (tiny stand-in UNet): partial and null steps', () => {
  it.each(MULTISTEP)('%s: deterministic per seed, and the null mode matters (a multistep history), as with dpmpp-2m', async (sampler) => {
    const model = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    try {
      const opts = { schedule: 'F P0 N | F P1 N | F N N', labels: [4, 7], seeds: [5, 6], guidanceScale: 2, sampler } as const;
      const skip = await model.generate({ ...opts, nullMode: 'skip' });
      expect(skip.samples.every(Number.isFinite)).toBe(true);
      expect((await model.generate({ ...opts, nullMode: 'skip' })).samples).toEqual(skip.samples);
      const reuse = await model.generate({ ...opts, nullMode: 'reuse' });
      expect(reuse.samples.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(skip.samples, reuse.samples)).toBeGreaterThan(1e-3);
      const other = await model.generate({ ...opts, seeds: [5, 8], nullMode: 'skip' });
      expect(other.samples.slice(0, 256)).toEqual(skip.samples.slice(0, 256)); // sample 0 does not depend on sample 1's seed
      expect(other.samples.slice(256)).not.toEqual(skip.samples.slice(256));
    } finally {
      await model.dispose();
    }
  });
});
