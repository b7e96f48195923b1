/**
 * The manifest's scheduler settings: their schema, what the model makes of them (plan, sampler
 * settings), and the refusal of zero terminal SNR with an ε-predicting UNet.
 */
import { readFileSync } from 'node:fs';
import { fullSchedule, planSchedule } from '@flexiffusion/schedule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RuntimeError,
  SAMPLERS,
  alphasCumprod,
  batchNoise,
  openModel,
  planSettings,
  predictionToEpsilon,
  predictionToX0,
  runPlan,
  samplerSettings,
  validateManifest,
  type Model,
  type ModelManifest,
  type RuntimeIssue,
} from '../src/index.js';
import { STAND_INS, fixtureSource, testBackend } from './helpers.js';

const tiny = JSON.parse(readFileSync(`${STAND_INS}tiny-unet/model.json`, 'utf8')) as ModelManifest;
const withScheduler = (patch: Record<string, unknown>): ModelManifest =>
  ({ ...tiny, scheduler: { ...tiny.scheduler, ...patch } }) as ModelManifest;

function issuesOf(value: unknown): RuntimeIssue[] {
  try {
    validateManifest(value);
  } catch (e) {
    expect((e as RuntimeError).code).toBe('invalid-manifest');
    return [...(e as RuntimeError).issues];
  }
  return [];
}

describe("the manifest's scheduler block", () => {
  it('accepts every setting, and each bad one at its path with the valid values', () => {
    expect(
      issuesOf(
        withScheduler({
          timestepSpacing: 'trailing',
          stepsOffset: 1,
          setAlphaToOne: false,
          finalSigmasType: 'sigma_min',
          lowerOrderFinal: false,
          dpmSolverTimesteps: 'dpm-solver',
          rescaleBetasZeroSnr: true,
          trainedBetas: Array.from({ length: 1000 }, () => 0.01),
        }),
      ),
    ).toEqual([]);
    expect(
      issuesOf(
        withScheduler({
          trainedBetas: [0.1, 0.2],
          rescaleBetasZeroSnr: 1,
          timestepSpacing: 'bogus',
          stepsOffset: -1,
          setAlphaToOne: 'no',
          finalSigmasType: 1,
          dpmSolverTimesteps: 'x',
        }),
      ),
    ).toEqual([
      { path: 'scheduler.trainedBetas', message: 'Invalid scheduler.trainedBetas: it has 2 betas; expected 1000 (trainTimesteps).' },
      { path: 'scheduler.rescaleBetasZeroSnr', message: 'Invalid scheduler.rescaleBetasZeroSnr 1: expected true or false.' },
      {
        path: 'scheduler.timestepSpacing',
        message: 'Unsupported scheduler.timestepSpacing "bogus". Should be one of: "leading", "trailing", "linspace".',
      },
      { path: 'scheduler.stepsOffset', message: 'Invalid scheduler.stepsOffset -1: expected an integer >= 0 (SD-1.x: 1).' },
      { path: 'scheduler.setAlphaToOne', message: 'Invalid scheduler.setAlphaToOne "no": expected true or false.' },
      { path: 'scheduler.finalSigmasType', message: 'Unsupported scheduler.finalSigmasType 1. Should be one of: "zero", "sigma_min".' },
      {
        path: 'scheduler.dpmSolverTimesteps',
        message: 'Unsupported scheduler.dpmSolverTimesteps "x". Should be one of: "ddim", "dpm-solver".',
      },
    ]);
    expect(issuesOf(withScheduler({ trainedBetas: [2, 'a'] }))).toEqual([
      { path: 'scheduler.trainedBetas', message: 'Invalid scheduler.trainedBetas [2,"a"]: expected an array of numbers in [0, 1).' },
    ]);
  });
});

describe('what a model makes of the settings', () => {
  const ac = alphasCumprod(tiny.scheduler);

  it('defaults: leading, offset 0, DDIM timesteps for every sampler, final ᾱ 1, DPM to x0', () => {
    expect(planSettings({}, 'ddim')).toEqual({ timestepSpacing: 'leading', stepsOffset: 0, grid: 'ddim' });
    expect(planSettings({}, 'dpmpp-2m')).toEqual({ timestepSpacing: 'leading', stepsOffset: 0, grid: 'ddim' });
    expect(samplerSettings({}, ac)).toEqual({ finalAlphaCumprod: 1, finalSigmasType: 'zero', lowerOrderFinal: true });
  });

  it('dpmSolverTimesteps applies to the built-in multistep samplers only', () => {
    const s = { timestepSpacing: 'linspace', stepsOffset: 2, dpmSolverTimesteps: 'dpm-solver' } as const;
    expect(planSettings(s, 'dpmpp-2m').grid).toBe('dpm-solver');
    expect(planSettings(s, SAMPLERS['dpmpp-2m']).grid).toBe('dpm-solver');
    expect(planSettings(s, 'ddim')).toEqual({ timestepSpacing: 'linspace', stepsOffset: 2, grid: 'ddim' });
    expect(planSettings(s, { ...SAMPLERS['dpmpp-2m'], name: 'mine' }).grid).toBe('ddim');
  });

  it('setAlphaToOne false ends DDIM at ᾱ_0; rescaleBetasZeroSnr makes ᾱ_{T-1} = 0 and keeps ᾱ_0', () => {
    expect(samplerSettings({ setAlphaToOne: false }, ac).finalAlphaCumprod).toBe(ac[0]);
    const zero = alphasCumprod({ ...tiny.scheduler, rescaleBetasZeroSnr: true });
    expect(zero[999]).toBe(0);
    expect(zero[0]).toBeCloseTo(ac[0]!, 15);
    expect(SAMPLERS['dpmpp-2m'].alphasCumprod!(zero)[999]).toBe(2 ** -24);
    expect(SAMPLERS['dpmpp-2m'].alphasCumprod!(ac)).toBe(ac);
  });

  it('refuses zero terminal SNR with an ε-predicting UNet, at load', async () => {
    expect(() => samplerSettings({ rescaleBetasZeroSnr: true }, ac, 'epsilon')).toThrow(
      /rescaleBetasZeroSnr true with unet.prediction "epsilon"/,
    );
    expect(samplerSettings({ rescaleBetasZeroSnr: true }, ac, 'v_prediction').finalAlphaCumprod).toBe(1);
    const e = await openModel({
      source: fixtureSource('tiny-unet'),
      backend: testBackend(),
      manifest: withScheduler({ rescaleBetasZeroSnr: true }),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as RuntimeError).code).toBe('unsupported');
    expect((e as RuntimeError).message).toMatch(/Supported: rescaleBetasZeroSnr false, or unet.prediction "v_prediction" or "sample"/);
  });

  it('predictionToX0 and predictionToEpsilon are the two halves of one conversion', () => {
    const x = Float32Array.from([0.5, -1, 2]);
    const v = Float32Array.from([0.1, 0.2, -0.3]);
    const a = 0.3;
    const eps = predictionToEpsilon(v, x, a, 'v_prediction');
    const x0 = predictionToX0(v, x, a, 'v_prediction');
    // x = √ᾱ·x0 + √(1−ᾱ)·ε
    for (let i = 0; i < 3; i++) expect(Math.sqrt(a) * x0[i]! + Math.sqrt(1 - a) * eps[i]!).toBeCloseTo(x[i]!, 6);
    expect(predictionToX0(v, x, 0, 'v_prediction')).toEqual(Float32Array.from(v, (y) => -y)); // ᾱ = 0: x0 = −v exactly
    expect(predictionToX0(x0, x, a, 'sample')).toEqual(x0);
  });
});

describe('generate() runs the plan and the sampler settings of the manifest', () => {
  // the latent stand-in: no conditioning feeds, and generate() returns the latents runPlan makes
  const ldm = JSON.parse(readFileSync(`${STAND_INS}ldm/model.json`, 'utf8')) as ModelManifest;
  const sd15Like = { ...ldm, scheduler: { ...ldm.scheduler, stepsOffset: 1, setAlphaToOne: false } } as ModelManifest;
  let model: Model;
  let plain: Model;
  beforeAll(async () => {
    model = await openModel({ source: fixtureSource('ldm'), backend: testBackend(), manifest: sd15Like });
    plain = await openModel({ source: fixtureSource('ldm'), backend: testBackend() });
  });
  afterAll(async () => {
    await model.dispose();
    await plain.dispose();
  });

  it.each(['ddim', 'dpmpp-2m'] as const)('%s: the same as runPlan with those settings, and not the defaults', async (sampler) => {
    const base = { schedule: fullSchedule(10), seeds: [3, 4], sampler } as const;
    const got = (await model.generate(base)).latents!;
    const plan = planSchedule(base.schedule, { trainTimesteps: 1000, ...planSettings(sd15Like.scheduler, sampler) });
    expect(plan.timesteps[0]).toBe(901);
    const ac = alphasCumprod(sd15Like.scheduler);
    const want = await runPlan({
      unet: model.unet,
      plan,
      initialNoise: batchNoise([3, 4], 4 * 8 * 8),
      sampleShape: [4, 8, 8],
      inputs: { sample: 'sample', timestep: 'timestep' },
      sampler,
      alphasCumprod: ac,
      samplerSettings: samplerSettings(sd15Like.scheduler, ac),
    });
    expect(got).toEqual(want);
    expect((await plain.generate(base)).latents).not.toEqual(got);
  });
});
