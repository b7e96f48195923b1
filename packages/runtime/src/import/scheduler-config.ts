// diffusers' scheduler/scheduler_config.json → the manifest's scheduler block. Every key is either
// honoured, known to be irrelevant (listed below, with the reason), or an error that names the key,
// the value and what is supported: a setting is never dropped without a word. The key lists and
// defaults are those of diffusers' DDIMScheduler, PNDMScheduler, DPMSolverMultistepScheduler and
// UniPCMultistepScheduler __init__ (src/diffusers/schedulers/scheduling_*.py).
import { TIMESTEP_SPACINGS, type TimestepSpacing } from '@flexiffusion/schedule';
import { RuntimeError, oneOf, show, type RuntimeIssue } from '../errors.js';
import type { SchedulerSpec } from '../manifest/types.js';
import { BETA_SCHEDULES, type BetaSchedule } from '../noise-schedule.js';
import { FINAL_SIGMAS_TYPES, PREDICTION_TYPES, type FinalSigmasType, type PredictionType, type SamplerName } from '../samplers.js';

/**
 * What {@link parseSchedulerConfig} makes of a diffusers scheduler config.
 *
 * @public
 */
export interface ImportedScheduler {
  /** The manifest's `scheduler` block, every setting written out. */
  readonly scheduler: SchedulerSpec;
  /** The UNet's prediction type (`prediction_type`), for the manifest's `unet.prediction`. */
  readonly prediction: PredictionType;
  /**
   * The built-in sampler that is the config's scheduler class (`DDIMScheduler` → `ddim`,
   * `DPMSolverMultistepScheduler` → `dpmpp-2m` or, with `solver_order` 3, `dpmpp-3m`,
   * `UniPCMultistepScheduler` → `unipc`); absent for a class we have no sampler for
   * (`PNDMScheduler`: our samplers run on its noise schedule).
   */
  readonly sampler?: SamplerName;
}

/** The scheduler classes {@link parseSchedulerConfig} accepts. @public */
export const SCHEDULER_CLASSES: readonly string[] = Object.freeze([
  'DDIMScheduler',
  'DPMSolverMultistepScheduler',
  'PNDMScheduler',
  'UniPCMultistepScheduler',
]);

type SchedulerClass = 'DDIMScheduler' | 'DPMSolverMultistepScheduler' | 'PNDMScheduler' | 'UniPCMultistepScheduler';

/** Keys no sampler reads, in every class. */
const IRRELEVANT: Readonly<Record<string, string>> = {
  _class_name: 'read above',
  _diffusers_version: 'the diffusers version that wrote the file',
  _use_default_values: "diffusers' note of the keys it filled with defaults",
  // SD-2.x's DDIMScheduler config carries it over from PNDM; only PLMS reads it
  skip_prk_steps: "PNDMScheduler's Runge-Kutta warm-up (PLMS), not a setting of DDIM or DPM-Solver++",
  // read only with clip_sample / thresholding, which must be false
  clip_sample_range: 'read only with clip_sample: true, which is refused',
  dynamic_thresholding_ratio: 'read only with thresholding: true, which is refused',
  sample_max_value: 'read only with thresholding: true, which is refused',
};

/** Keys of DPMSolverMultistepScheduler and UniPCMultistepScheduler that are read only when a refused setting is on. */
const DPM_IRRELEVANT: Readonly<Record<string, string>> = {
  flow_shift: 'read only with use_flow_sigmas or use_dynamic_shifting, which must be false',
  time_shift_type: 'read only with use_dynamic_shifting, which must be false',
};

const NOISE_KEYS = [
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'prediction_type',
  'predict_epsilon',
  'timestep_spacing',
  'steps_offset',
  'rescale_betas_zero_snr',
  'set_alpha_to_one',
  'clip_sample',
  'thresholding',
] as const;

/** Keys each class honours (or checks) besides NOISE_KEYS, and its defaults where they differ. */
const CLASS_KEYS: Readonly<Record<SchedulerClass, readonly string[]>> = {
  DDIMScheduler: [],
  PNDMScheduler: [],
  DPMSolverMultistepScheduler: [
    'solver_order',
    'algorithm_type',
    'solver_type',
    'lower_order_final',
    'euler_at_final',
    'final_sigmas_type',
    'lambda_min_clipped',
    'variance_type',
    'use_karras_sigmas',
    'use_exponential_sigmas',
    'use_beta_sigmas',
    'use_lu_lambdas',
    'use_flow_sigmas',
    'use_dynamic_shifting',
  ],
  UniPCMultistepScheduler: [
    'solver_order',
    'solver_type',
    'predict_x0',
    'lower_order_final',
    'disable_corrector',
    'solver_p',
    'final_sigmas_type',
    'use_karras_sigmas',
    'use_exponential_sigmas',
    'use_beta_sigmas',
    'use_flow_sigmas',
    'use_dynamic_shifting',
  ],
};

/** Boolean DPM settings we implement only off: key → what it would do (UniPC has those without `euler_at_final` and `use_lu_lambdas`). */
const DPM_OFF: Readonly<Record<string, string>> = {
  euler_at_final: 'a first-order last step whatever the step count',
  use_karras_sigmas: 'Karras sigmas',
  use_exponential_sigmas: 'exponential sigmas',
  use_beta_sigmas: 'beta sigmas',
  use_lu_lambdas: "Lu's uniform-lambda timesteps",
  use_flow_sigmas: 'flow-matching sigmas',
  use_dynamic_shifting: 'resolution-dependent timestep shifting',
};

const INTEGER = 'an integer';

class ConfigReader {
  readonly issues: (RuntimeIssue & { readonly unsupported: boolean })[] = [];
  constructor(
    readonly cfg: Readonly<Record<string, unknown>>,
    readonly cls: string,
  ) {}

  has(key: string): boolean {
    return this.cfg[key] !== undefined && this.cfg[key] !== null;
  }

  bad(key: string, message: string): void {
    this.issues.push({ path: key, message, unsupported: false });
  }

  unsupported(key: string, message: string): void {
    this.issues.push({ path: key, message, unsupported: true });
  }

  number(key: string, fallback: number, ok: (x: number) => boolean, what: string): number {
    const x = this.cfg[key] ?? fallback;
    if (typeof x !== 'number' || !ok(x)) {
      this.bad(key, `Invalid ${key} ${show(x)}: expected ${what}.`);
      return fallback;
    }
    return x;
  }

  boolean(key: string, fallback: boolean): boolean {
    const x = this.cfg[key] ?? fallback;
    if (typeof x !== 'boolean') {
      this.bad(key, `Invalid ${key} ${show(x)}: expected true or false.`);
      return fallback;
    }
    return x;
  }

  choice<T extends string>(key: string, values: readonly string[], supported: readonly T[], fallback: T): T {
    const x = this.cfg[key] ?? fallback;
    if (typeof x === 'string' && (supported as readonly string[]).includes(x)) return x as T;
    const known = typeof x === 'string' && values.includes(x);
    this.unsupported(
      key,
      `Unsupported ${key} ${show(x)}${this.has(key) ? '' : ` (${this.cls}'s default)`}${known ? ` (a ${this.cls} setting we do not implement)` : ''}. ` +
        `Should be one of: ${oneOf(supported)}.`,
    );
    return fallback;
  }

  /** A setting implemented only at one value; `classDefault` is what an absent key means. */
  only(key: string, value: unknown, what: string, classDefault: unknown = value): void {
    const given = this.has(key) ? this.cfg[key] : classDefault;
    if (given === value) return;
    this.unsupported(
      key,
      `Unsupported ${key} ${show(given)}${this.has(key) ? '' : ` (${this.cls}'s default when the key is absent)`}: ${what} is not implemented. ` +
        `Supported: ${show(value)}.`,
    );
  }
}

/**
 * Read a diffusers `scheduler/scheduler_config.json` into the manifest's scheduler block, the
 * UNet's prediction type and the sampler it corresponds to. The numbers match diffusers exactly
 * for every setting honoured; any other setting is an error, never ignored.
 *
 * Classes:
 * - `DDIMScheduler` → sampler `ddim`.
 * - `DPMSolverMultistepScheduler` (`algorithm_type` `dpmsolver++`, `solver_type` `midpoint`) →
 *   sampler `dpmpp-2m` (`solver_order` 2) or `dpmpp-3m` (`solver_order` 3).
 * - `UniPCMultistepScheduler` (`solver_order` 2, `solver_type` `bh2` — or `midpoint`, `heun`,
 *   `logrho`, which diffusers turns into `bh2` —, `predict_x0` true, `disable_corrector` [],
 *   `solver_p` null) → sampler `unipc`.
 * - `PNDMScheduler` (SD-1.x's default export): PLMS is not implemented; no sampler is returned
 *   and our samplers run on its noise schedule and timestep settings — the images of diffusers
 *   after `pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)` (or
 *   `DPMSolverMultistepScheduler.from_config`), not of PNDM itself.
 *
 * Honoured keys: `num_train_timesteps`, `beta_start`, `beta_end`, `beta_schedule` (`linear`,
 * `scaled_linear`, `squaredcos_cap_v2`), `trained_betas`, `prediction_type` (and the deprecated
 * `predict_epsilon`), `timestep_spacing`, `steps_offset`, `set_alpha_to_one`,
 * `rescale_betas_zero_snr` (needs `v_prediction` or `sample`), `final_sigmas_type`,
 * `lower_order_final`. Checked and accepted only at the value we implement: `clip_sample` false,
 * `thresholding` false, and for DPM-Solver++ `euler_at_final`, `use_karras_sigmas`,
 * `use_exponential_sigmas`, `use_beta_sigmas`, `use_lu_lambdas`, `use_flow_sigmas`,
 * `use_dynamic_shifting` false, `variance_type` null, `lambda_min_clipped` −∞ (UniPC: the same
 * `use_*` keys but `use_lu_lambdas`). Irrelevant and allowed: `_diffusers_version`,
 * `_use_default_values`, `skip_prk_steps`, `clip_sample_range`, `dynamic_thresholding_ratio`,
 * `sample_max_value`, (DPM, UniPC) `flow_shift`, `time_shift_type`.
 * Whatever the class, the block also carries the DPM-Solver++ / UniPC settings (diffusers'
 * defaults where the class has none) and `dpmSolverTimesteps: "dpm-solver"`, so every sampler
 * gives what diffusers gives after `from_config` to its scheduler class.
 *
 * @param json - The parsed file, or its text: diffusers writes `-Infinity` (`lambda_min_clipped`),
 *   which `JSON.parse` refuses and this function reads.
 * @param file - The file's path, for messages.
 * @returns The scheduler block, the prediction type and the sampler.
 * @throws {@link RuntimeError} `unsupported` naming each setting we do not implement (key,
 *   value, what is supported; all of them in `issues`); `invalid-manifest` for a value of the
 *   wrong type or range, or text that is not JSON.
 * @example
 * ```ts
 * const { scheduler, prediction, sampler } = parseSchedulerConfig(await readText('scheduler/scheduler_config.json'), 'scheduler/scheduler_config.json');
 * // SD-1.5: scheduler.stepsOffset 1, scheduler.setAlphaToOne false, prediction 'epsilon', sampler undefined (PNDM)
 * ```
 * @public
 */
export function parseSchedulerConfig(json: unknown, file: string): ImportedScheduler {
  const value = typeof json === 'string' ? parseJsonText(json, file) : json;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuntimeError('invalid-manifest', `${file}: expected a JSON object (a diffusers scheduler config), got ${show(value)}.`);
  }
  const cfg = value as Record<string, unknown>;
  const className = cfg._class_name;
  if (typeof className !== 'string' || !SCHEDULER_CLASSES.includes(className)) {
    const message =
      className === undefined
        ? `${file}: missing _class_name: expected one of ${oneOf(SCHEDULER_CLASSES)}.`
        : `${file}: unsupported _class_name ${show(className)}. Should be one of: ${oneOf(SCHEDULER_CLASSES)}` +
          ' (for another class, set it to DDIMScheduler to run DDIM on its noise schedule).';
    throw new RuntimeError('unsupported', message, { issues: [{ path: '_class_name', message }] });
  }
  const cls = className as SchedulerClass;
  const r = new ConfigReader(cfg, cls);
  const dpm = cls === 'DPMSolverMultistepScheduler';
  const uni = cls === 'UniPCMultistepScheduler';

  const known = new Set<string>([
    ...NOISE_KEYS,
    ...CLASS_KEYS[cls],
    ...Object.keys(IRRELEVANT),
    ...(dpm || uni ? Object.keys(DPM_IRRELEVANT) : []),
  ]);
  for (const key of Object.keys(cfg)) {
    if (known.has(key)) continue;
    r.unsupported(
      key,
      `Unsupported key ${show(key)} (value ${show(cfg[key])}) in a ${cls} config: not a setting we honour, so we cannot reproduce what it does. ` +
        `Supported keys: ${oneOf([...known].filter((k) => !k.startsWith('_')).sort())}.`,
    );
  }

  const trainTimesteps = r.number('num_train_timesteps', 1000, (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer (e.g. 1000)');
  const inUnit = (x: number): boolean => x > 0 && x < 1;
  const betaStart = r.number('beta_start', 0.0001, inUnit, 'a number in (0, 1)');
  const betaEnd = r.number('beta_end', 0.02, inUnit, 'a number in (0, 1)');
  let trainedBetas: number[] | undefined;
  if (r.has('trained_betas')) {
    const b = cfg.trained_betas;
    if (!Array.isArray(b) || b.length !== trainTimesteps || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
      r.bad(
        'trained_betas',
        `Invalid trained_betas ${show(b)}: expected null or ${trainTimesteps} (num_train_timesteps) numbers in [0, 1).`,
      );
    } else trainedBetas = b as number[];
  }
  // diffusers ignores beta_schedule when trained_betas is given; so do we (the block needs a valid one)
  const betaSchedule: BetaSchedule =
    trainedBetas && !BETA_SCHEDULES.includes(cfg.beta_schedule as BetaSchedule)
      ? 'linear'
      : r.choice('beta_schedule', BETA_SCHEDULES, BETA_SCHEDULES, 'linear');

  let prediction: PredictionType;
  if (!r.has('prediction_type') && r.has('predict_epsilon')) {
    // deprecated in diffusers 0.10: predict_epsilon false meant "sample"
    prediction = r.boolean('predict_epsilon', true) ? 'epsilon' : 'sample';
  } else {
    prediction = r.choice('prediction_type', [...PREDICTION_TYPES, 'flow_prediction'], PREDICTION_TYPES, 'epsilon');
  }
  const timestepSpacing: TimestepSpacing = r.choice(
    'timestep_spacing',
    TIMESTEP_SPACINGS,
    TIMESTEP_SPACINGS,
    dpm || uni ? 'linspace' : 'leading',
  );
  const stepsOffset = r.number('steps_offset', 0, (x) => Number.isSafeInteger(x) && x >= 0, `${INTEGER} >= 0 (SD-1.x: 1)`);
  const rescaleBetasZeroSnr = r.boolean('rescale_betas_zero_snr', false);
  // PNDMScheduler's default is false, DDIMScheduler's true; DPMSolverMultistepScheduler has none, so
  // DDIMScheduler.from_config of it uses DDIM's
  const setAlphaToOne = r.boolean('set_alpha_to_one', cls !== 'PNDMScheduler');
  if (rescaleBetasZeroSnr && prediction === 'epsilon') {
    r.unsupported(
      'rescale_betas_zero_snr',
      'Unsupported rescale_betas_zero_snr true with prediction_type "epsilon": zero terminal SNR makes ᾱ = 0 at the last training ' +
        'timestep, where x0 = (x − √(1−ᾱ)·ε)/√ᾱ is undefined (diffusers then gives NaN with DDIM). Supported: rescale_betas_zero_snr ' +
        'false, or prediction_type "v_prediction" or "sample".',
    );
  }
  // DDIMScheduler clips unless told not to; PNDM and DPM-Solver++ never clip (a clip_sample key there
  // is left over from a DDIM config and would reach our DDIM sampler)
  r.only('clip_sample', false, 'clipping the predicted x0 to ±clip_sample_range', cls === 'DDIMScheduler');
  r.only('thresholding', false, 'dynamic thresholding of the predicted x0');

  let finalSigmasType: FinalSigmasType = 'zero';
  let lowerOrderFinal = true;
  let sampler: SamplerName | undefined = cls === 'DDIMScheduler' ? 'ddim' : undefined;
  if (dpm) {
    const order = cfg.solver_order ?? 2;
    if (order !== 2 && order !== 3) {
      r.unsupported(
        'solver_order',
        `Unsupported solver_order ${show(order)}: only the 2nd- and 3rd-order multistep solvers (DPM-Solver++ 2M, 3M) are implemented. Supported: 2, 3.`,
      );
    }
    sampler = order === 3 ? 'dpmpp-3m' : 'dpmpp-2m';
    r.choice('algorithm_type', ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'], ['dpmsolver++'], 'dpmsolver++');
    r.choice('solver_type', ['midpoint', 'heun'], ['midpoint'], 'midpoint');
    lowerOrderFinal = r.boolean('lower_order_final', true);
    finalSigmasType = r.choice('final_sigmas_type', FINAL_SIGMAS_TYPES, FINAL_SIGMAS_TYPES, 'zero');
    for (const [key, what] of Object.entries(DPM_OFF)) r.only(key, false, what);
    r.only('variance_type', null, 'a learned-variance model output (its extra channels)');
    const clip = cfg.lambda_min_clipped;
    if (clip !== undefined && clip !== null && clip !== Number.NEGATIVE_INFINITY) {
      r.unsupported(
        'lambda_min_clipped',
        `Unsupported lambda_min_clipped ${show(clip)}: clipping the timesteps at a minimum lambda is not implemented. Supported: -Infinity (no clipping).`,
      );
    }
  }
  if (uni) {
    const order = cfg.solver_order ?? 2;
    if (order !== 2) {
      r.unsupported('solver_order', `Unsupported solver_order ${show(order)}: only UniPC of order 2 is implemented. Supported: 2.`);
    }
    // diffusers' __init__ registers midpoint, heun and logrho as bh2
    r.choice('solver_type', ['bh1', 'bh2', 'midpoint', 'heun', 'logrho'], ['bh2', 'midpoint', 'heun', 'logrho'], 'bh2');
    r.only('predict_x0', true, 'UniPC on the noise prediction');
    const disabled = cfg.disable_corrector ?? [];
    if (!Array.isArray(disabled) || disabled.length > 0) {
      r.unsupported(
        'disable_corrector',
        `Unsupported disable_corrector ${show(disabled)}: skipping the corrector UniC at given steps is not implemented. Supported: [] (the corrector after every update).`,
      );
    }
    r.only('solver_p', null, 'another scheduler as the predictor (solver_p + UniC)');
    lowerOrderFinal = r.boolean('lower_order_final', true);
    finalSigmasType = r.choice('final_sigmas_type', FINAL_SIGMAS_TYPES, FINAL_SIGMAS_TYPES, 'zero');
    for (const [key, what] of Object.entries(DPM_OFF)) if (key !== 'euler_at_final' && key !== 'use_lu_lambdas') r.only(key, false, what);
    sampler = 'unipc';
  }

  if (r.issues.length > 0) {
    const unsupported = r.issues.every((i) => i.unsupported);
    const list = r.issues.map((i) => i.message);
    const message = list.length === 1 ? `${file}: ${list[0]}` : `${file}: ${list.length} problems: ${list.join(' ')}`;
    throw new RuntimeError(unsupported ? 'unsupported' : 'invalid-manifest', message, {
      issues: r.issues.map(({ path, message: m }) => ({ path, message: m })),
    });
  }
  const scheduler: SchedulerSpec = {
    trainTimesteps,
    betaSchedule,
    betaStart,
    betaEnd,
    ...(trainedBetas ? { trainedBetas: Object.freeze([...trainedBetas]) } : {}),
    rescaleBetasZeroSnr,
    timestepSpacing,
    stepsOffset,
    setAlphaToOne,
    finalSigmasType,
    lowerOrderFinal,
    dpmSolverTimesteps: 'dpm-solver',
  };
  return Object.freeze(
    sampler ? { scheduler: Object.freeze(scheduler), prediction, sampler } : { scheduler: Object.freeze(scheduler), prediction },
  );
}

const NON_FINITE: Readonly<Record<string, number>> = {
  '-Infinity': Number.NEGATIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  NaN: Number.NaN,
};

/** JSON as Python's json module writes it: `-Infinity`, `Infinity` and `NaN` outside strings are numbers. */
function parseJsonText(text: string, file: string): unknown {
  const mark = '\u0000flexi-non-finite:';
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = Object.keys(NON_FINITE).find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(mark + token);
      i += token.length;
    } else {
      out += c;
      i++;
    }
  }
  try {
    return JSON.parse(out, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(mark) ? NON_FINITE[v.slice(mark.length)] : v));
  } catch (e) {
    throw new RuntimeError('invalid-manifest', `${file} is not valid JSON: ${(e as Error).message}.`, { cause: e });
  }
}
