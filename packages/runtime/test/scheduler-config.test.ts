/**
 * parseSchedulerConfig: diffusers' scheduler_config.json as exported, every honoured key, and an
 * error naming the key, the value and what is supported for every setting we do not implement.
 * The numbers behind the honoured keys are checked in schedulers.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RuntimeError, parseSchedulerConfig, validateManifest, type RuntimeIssue } from '../src/index.js';
import { STAND_INS } from './helpers.js';

const FILE = 'scheduler/scheduler_config.json';

// The files as diffusers writes them (the hub's runwayml/stable-diffusion-v1-5, stabilityai/stable-diffusion-2-1)
const SD15 = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};
const SD21 = {
  _class_name: 'DDIMScheduler',
  _diffusers_version: '0.8.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: 'v_prediction',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};
// a DPMSolverMultistepScheduler.save_config() of diffusers 0.27, as Python's json writes it
const DPM_TEXT = `{
  "_class_name": "DPMSolverMultistepScheduler",
  "_diffusers_version": "0.27.2",
  "algorithm_type": "dpmsolver++",
  "beta_end": 0.012,
  "beta_schedule": "scaled_linear",
  "beta_start": 0.00085,
  "dynamic_thresholding_ratio": 0.995,
  "euler_at_final": false,
  "final_sigmas_type": "zero",
  "lambda_min_clipped": -Infinity,
  "lower_order_final": true,
  "num_train_timesteps": 1000,
  "prediction_type": "epsilon",
  "rescale_betas_zero_snr": false,
  "sample_max_value": 1.0,
  "solver_order": 2,
  "solver_type": "midpoint",
  "steps_offset": 1,
  "thresholding": false,
  "timestep_spacing": "leading",
  "trained_betas": null,
  "use_karras_sigmas": false,
  "use_lu_lambdas": false,
  "variance_type": null
}`;
const DPM = {
  ...(JSON.parse(DPM_TEXT.replace('-Infinity', 'null')) as Record<string, unknown>),
  lambda_min_clipped: Number.NEGATIVE_INFINITY,
};

function failure(json: unknown): RuntimeError {
  try {
    parseSchedulerConfig(json, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(RuntimeError);
    return e as RuntimeError;
  }
  throw new Error(`no error for ${JSON.stringify(json)}`);
}

describe('parseSchedulerConfig: the configs diffusers exports', () => {
  it("SD-1.5's PNDMScheduler: our samplers on its noise schedule and timestep settings", () => {
    const r = parseSchedulerConfig(SD15, FILE);
    expect(r).toEqual({
      scheduler: {
        trainTimesteps: 1000,
        betaSchedule: 'scaled_linear',
        betaStart: 0.00085,
        betaEnd: 0.012,
        rescaleBetasZeroSnr: false,
        timestepSpacing: 'leading',
        stepsOffset: 1,
        setAlphaToOne: false,
        finalSigmasType: 'zero',
        lowerOrderFinal: true,
        dpmSolverTimesteps: 'dpm-solver',
      },
      prediction: 'epsilon',
    });
    // PNDMScheduler's own default for set_alpha_to_one is false
    const { set_alpha_to_one: _s, ...noFlag } = SD15;
    expect(parseSchedulerConfig(noFlag, FILE).scheduler.setAlphaToOne).toBe(false);
  });

  it("SD-2.1's DDIMScheduler with v-prediction (skip_prk_steps carried over from PNDM is allowed)", () => {
    const r = parseSchedulerConfig(SD21, FILE);
    expect(r.sampler).toBe('ddim');
    expect(r.prediction).toBe('v_prediction');
    expect(r.scheduler).toMatchObject({ stepsOffset: 1, setAlphaToOne: false, timestepSpacing: 'leading' });
  });

  it('a DPMSolverMultistepScheduler config, given as the text diffusers writes (-Infinity)', () => {
    const r = parseSchedulerConfig(DPM_TEXT, FILE);
    expect(r.sampler).toBe('dpmpp-2m');
    expect(r.scheduler).toMatchObject({ timestepSpacing: 'leading', stepsOffset: 1, finalSigmasType: 'zero', lowerOrderFinal: true });
    expect(parseSchedulerConfig(DPM, FILE)).toEqual(r);
    // its class defaults: linspace spacing, set_alpha_to_one (for DDIM.from_config) true
    const minimal = parseSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler' }, FILE);
    expect(minimal.scheduler).toMatchObject({
      timestepSpacing: 'linspace',
      setAlphaToOne: true,
      betaSchedule: 'linear',
      betaStart: 0.0001,
    });
    expect(parseSchedulerConfig({ ...DPM, final_sigmas_type: 'sigma_min', lower_order_final: false }, FILE).scheduler).toMatchObject({
      finalSigmasType: 'sigma_min',
      lowerOrderFinal: false,
    });
  });

  it('honours trained_betas, rescale_betas_zero_snr and the deprecated predict_epsilon', () => {
    const betas = Array.from({ length: 10 }, (_, i) => 0.001 * (i + 1));
    const r = parseSchedulerConfig({ ...SD21, num_train_timesteps: 10, trained_betas: betas, rescale_betas_zero_snr: true }, FILE);
    expect(r.scheduler).toMatchObject({ trainTimesteps: 10, trainedBetas: betas, rescaleBetasZeroSnr: true });
    expect(parseSchedulerConfig({ _class_name: 'DDIMScheduler', clip_sample: false, predict_epsilon: false }, FILE).prediction).toBe(
      'sample',
    );
  });

  it('allows the keys that do not apply (listed), at any value', () => {
    const r = parseSchedulerConfig(
      { ...SD21, clip_sample_range: 2.5, dynamic_thresholding_ratio: 0.9, sample_max_value: 3, _use_default_values: ['timestep_spacing'] },
      FILE,
    );
    expect(r.sampler).toBe('ddim');
    expect(parseSchedulerConfig({ ...DPM, flow_shift: 3, time_shift_type: 'exponential' }, FILE).sampler).toBe('dpmpp-2m');
  });

  it('gives a block the manifest schema accepts', () => {
    const m = JSON.parse(readFileSync(`${STAND_INS}tiny-unet/model.json`, 'utf8')) as Record<string, unknown>;
    for (const cfg of [SD15, SD21, DPM, { ...SD21, num_train_timesteps: 3, trained_betas: [0.1, 0.2, 0.3] }]) {
      const { scheduler } = parseSchedulerConfig(cfg, FILE);
      expect(() => validateManifest({ ...m, scheduler })).not.toThrow();
    }
  });
});

describe('parseSchedulerConfig: every setting we do not implement is an error naming key, value and the supported values', () => {
  const cases: [string, unknown, RegExp][] = [
    ['thresholding', { ...SD21, thresholding: true }, /Unsupported thresholding true: dynamic thresholding .* Supported: false\./],
    ['clip_sample', { ...SD21, clip_sample: true }, /Unsupported clip_sample true: clipping the predicted x0 .* Supported: false\./],
    [
      'clip_sample',
      { _class_name: 'DDIMScheduler' },
      /Unsupported clip_sample true \(DDIMScheduler's default when the key is absent\).* Supported: false\./,
    ],
    [
      'timestep_spacing',
      { ...SD21, timestep_spacing: 'bogus' },
      /Unsupported timestep_spacing "bogus"\. Should be one of: "leading", "trailing", "linspace"\./,
    ],
    [
      'beta_schedule',
      { ...SD21, beta_schedule: 'sigmoid' },
      /Unsupported beta_schedule "sigmoid"\. Should be one of: "linear", "scaled_linear", "squaredcos_cap_v2"\./,
    ],
    [
      'prediction_type',
      { ...DPM, prediction_type: 'flow_prediction' },
      /Unsupported prediction_type "flow_prediction" \(a DPMSolverMultistepScheduler setting we do not implement\)\. Should be one of: "epsilon", "v_prediction", "sample"\./,
    ],
    [
      'algorithm_type',
      { ...DPM, algorithm_type: 'sde-dpmsolver++' },
      /Unsupported algorithm_type "sde-dpmsolver\+\+".*Should be one of: "dpmsolver\+\+"\./,
    ],
    ['solver_order', { ...DPM, solver_order: 4 }, /Unsupported solver_order 4: only the 2nd- and 3rd-order .* Supported: 2, 3\./],
    ['solver_type', { ...DPM, solver_type: 'heun' }, /Unsupported solver_type "heun".*Should be one of: "midpoint"\./],
    [
      'use_karras_sigmas',
      { ...DPM, use_karras_sigmas: true },
      /Unsupported use_karras_sigmas true: Karras sigmas is not implemented\. Supported: false\./,
    ],
    ['use_lu_lambdas', { ...DPM, use_lu_lambdas: true }, /Unsupported use_lu_lambdas true: .* Supported: false\./],
    ['use_exponential_sigmas', { ...DPM, use_exponential_sigmas: true }, /Unsupported use_exponential_sigmas true: .* Supported: false\./],
    ['use_beta_sigmas', { ...DPM, use_beta_sigmas: true }, /Unsupported use_beta_sigmas true: .* Supported: false\./],
    ['use_flow_sigmas', { ...DPM, use_flow_sigmas: true }, /Unsupported use_flow_sigmas true: .* Supported: false\./],
    ['use_dynamic_shifting', { ...DPM, use_dynamic_shifting: true }, /Unsupported use_dynamic_shifting true: .* Supported: false\./],
    ['euler_at_final', { ...DPM, euler_at_final: true }, /Unsupported euler_at_final true: .* Supported: false\./],
    ['variance_type', { ...DPM, variance_type: 'learned_range' }, /Unsupported variance_type "learned_range": .* Supported: null\./],
    ['lambda_min_clipped', { ...DPM, lambda_min_clipped: -5.1 }, /Unsupported lambda_min_clipped -5\.1: .* Supported: -Infinity/],
    [
      'final_sigmas_type',
      { ...DPM, final_sigmas_type: 'max' },
      /Unsupported final_sigmas_type "max"\. Should be one of: "zero", "sigma_min"\./,
    ],
    [
      'rescale_betas_zero_snr',
      { ...SD21, prediction_type: 'epsilon', rescale_betas_zero_snr: true },
      /Unsupported rescale_betas_zero_snr true with prediction_type "epsilon": .* Supported: rescale_betas_zero_snr false, or prediction_type "v_prediction" or "sample"\./,
    ],
    ['foo', { ...SD21, foo: 1 }, /Unsupported key "foo" \(value 1\) in a DDIMScheduler config: .* Supported keys: .*"steps_offset"/],
    // a DPM-Solver++ setting in a DDIM config is a key DDIM does not have
    [
      'final_sigmas_type',
      { ...SD21, final_sigmas_type: 'zero' },
      /Unsupported key "final_sigmas_type" \(value "zero"\) in a DDIMScheduler config/,
    ],
    [
      '_class_name',
      { ...SD21, _class_name: 'EulerDiscreteScheduler' },
      /unsupported _class_name "EulerDiscreteScheduler"\. Should be one of: "DDIMScheduler", "DPMSolverMultistepScheduler", "PNDMScheduler"/,
    ],
    [
      '_class_name',
      { beta_schedule: 'linear' },
      /missing _class_name: expected one of "DDIMScheduler", "DPMSolverMultistepScheduler", "PNDMScheduler"/,
    ],
  ];

  it.each(cases)('%s: %j', (key, json, message) => {
    const e = failure(json);
    expect(e.code).toBe('unsupported');
    expect(e.message.startsWith(`${FILE}: `)).toBe(true);
    expect(e.message).toMatch(message);
    expect(e.issues.map((i: RuntimeIssue) => i.path)).toEqual([key]);
  });

  it('reports every problem at once', () => {
    const e = failure({ ...SD21, thresholding: true, clip_sample: true, timestep_spacing: 'bogus' });
    expect(e.code).toBe('unsupported');
    expect(e.issues.map((i) => i.path)).toEqual(['timestep_spacing', 'clip_sample', 'thresholding']);
    expect(e.message).toMatch(/^scheduler\/scheduler_config\.json: 3 problems: /);
  });

  it('reports a value of the wrong type or range as invalid-manifest', () => {
    const e = failure({ ...SD21, num_train_timesteps: '1000', steps_offset: -1 });
    expect(e.code).toBe('invalid-manifest');
    expect(e.issues).toEqual([
      { path: 'num_train_timesteps', message: 'Invalid num_train_timesteps "1000": expected a positive integer (e.g. 1000).' },
      { path: 'steps_offset', message: 'Invalid steps_offset -1: expected an integer >= 0 (SD-1.x: 1).' },
    ]);
    expect(failure({ ...SD21, trained_betas: [0.1, 0.2] }).message).toMatch(/Invalid trained_betas \[0\.1,0\.2\]: expected null or 1000/);
    expect(failure({ ...SD21, set_alpha_to_one: 'no' }).message).toMatch(/Invalid set_alpha_to_one "no": expected true or false\./);
    expect(failure('{ "_class_name": ').code).toBe('invalid-manifest');
    expect(failure([1, 2]).message).toMatch(/expected a JSON object/);
  });
});
