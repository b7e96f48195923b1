/**
 * The options the commands share, declared once. A command's table composes them:
 *
 * ```ts
 * const spec = { schedule: options.schedule, ...modelOptions, ...generationOptions, out: text({ … }), help: options.help };
 * ```
 *
 * Choices come from the packages' exported constants, so a new sampler, null mode or device shows up here by
 * itself and the parsed value has the literal type. An option every generating command takes (`sample`, `eval`,
 * `search`) is one line in {@link generationOptions}.
 */
import { SAMPLER_NAMES, type SamplerName } from '@flexiffusion/runtime';
import { NULL_MODES, type NullMode } from '@flexiffusion/schedule';
import { choice, flag, int, num, text, texts } from './args.js';
import { FEATURE_PRESETS } from './features.js';
import { DEVICES } from './model.js';

/** Every shared option, by its name on the command line. */
export const options = {
  model: text({ default: 'fashion', placeholder: 'NAME|DIR', help: 'model name, folder with model.json, or diffusers ONNX export folder' }),
  device: choice(DEVICES, { default: 'cpu', help: 'execution provider' }),
  threads: int({ min: 1, max: 256, help: 'intra-op threads per session' }),
  schedule: text({ placeholder: 'DSL', help: 'schedule in the DSL notation, e.g. "F P0 N N | F P1 N N"' }),
  sampler: choice(SAMPLER_NAMES, { default: 'ddim', help: 'sampler' }),
  'teacher-sampler': choice(SAMPLER_NAMES, { defaultText: '--sampler', help: 'sampler of the teacher' }),
  'null-mode': choice(NULL_MODES, { default: 'skip', help: 'what null steps do' }),
  guidance: num({ min: 0, max: 100, defaultText: "the model's", help: 'classifier-free guidance scale' }),
  seed: int({ default: 0, min: 0, max: 2 ** 31, help: 'seed of the first sample (sample i uses seed + i)' }),
  'batch-size': int({ default: 32, min: 1, max: 4096, help: 'samples per network batch' }),
  'cache-dir': text({ placeholder: 'DIR', defaultText: 'node_modules/.cache/flexiffusion', help: 'teacher statistics cache' }),
  'grid-images': int({ default: 20, min: 0, max: 1000, help: 'images per grid in the report' }),
  prompt: texts({ help: 'prompt (repeatable); sample i uses prompt i mod P with seed + i' }),
  prompts: text({ placeholder: 'FILE', help: 'prompts, one a line, or JSONL with "prompt" and optional "negative_prompt"' }),
  'negative-prompt': text({ defaultText: '""', help: 'negative prompt (the unconditional half of guidance)' }),
  height: int({ min: 1, max: 16384, defaultText: "the model's", help: 'image height in pixels, checked against the model' }),
  width: int({ min: 1, max: 16384, defaultText: "the model's", help: 'image width in pixels, checked against the model' }),
  features: text({ placeholder: 'FILE.onnx', defaultText: "the manifest's featureNetwork", help: 'feature network for rFID and KID' }),
  'features-preset': choice(FEATURE_PRESETS, { default: 'inception', help: 'how images are fed to --features' }),
  clip: text({ placeholder: 'DIR', help: 'CLIP export for the CLIP score (image_encoder.onnx, text_encoder.onnx, tokenizer/)' }),
  help: flag({ short: 'h', help: 'show this help' }),
};

/** The model and where it runs: every command that opens a model. */
export const modelOptions = {
  model: options.model,
  device: options.device,
  threads: options.threads,
};

/** How samples are generated: `sample`, `eval` and `search`. */
export const generationOptions = {
  sampler: options.sampler,
  'null-mode': options['null-mode'],
  guidance: options.guidance,
  seed: options.seed,
  'batch-size': options['batch-size'],
  prompt: options.prompt,
  prompts: options.prompts,
  'negative-prompt': options['negative-prompt'],
  height: options.height,
  width: options.width,
};

/** The quality signals of `eval` and `search`: the feature network and the CLIP export. */
export const qualityOptions = {
  features: options.features,
  'features-preset': options['features-preset'],
  clip: options.clip,
};

const { sampler, ...afterSampler } = generationOptions;

/** {@link generationOptions} with `--teacher-sampler` after `--sampler`: the commands that judge against a teacher. */
export const teacherGenerationOptions = { sampler, 'teacher-sampler': options['teacher-sampler'], ...afterSampler };

/** What {@link generationOptions} parse to, in the names the generator pool and `generate()` use. */
export interface GenerationValues {
  readonly sampler: SamplerName;
  readonly nullMode: NullMode;
  readonly guidanceScale: number | undefined;
  /** Samples per network batch. */
  readonly batchSize: number;
  /** Image size asked for (checked by the runtime against the model). */
  readonly height: number | undefined;
  readonly width: number | undefined;
}

/** The generation settings of parsed {@link generationOptions}. */
export function generationValues(v: {
  sampler: SamplerName;
  'null-mode': NullMode;
  guidance: number | undefined;
  'batch-size': number;
  height: number | undefined;
  width: number | undefined;
}): GenerationValues {
  return {
    sampler: v.sampler,
    nullMode: v['null-mode'],
    guidanceScale: v.guidance,
    batchSize: v['batch-size'],
    height: v.height,
    width: v.width,
  };
}
