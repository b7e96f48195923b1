/**
 * The scheduler matrix against an independent reference: tools/scheduler-fixtures/make_fixtures.py
 * implements diffusers' DDIMScheduler and DPMSolverMultistepScheduler (dpmsolver++ 2M) in numpy
 * float64 and records, for each config, the timesteps and the final sample of the whole loop on a
 * synthetic model that this test computes the same way. Here the config goes through
 * parseSchedulerConfig, the plan through planSchedule, and the loop through runPlan (with a
 * stand-in UNet that evaluates the synthetic model), so every piece a real model uses is checked.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ScheduleError,
  fullSchedule,
  planSchedule,
  schedulerTimesteps,
  type TimestepGrid,
  type TimestepSpacing,
} from '@flexiffusion/schedule';
import { afterAll, describe, expect, it } from 'vitest';
import type { CachedUnet } from '../src/cached-unet.js';
import {
  alphasCumprod,
  parseSchedulerConfig,
  planSettings,
  runPlan,
  samplerSettings,
  type PredictionType,
  type SamplerName,
  type SchedulerSpec,
} from '../src/index.js';
import { ort } from './helpers.js';

interface Case {
  readonly group: string;
  readonly config: Record<string, unknown>;
  readonly steps: number;
  readonly timesteps: readonly number[];
  readonly final: readonly number[];
  readonly sampler?: SamplerName;
  readonly dpmSolverTimesteps?: TimestepGrid;
}

interface Reference {
  readonly sigmaData: number;
  readonly xT: readonly number[];
  readonly cases: readonly Case[];
  readonly grids: readonly {
    readonly grid: TimestepGrid;
    readonly timestepSpacing: TimestepSpacing;
    readonly stepsOffset: number;
    readonly invalidSteps: readonly number[];
    readonly sha256: string;
  }[];
}

const ref = JSON.parse(readFileSync(new URL('./fixtures/schedulers/reference.json', import.meta.url), 'utf8')) as Reference;

/**
 * Tolerance on the final sample, relative to its largest value. The reference runs in float64;
 * here the state, the model output and ε / x0 are float32 between updates (a UNet's output is
 * float32), and ᾱ is float64 on both sides. Each update rounds a few times (~6e-8 relative each);
 * the loop carries those errors forward without amplifying them (on this model DDIM and
 * DPM-Solver++ contract), so they grow like √(roundings), not like their sum. Measured over the
 * matrix: at most 5.2e-7 (T = 50; per group in the log line this test prints), 1.0e-7 for SD-1.5
 * at T = 10. 1e-6 leaves a factor 2 for other platforms' Math.sin / Math.log.
 */
const TOLERANCE = 1e-6;

/** The fixtures' `trained_betas`: a schedule no beta_schedule names (make_fixtures.py computes the same). */
function quadraticBetas(n: number): number[] {
  return Array.from({ length: n }, (_, k) => {
    const r = k / (n - 1);
    return 0.0001 + 0.0199 * r * r;
  });
}

/** make_fixtures.py's model_output: the ideal denoiser plus a wobble, on the model's own ᾱ. */
function modelOutput(x: Float32Array, t: number, ac: number, prediction: PredictionType): Float32Array {
  const s2 = ref.sigmaData * ref.sigmaData;
  const denom = ac * s2 + 1 - ac;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const wobble = 0.05 * Math.sin(0.37 * i + t / 97);
    const eps = (Math.sqrt(1 - ac) * x[i]!) / denom;
    const x0 = (Math.sqrt(ac) * s2 * x[i]!) / denom;
    if (prediction === 'epsilon') out[i] = eps + wobble;
    else if (prediction === 'sample') out[i] = x0 + wobble;
    else out[i] = Math.sqrt(ac) * eps - Math.sqrt(1 - ac) * x0 + wobble;
  }
  return out;
}

/** A UNet that evaluates the synthetic model: what runPlan sees of a real one. */
function syntheticUnet(ac: Float64Array, prediction: PredictionType, seen: number[]): CachedUnet {
  const unet = {
    branches: 0,
    async runFull(feeds: Readonly<Record<string, ort.Tensor>>) {
      const x = feeds.sample!.data as Float32Array;
      const t = Number((feeds.timestep!.data as BigInt64Array)[0]);
      seen.push(t);
      return { output: new ort.Tensor('float32', modelOutput(x, t, ac[t]!, prediction), feeds.sample!.dims), caches: [] };
    },
  };
  return unet as unknown as CachedUnet;
}

function relativeDeviation(got: ArrayLike<number>, want: readonly number[]): number {
  let scale = 0;
  let dev = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    dev = Math.max(dev, Math.abs(got[i]! - want[i]!));
  }
  return dev / scale;
}

const worst = new Map<string, { dev: number; name: string }>();
afterAll(() => {
  const lines = [...worst].map(([g, w]) => `${g.padEnd(22)} ${w.dev.toExponential(2)}  (${w.name})`);
  console.log(`max relative deviation from the float64 reference, per group:\n${lines.join('\n')}`);
});

function caseName(c: Case): string {
  const k = c.config;
  const parts = [String(k._class_name).replace('Scheduler', ''), `T=${c.steps}`];
  for (const key of [
    'beta_schedule',
    'trained_betas',
    'prediction_type',
    'timestep_spacing',
    'steps_offset',
    'set_alpha_to_one',
    'rescale_betas_zero_snr',
    'final_sigmas_type',
    'lower_order_final',
  ]) {
    if (k[key] !== undefined && k[key] !== null) parts.push(`${key}=${String(k[key])}`);
  }
  if (c.dpmSolverTimesteps) parts.push(`dpmSolverTimesteps=${c.dpmSolverTimesteps}`);
  return parts.join(' ');
}

describe('samplers match the diffusers reference', () => {
  it.each(ref.cases.map((c) => [caseName(c), c] as const))('%s', async (name, c) => {
    const config = c.config.trained_betas === 'quadratic' ? { ...c.config, trained_betas: quadraticBetas(1000) } : c.config;
    const imported = parseSchedulerConfig(config, 'scheduler_config.json');
    const spec: SchedulerSpec = c.dpmSolverTimesteps
      ? { ...imported.scheduler, dpmSolverTimesteps: c.dpmSolverTimesteps }
      : imported.scheduler;
    const sampler = c.sampler ?? imported.sampler!;
    const ac = alphasCumprod(spec);
    const plan = planSchedule(fullSchedule(c.steps), { trainTimesteps: spec.trainTimesteps, ...planSettings(spec, sampler) });
    expect(plan.timesteps).toEqual(c.timesteps);
    const seen: number[] = [];
    const x = await runPlan({
      unet: syntheticUnet(ac, imported.prediction, seen),
      plan,
      initialNoise: Float32Array.from(ref.xT),
      sampleShape: [1, 4, 4],
      inputs: { sample: 'sample', timestep: 'timestep' },
      sampler,
      alphasCumprod: ac,
      samplerSettings: samplerSettings(spec, ac, imported.prediction),
      prediction: imported.prediction,
    });
    expect(seen).toEqual(c.timesteps);
    const dev = relativeDeviation(x, c.final);
    const w = worst.get(c.group);
    if (!w || dev > w.dev) worst.set(c.group, { dev, name });
    expect(dev, name).toBeLessThan(TOLERANCE);
  });
});

describe("schedulerTimesteps is numpy's set_timesteps for every T", () => {
  it.each(ref.grids.map((g) => [`${g.grid} ${g.timestepSpacing} offset ${g.stepsOffset}`, g] as const))('%s, T = 1..1000', (_, g) => {
    const text: string[] = [];
    const invalid: number[] = [];
    for (let T = 1; T <= 1000; T++) {
      try {
        const t = schedulerTimesteps(T, {
          trainTimesteps: 1000,
          timestepSpacing: g.timestepSpacing,
          stepsOffset: g.stepsOffset,
          grid: g.grid,
        });
        text.push(`${T}:${t.join(',')}`);
      } catch (e) {
        expect(e).toBeInstanceOf(ScheduleError);
        invalid.push(T);
        text.push(`${T}:invalid`);
      }
    }
    expect(invalid).toEqual(g.invalidSteps);
    expect(createHash('sha256').update(text.join(';')).digest('hex')).toBe(g.sha256);
  });
});

describe("the issue's case: SD-1.5's scheduler config", () => {
  it('gives steps_offset 1 timesteps and goes to ᾱ_0 at the end (set_alpha_to_one false)', () => {
    const c = ref.cases.find((k) => k.group === 'sd15')!;
    const { scheduler, prediction, sampler } = parseSchedulerConfig(c.config, 'sd15/scheduler/scheduler_config.json');
    expect(sampler).toBeUndefined(); // PNDM: our samplers on its noise schedule
    expect(prediction).toBe('epsilon');
    expect(scheduler).toMatchObject({
      betaSchedule: 'scaled_linear',
      betaStart: 0.00085,
      betaEnd: 0.012,
      stepsOffset: 1,
      setAlphaToOne: false,
    });
    const plan = planSchedule(fullSchedule(10), planSettings(scheduler, 'ddim'));
    expect(plan.timesteps).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(plan.steps.at(-1)!.nextTimestep).toBe(-1);
    const ac = alphasCumprod(scheduler);
    expect(samplerSettings(scheduler, ac).finalAlphaCumprod).toBe(ac[0]);
  });
});
