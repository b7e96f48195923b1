import type { ModelSource } from './backend.js';
import { RuntimeError, oneOf, show, type RuntimeIssue } from './errors.js';
import { sha256Hex, throwIfAborted, utf8Decode, type AbortSignalLike } from './internal/platform.js';
import { BETA_SCHEDULES, type BetaSchedule } from './noise-schedule.js';
import { PREDICTION_TYPES, type PredictionType } from './samplers.js';

/** The manifest file name inside a model folder. @public */
export const MANIFEST_FILE = 'model.json';

/**
 * Model families.
 *
 * - `class-conditional`: pixel-space UNet conditioned on a class label (`unet.inputs.classLabels`).
 * - `unconditional`: pixel-space UNet without conditioning.
 * - `latent`: latent-space UNet (optionally class-conditional) and a VAE decoder run at the end.
 * - `stable-diffusion`: text-conditioned latent UNet: CLIP BPE tokenizer, text encoder, VAE decoder.
 *
 * @public
 */
export type ModelFamily = 'class-conditional' | 'unconditional' | 'latent' | 'stable-diffusion';

/** The valid {@link ModelFamily} values. @public */
export const MODEL_FAMILIES: readonly ModelFamily[] = Object.freeze(['class-conditional', 'unconditional', 'latent', 'stable-diffusion']);

/** Element types a UNet's timestep input may have. @public */
export type TimestepType = 'int64' | 'int32' | 'float32';

/**
 * One cache branch of the UNet: the tensor a full step stores and a partial step of this branch
 * reads (a DeepCache cut point). Branch 0 is the shallowest (cheapest partial step).
 *
 * @public
 */
export interface CacheBranch {
  /** Branch index; branches are numbered 0..B−1 in order. */
  readonly branch: number;
  /** Name of the tensor in the UNet graph. */
  readonly tensor: string;
}

/**
 * The UNet block of a manifest.
 *
 * @public
 */
export interface UnetSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Graph input names by role. */
  readonly inputs: {
    /** The noisy sample x_t ([B, C, H, W]; diffusers: `sample`). */
    readonly sample: string;
    /** The timestep ([B] or scalar; diffusers: `timestep`). */
    readonly timestep: string;
    /** Class labels (int64 [B]), for class-conditional models. */
    readonly classLabels?: string;
    /** Text embeddings ([B, L, d]), for Stable Diffusion. */
    readonly encoderHiddenStates?: string;
  };
  /** Graph output name of the prediction. */
  readonly output: string;
  /** Shape of one sample, [C, H, W] (latent shape for latent models). */
  readonly sampleShape: readonly [number, number, number];
  /** What the output predicts (default `epsilon`). */
  readonly prediction?: PredictionType;
  /** Element type of the timestep input (default: read from the session, else `int64`). */
  readonly timestepType?: TimestepType;
  /** Cache branches (cut points), branch 0..B−1. May be empty: then only full and null steps run. */
  readonly cache: readonly CacheBranch[];
}

/**
 * The training noise schedule (diffusers scheduler config).
 *
 * @public
 */
export interface SchedulerSpec {
  /** `num_train_timesteps`. */
  readonly trainTimesteps: number;
  /** `beta_schedule`. */
  readonly betaSchedule: BetaSchedule;
  /** `beta_start`. */
  readonly betaStart: number;
  /** `beta_end`. */
  readonly betaEnd: number;
}

/**
 * Conditioning of the model.
 *
 * @public
 */
export interface ConditioningSpec {
  /** Number of classes (class-conditional models). */
  readonly numClasses?: number;
  /** The label meaning "no class" (the unconditional half of classifier-free guidance). */
  readonly unconditionalLabel?: number;
  /** Class names, index = label. */
  readonly classNames?: readonly string[];
  /** Guidance scale used when a caller gives none. */
  readonly defaultGuidanceScale?: number;
}

/**
 * How samples map to pixels.
 *
 * @public
 */
export interface ImageSpec {
  /** Pixel value range of samples (model space), e.g. [-1, 1]. */
  readonly range: readonly [number, number];
  /** The region holding the image (e.g. a 28×28 image padded to 32×32). */
  readonly crop?: {
    /** First row of the region. */
    readonly top: number;
    /** First column of the region. */
    readonly left: number;
    /** Rows in the region. */
    readonly height: number;
    /** Columns in the region. */
    readonly width: number;
  };
}

/**
 * A VAE decoder (latent families).
 *
 * @public
 */
export interface VaeSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (public export: `latent_sample`). */
  readonly input: string;
  /** Output name (public export: `sample`). */
  readonly output: string;
  /** Latents are divided by this before decoding (SD: 0.18215). */
  readonly scalingFactor: number;
}

/**
 * A CLIP text encoder (Stable Diffusion).
 *
 * @public
 */
export interface TextEncoderSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (`input_ids`). */
  readonly input: string;
  /** Output name (`last_hidden_state`). */
  readonly output: string;
  /** Token sequence length (77). */
  readonly maxLength: number;
}

/**
 * A CLIP BPE tokenizer's files (Stable Diffusion).
 *
 * @public
 */
export interface TokenizerSpec {
  /** `tokenizer/vocab.json`. */
  readonly vocab: string;
  /** `tokenizer/merges.txt`. */
  readonly merges: string;
}

/**
 * A feature network for FID-style metrics (read by `@flexiffusion/metrics`).
 *
 * @public
 */
export interface FeatureNetworkSpec {
  /** ONNX file, relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Input name (images in [0, 1], cropped per `image.crop`). */
  readonly input: string;
  /** Output name of the feature vector. */
  readonly features: string;
  /** Output name of the class logits, if any. */
  readonly logits?: string;
  /** Feature dimension. */
  readonly dim: number;
}

/**
 * Reference feature statistics of real images (read by `@flexiffusion/metrics`).
 *
 * @public
 */
export interface ReferenceStatsSpec {
  /** Serialised statistics file (`@flexiffusion/metrics`' `serializeStats` format), relative to the model folder. */
  readonly file: string;
  /** Lowercase hex SHA-256 of the file (checked on load when given). */
  readonly sha256?: string;
  /** Number of images the statistics were computed on. */
  readonly count: number;
}

/**
 * A model manifest: `model.json` in a model folder. Version 1 of the format.
 *
 * @example
 * ```json
 * { "format": 1, "name": "fashion", "family": "class-conditional",
 *   "unet": { "file": "unet.onnx", "inputs": { "sample": "sample", "timestep": "timestep", "classLabels": "class_labels" },
 *             "output": "noise_pred", "sampleShape": [1, 32, 32], "prediction": "epsilon",
 *             "cache": [{ "branch": 0, "tensor": "/up_blocks.1/upsamplers.0/conv/Conv_output_0" }] },
 *   "scheduler": { "trainTimesteps": 1000, "betaSchedule": "linear", "betaStart": 0.0001, "betaEnd": 0.02 },
 *   "conditioning": { "numClasses": 10, "unconditionalLabel": 10, "defaultGuidanceScale": 2 },
 *   "image": { "range": [-1, 1] } }
 * ```
 * @public
 */
export interface ModelManifest {
  /** Format version: 1. */
  readonly format: 1;
  /** Model name. */
  readonly name: string;
  /** One-paragraph description. */
  readonly description?: string;
  /** Family; decides which blocks are required. */
  readonly family: ModelFamily;
  /** The denoising network and its cache branches. */
  readonly unet: UnetSpec;
  /** The training noise schedule. */
  readonly scheduler: SchedulerSpec;
  /** Required for class-conditional models. */
  readonly conditioning?: ConditioningSpec;
  /** How samples map to pixels (default range [-1, 1], no crop). */
  readonly image?: ImageSpec;
  /** Required for `latent` and `stable-diffusion`. */
  readonly vae?: VaeSpec;
  /** Required for `stable-diffusion`. */
  readonly textEncoder?: TextEncoderSpec;
  /** Required for `stable-diffusion`. */
  readonly tokenizer?: TokenizerSpec;
  /** Feature network for FID / rFID (needed by `flexi search`, `flexi eval`). */
  readonly featureNetwork?: FeatureNetworkSpec;
  /** Feature statistics of real images, for FID against real data. */
  readonly referenceStats?: ReferenceStatsSpec;
  /** Free-form: how the model was made (recipe, data, commit). */
  readonly provenance?: Readonly<Record<string, unknown>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly issues: RuntimeIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
  obj(v: unknown, path: string, required: boolean): Obj | undefined {
    if (v === undefined) {
      if (required) this.add(path, `Missing ${path}: expected an object.`);
      return undefined;
    }
    if (!isObj(v)) {
      this.add(path, `Invalid ${path} ${show(v)}: expected an object.`);
      return undefined;
    }
    return v;
  }
  str(o: Obj, key: string, path: string, required = true): string | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.add(`${path}.${key}`, v === undefined ? `Missing ${path}.${key}: expected a non-empty string.` : `Invalid ${path}.${key} ${show(v)}: expected a non-empty string.`);
      return undefined;
    }
    return v;
  }
  file(o: Obj, key: string, path: string): void {
    const f = this.str(o, key, path);
    if (f !== undefined && (f.startsWith('/') || f.split('/').includes('..') || f.includes('\\'))) {
      this.add(`${path}.${key}`, `Invalid ${path}.${key} ${show(f)}: expected a relative '/'-separated path inside the model folder.`);
    }
  }
  sha(o: Obj, path: string): void {
    const v = o['sha256'];
    if (v !== undefined && (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))) {
      this.add(`${path}.sha256`, `Invalid ${path}.sha256 ${show(v)}: expected 64 lowercase hex digits.`);
    }
  }
  num(o: Obj, key: string, path: string, test: (n: number) => boolean, expected: string, required = true): number | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) {
      this.add(`${path}.${key}`, v === undefined ? `Missing ${path}.${key}: expected ${expected}.` : `Invalid ${path}.${key} ${show(v)}: expected ${expected}.`);
      return undefined;
    }
    return v;
  }
  oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], required = true): T | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.add(`${path}.${key}`, `${v === undefined ? 'Missing' : 'Unsupported'} ${path}.${key}${v === undefined ? '' : ` ${show(v)}`}. Should be one of: ${oneOf(values)}.`);
      return undefined;
    }
    return v as T;
  }
}

const posInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
const nonNegInt = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * Check a parsed `model.json` and return it typed. Every problem is collected, so one error lists
 * them all (`error.issues`, each with a JSON path). Fields the format does not define (e.g. a
 * model package's `testSample` block) are kept and not checked.
 *
 * @param value - The parsed JSON.
 * @returns The same object, typed as a {@link ModelManifest}.
 * @throws {@link RuntimeError} `invalid-manifest` listing every problem.
 * @example
 * ```ts
 * const manifest = validateManifest(JSON.parse(text));
 * manifest.unet.cache.length; // number of cache branches
 * ```
 * @public
 */
export function validateManifest(value: unknown): ModelManifest {
  const c = new Checker();
  if (!isObj(value)) {
    throw new RuntimeError('invalid-manifest', `Invalid manifest ${show(value)}: expected a JSON object.`, {
      issues: [{ path: '', message: 'expected a JSON object' }],
    });
  }
  if (value['format'] !== 1) {
    c.add('format', `Unsupported manifest format ${show(value['format'])}. Should be one of: 1.`);
  }
  c.str(value, 'name', 'manifest');
  c.str(value, 'description', 'manifest', false);
  const family = c.oneOf(value, 'family', 'manifest', MODEL_FAMILIES);
  const unet = c.obj(value['unet'], 'unet', true);
  if (unet) {
    c.file(unet, 'file', 'unet');
    c.sha(unet, 'unet');
    const inputs = c.obj(unet['inputs'], 'unet.inputs', true);
    if (inputs) {
      c.str(inputs, 'sample', 'unet.inputs');
      c.str(inputs, 'timestep', 'unet.inputs');
      c.str(inputs, 'classLabels', 'unet.inputs', family === 'class-conditional');
      c.str(inputs, 'encoderHiddenStates', 'unet.inputs', family === 'stable-diffusion');
      for (const k of Object.keys(inputs)) {
        if (!['sample', 'timestep', 'classLabels', 'encoderHiddenStates'].includes(k)) {
          c.add(`unet.inputs.${k}`, `Unknown input role ${show(k)}. Should be one of: "sample", "timestep", "classLabels", "encoderHiddenStates".`);
        }
      }
      if (family === 'unconditional' && inputs['classLabels'] !== undefined) {
        c.add('unet.inputs.classLabels', 'An unconditional model has no classLabels input: use family "class-conditional".');
      }
    }
    c.str(unet, 'output', 'unet');
    const shape = unet['sampleShape'];
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => typeof d === 'number' && posInt(d))) {
      c.add('unet.sampleShape', `Invalid unet.sampleShape ${show(shape)}: expected [channels, height, width], positive integers.`);
    }
    c.oneOf(unet, 'prediction', 'unet', PREDICTION_TYPES, false);
    c.oneOf(unet, 'timestepType', 'unet', ['int64', 'int32', 'float32'] as const, false);
    const cache = unet['cache'];
    if (!Array.isArray(cache)) {
      c.add('unet.cache', `Invalid unet.cache ${show(cache)}: expected an array of { branch, tensor } (may be empty).`);
    } else {
      const seen = new Set<string>();
      cache.forEach((entry, i) => {
        const p = `unet.cache[${i}]`;
        if (!isObj(entry)) {
          c.add(p, `Invalid ${p} ${show(entry)}: expected { branch, tensor }.`);
          return;
        }
        if (entry['branch'] !== i) {
          c.add(`${p}.branch`, `Invalid ${p}.branch ${show(entry['branch'])}: expected ${i} (branches are numbered 0..${cache.length - 1} in order).`);
        }
        const t = c.str(entry, 'tensor', p);
        if (t !== undefined) {
          if (seen.has(t)) c.add(`${p}.tensor`, `Cache tensor ${show(t)} is listed twice: each branch needs its own cut point.`);
          seen.add(t);
        }
      });
    }
  }
  const sched = c.obj(value['scheduler'], 'scheduler', true);
  if (sched) {
    c.num(sched, 'trainTimesteps', 'scheduler', posInt, 'a positive integer (e.g. 1000)');
    c.oneOf(sched, 'betaSchedule', 'scheduler', BETA_SCHEDULES);
    c.num(sched, 'betaStart', 'scheduler', (n) => n > 0 && n < 1, 'a number in (0, 1)');
    c.num(sched, 'betaEnd', 'scheduler', (n) => n > 0 && n < 1, 'a number in (0, 1)');
  }
  const cond = c.obj(value['conditioning'], 'conditioning', family === 'class-conditional');
  if (cond) {
    const needClasses = family === 'class-conditional' || (family === 'latent' && unet && isObj(unet['inputs']) && unet['inputs']['classLabels'] !== undefined);
    const n = c.num(cond, 'numClasses', 'conditioning', posInt, 'a positive integer', !!needClasses);
    const u = c.num(cond, 'unconditionalLabel', 'conditioning', nonNegInt, 'a non-negative integer', !!needClasses);
    if (n !== undefined && u !== undefined && u < n) {
      c.add('conditioning.unconditionalLabel', `Invalid conditioning.unconditionalLabel ${u}: it is one of the classes 0..${n - 1}; expected a label >= numClasses (${n}).`);
    }
    const names = cond['classNames'];
    if (names !== undefined && (!Array.isArray(names) || !names.every((s) => typeof s === 'string') || (n !== undefined && names.length !== n))) {
      c.add('conditioning.classNames', `Invalid conditioning.classNames ${show(names)}: expected ${n ?? 'numClasses'} strings.`);
    }
    c.num(cond, 'defaultGuidanceScale', 'conditioning', (x) => x >= 0, 'a number >= 0', false);
  } else if (family === 'latent' && unet && isObj(unet['inputs']) && unet['inputs']['classLabels'] !== undefined) {
    c.add('conditioning', 'Missing conditioning: a latent model with a classLabels input needs numClasses and unconditionalLabel.');
  }
  const image = c.obj(value['image'], 'image', false);
  if (image) {
    const r = image['range'];
    if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number' || !(r[0] < r[1])) {
      c.add('image.range', `Invalid image.range ${show(r)}: expected [low, high] with low < high.`);
    }
    const crop = c.obj(image['crop'], 'image.crop', false);
    if (crop) {
      for (const k of ['top', 'left']) c.num(crop, k, 'image.crop', nonNegInt, 'a non-negative integer');
      for (const k of ['height', 'width']) c.num(crop, k, 'image.crop', posInt, 'a positive integer');
    }
  }
  const vae = c.obj(value['vae'], 'vae', family === 'latent' || family === 'stable-diffusion');
  if (vae) {
    c.file(vae, 'file', 'vae');
    c.sha(vae, 'vae');
    c.str(vae, 'input', 'vae');
    c.str(vae, 'output', 'vae');
    c.num(vae, 'scalingFactor', 'vae', (x) => x > 0, 'a number > 0 (SD: 0.18215)');
  }
  const te = c.obj(value['textEncoder'], 'textEncoder', family === 'stable-diffusion');
  if (te) {
    c.file(te, 'file', 'textEncoder');
    c.sha(te, 'textEncoder');
    c.str(te, 'input', 'textEncoder');
    c.str(te, 'output', 'textEncoder');
    c.num(te, 'maxLength', 'textEncoder', (x) => posInt(x) && x >= 2, 'an integer >= 2 (CLIP: 77)');
  }
  const tok = c.obj(value['tokenizer'], 'tokenizer', family === 'stable-diffusion');
  if (tok) {
    c.file(tok, 'vocab', 'tokenizer');
    c.file(tok, 'merges', 'tokenizer');
  }
  const fn = c.obj(value['featureNetwork'], 'featureNetwork', false);
  if (fn) {
    c.file(fn, 'file', 'featureNetwork');
    c.sha(fn, 'featureNetwork');
    c.str(fn, 'input', 'featureNetwork');
    c.str(fn, 'features', 'featureNetwork');
    c.str(fn, 'logits', 'featureNetwork', false);
    c.num(fn, 'dim', 'featureNetwork', posInt, 'a positive integer');
  }
  const rs = c.obj(value['referenceStats'], 'referenceStats', false);
  if (rs) {
    c.file(rs, 'file', 'referenceStats');
    c.sha(rs, 'referenceStats');
    c.num(rs, 'count', 'referenceStats', posInt, 'a positive integer');
  }
  if (value['provenance'] !== undefined) c.obj(value['provenance'], 'provenance', false);
  if (c.issues.length > 0) {
    const first = c.issues[0]!;
    throw new RuntimeError(
      'invalid-manifest',
      `Invalid model manifest (${c.issues.length} problem${c.issues.length > 1 ? 's' : ''}): ${first.message}${c.issues.length > 1 ? ` (and ${c.issues.length - 1} more, see error.issues)` : ''}`,
      { issues: c.issues },
    );
  }
  return value as unknown as ModelManifest;
}

/**
 * Parse and validate `model.json` text or bytes.
 *
 * @param data - The file's text or UTF-8 bytes.
 * @returns The manifest.
 * @throws {@link RuntimeError} `invalid-manifest` for invalid JSON or an invalid manifest.
 * @public
 */
export function parseManifest(data: string | Uint8Array): ModelManifest {
  let text: string;
  let json: unknown;
  try {
    text = typeof data === 'string' ? data : utf8Decode(data);
    json = JSON.parse(text);
  } catch (cause) {
    throw new RuntimeError('invalid-manifest', `The model manifest is not valid UTF-8 JSON: ${cause instanceof Error ? cause.message : String(cause)}.`, {
      cause,
    });
  }
  return validateManifest(json);
}

/**
 * Options of {@link loadManifest} and {@link readModelFile}.
 *
 * @public
 */
export interface ReadOptions {
  /** Cancels the read. */
  readonly signal?: AbortSignalLike;
}

/**
 * Read and validate `model.json` from a model folder.
 *
 * @param source - Reads files of the model folder.
 * @param options - `signal`.
 * @returns The manifest.
 * @throws {@link RuntimeError} `missing-file` when model.json cannot be read, `invalid-manifest`.
 * @example
 * ```ts
 * const manifest = await loadManifest({ readFile: (p) => fs.readFile(path.join(dir, p)) });
 * ```
 * @public
 */
export async function loadManifest(source: ModelSource, options: ReadOptions = {}): Promise<ModelManifest> {
  const bytes = await readModelFile(source, MANIFEST_FILE, { ...options, role: 'manifest' });
  return parseManifest(bytes);
}

/**
 * Read one file of a model folder, checking its SHA-256 when given (and the platform has Web Crypto).
 *
 * @param source - Reads files of the model folder.
 * @param path - Path relative to the folder.
 * @param options - `sha256` to check, `role` (e.g. `unet.file`) for messages, `signal`.
 * @returns The bytes.
 * @throws {@link RuntimeError} `missing-file`, `checksum-mismatch`, `aborted`.
 * @public
 */
export async function readModelFile(
  source: ModelSource,
  path: string,
  options: ReadOptions & { readonly sha256?: string; readonly role?: string } = {},
): Promise<Uint8Array> {
  throwIfAborted(options.signal, `Reading ${path}`);
  let bytes: Uint8Array;
  const where = source.location ? ` in ${source.location}` : '';
  try {
    bytes = await source.readFile(path);
  } catch (cause) {
    throw new RuntimeError(
      'missing-file',
      `Cannot read ${options.role ? `${options.role} ` : ''}file ${JSON.stringify(path)}${where}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { cause, issues: [{ path, message: 'missing or unreadable' }] },
    );
  }
  if (options.sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== null && actual !== options.sha256) {
      throw new RuntimeError(
        'checksum-mismatch',
        `File ${JSON.stringify(path)}${where} has SHA-256 ${actual}, but the manifest says ${options.sha256}: the file is corrupt or from another model.`,
      );
    }
  }
  return bytes;
}
