import type { CostProfile } from '@flexiffusion/schedule';
import type { ActiveBackend, ProgressEvent } from '../backend.js';
import type { CachedUnet } from '../cached-unet.js';
import { RuntimeError } from '../errors.js';
import { manifestImageOptions, type ToImageOptions } from '../image.js';
import { now, throwIfAborted } from '../internal/platform.js';
import type { MacCount } from '../macs.js';
import type { ModelManifest } from '../manifest.js';
import { alphasCumprod } from '../noise-schedule.js';
import { batchNoise } from '../noise.js';
import { PromptStage, type PromptEmbeddings } from '../pipeline/prompts.js';
import type { FamilyPipeline } from '../pipeline/stages.js';
import { runPlan } from '../run-plan.js';
import { SAMPLER_NAMES, type SamplerName, type SamplerSettings } from '../samplers.js';
import { samplerSettings } from '../scheduler-settings.js';
import type { GenerateOptions, GenerateResult, SampleBatch } from './generate-options.js';
import { profileModel, type ModelProfile, type ProfileOptions } from './profile.js';
import { resolveRequest, sliceConditions } from './request.js';

/**
 * A file a model was loaded from, with the SHA-256 of the bytes read.
 *
 * @public
 */
export interface ModelFile {
  /** Path relative to the model folder, as the manifest names it. */
  readonly path: string;
  /** Lowercase hex SHA-256 of its bytes, or `null` where the platform has no Web Crypto (an insecure browser context). */
  readonly sha256: string | null;
}

/** What {@link openModel} hands to the {@link Model} it makes. @internal */
export interface ModelInit {
  readonly manifest: ModelManifest;
  readonly files: readonly ModelFile[];
  readonly contentHash: string | null;
  readonly location: string;
  readonly backend: ActiveBackend;
  readonly unet: CachedUnet;
  readonly pipeline: FamilyPipeline;
  readonly sampleType: string;
  readonly timestepType: string;
}

/**
 * A loaded diffusion model, ready to generate with any schedule: the UNet cut for cached steps,
 * the noise schedule, and the model family's pipeline (conditioning stages and decoding stage,
 * composed once at load). The same class runs on every platform and backend: made by
 * {@link @flexiffusion/runtime!openModel | openModel}, or by the platform packages' `loadModel` (`@flexiffusion/runtime-node` on
 * cpu / cuda, `@flexiffusion/runtime-web` on webgpu / wasm). `dispose()` it when done.
 *
 * @example
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-node';
 * const model = await loadModel('fashion');
 * const { samples, shape } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [3, 7], seeds: [1, 2] });
 * await model.dispose();
 * ```
 * @public
 */
export class Model {
  /** The model's manifest. */
  readonly manifest: ModelManifest;
  /** Where the model was loaded from (a folder or URL), for messages. */
  readonly location: string;
  /** Every file the model was loaded from (UNet, text encoder, tokenizer, VAE), sorted by path, with its SHA-256. */
  readonly files: readonly ModelFile[];
  /**
   * SHA-256 over the manifest and every file's hash: changes whenever any weight, tokenizer file or
   * manifest field does. Key caches with it (teacher statistics, prompt embeddings). `null` where
   * the platform cannot hash (no Web Crypto).
   */
  readonly contentHash: string | null;
  /** The backend the sessions run on. */
  readonly backend: ActiveBackend;
  /** The prepared UNet (sessions, cut graphs, cost profile). */
  readonly unet: CachedUnet;
  /** The family's pipeline: conditioning stages and decoding stage. */
  readonly pipeline: FamilyPipeline;
  /** ᾱ of the training noise schedule. */
  readonly alphasCumprod: Float64Array;
  /** [C, H, W] of one UNet sample. */
  readonly sampleShape: readonly [number, number, number];
  readonly #sampleType: string;
  readonly #timestepType: string;
  readonly #samplerSettings: SamplerSettings;
  #imageSize: ReturnType<Model['imageSize']> | undefined;
  #disposed = false;

  /** @internal */
  constructor(init: ModelInit) {
    this.manifest = init.manifest;
    this.location = init.location;
    this.files = init.files;
    this.contentHash = init.contentHash;
    this.backend = init.backend;
    this.unet = init.unet;
    this.pipeline = init.pipeline;
    this.#sampleType = init.sampleType;
    this.#timestepType = init.timestepType;
    this.alphasCumprod = alphasCumprod(init.manifest.scheduler);
    this.#samplerSettings = samplerSettings(init.manifest.scheduler, this.alphasCumprod, init.manifest.unet.prediction);
    this.sampleShape = init.manifest.unet.sampleShape;
  }

  /** MACs per sample of a full step and of a partial step per branch. */
  get costProfile(): CostProfile {
    return this.unet.costProfile;
  }

  /** Per-node MACs of the full UNet. */
  get macs(): MacCount {
    return this.unet.macs;
  }

  /** Number of cache branches. */
  get branches(): number {
    return this.unet.branches;
  }

  /** The built-in sampler names (`generate({ sampler })` also takes a custom definition). */
  get samplers(): readonly SamplerName[] {
    return SAMPLER_NAMES;
  }

  /** The manifest's image range and crop, for the image helpers (PNG on Node, canvas in the browser). */
  get imageOptions(): ToImageOptions {
    return manifestImageOptions(this.manifest);
  }

  /**
   * Generate samples with a schedule and collect every batch.
   *
   * @param options - Schedule, conditioning (labels or prompts), seeds or noise, sampler, batching.
   * @returns The samples [N, C, H, W] (and latents for latent models).
   * @throws {@link RuntimeError} `invalid-option` for inconsistent options, `aborted`,
   *   `session-failed`; `ScheduleError` from `@flexiffusion/schedule` for an invalid schedule.
   * @example
   * ```ts
   * const { samples, shape } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [0, 1], seeds: [1, 2] });
   * ```
   */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const t0 = now();
    const parts: SampleBatch[] = [];
    for await (const b of this.stream(options)) parts.push(b);
    const first = parts[0]!;
    const total = parts.reduce((s, b) => s + b.count, 0);
    const join = (get: (b: SampleBatch) => Float32Array | undefined): Float32Array | undefined => {
      const head = get(first);
      if (!head) return undefined;
      const per = head.length / first.count;
      const out = new Float32Array(total * per);
      for (const b of parts) out.set(get(b)!, b.offset * per);
      return out;
    };
    const samples = join((b) => b.samples)!;
    const latents = join((b) => b.latents);
    const shape = [total, first.shape[1], first.shape[2], first.shape[3]] as const;
    const ls = first.latentShape;
    if (latents && ls) return { samples, shape, durationMs: now() - t0, latents, latentShape: [total, ls[1], ls[2], ls[3]] };
    return { samples, shape, durationMs: now() - t0 };
  }

  /**
   * Generate samples batch by batch, as an async iterator: each batch is yielded as soon as it is
   * done, so a caller can write or score it while the next runs. Breaking out of the loop stops
   * the generation.
   *
   * @param options - As {@link Model.generate}.
   * @returns Batches in order.
   * @throws As {@link Model.generate}.
   */
  async *stream(options: GenerateOptions): AsyncGenerator<SampleBatch, void, undefined> {
    this.#check();
    const m = this.manifest;
    const [C, H, W] = this.sampleShape;
    const size = C * H * W;
    const { conditioning, decoding } = this.pipeline;
    const r = resolveRequest(options, { manifest: m, sampleShape: this.sampleShape, branches: this.branches, conditioning });
    if (options.height !== undefined || options.width !== undefined) await this.#checkSize(options);
    const { n, plan, batchSize, seeds } = r;
    const guided = r.guidanceScale !== null;
    const batches = Math.ceil(n / batchSize);
    const totalUnits = batches * plan.evaluations;
    let done = 0;
    const report = (e: Omit<ProgressEvent, 'fraction'>): void =>
      options.onProgress?.({ ...e, fraction: e.total > 0 ? e.completed / e.total : 1 });
    for (let b = 0; b < batches; b++) {
      throwIfAborted(options.signal, 'Generation');
      const offset = b * batchSize;
      const count = Math.min(batchSize, n - offset);
      const bSeeds = seeds?.slice(offset, offset + count);
      const noise = options.initialNoise ? options.initialNoise.slice(offset * size, (offset + count) * size) : batchNoise(bSeeds!, size);
      const cond = sliceConditions(r.conditions, offset, count);
      const feeds = {};
      for (const stage of conditioning) {
        Object.assign(feeds, await stage.feeds(cond, guided, options.signal ? { signal: options.signal } : {}));
      }
      const x = await runPlan({
        unet: this.unet,
        plan,
        initialNoise: noise,
        sampleShape: this.sampleShape,
        inputs: { sample: m.unet.inputs.sample, timestep: m.unet.inputs.timestep },
        sampleType: this.#sampleType,
        timestepType: this.#timestepType,
        conditioning: { feeds, guidanceScale: r.guidanceScale },
        sampler: r.sampler,
        eta: options.eta ?? 0,
        alphasCumprod: this.alphasCumprod,
        samplerSettings: this.#samplerSettings,
        prediction: m.unet.prediction ?? 'epsilon',
        ...(bSeeds ? { seeds: bSeeds } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onStep: (info) => {
          if (!info.evaluated) return;
          done++;
          report({
            phase: 'sample',
            completed: done,
            total: totalUnits,
            message: `batch ${b + 1}/${batches}, step ${info.step}/${info.steps}`,
          });
        },
      });
      if (decoding.latent) {
        report({ phase: 'decode', completed: b, total: batches, message: `decoding batch ${b + 1}/${batches}` });
        const { images, shape } = await decoding.decode(x, count);
        yield { offset, count, samples: images, shape, latents: x, latentShape: [count, C, H, W] };
      } else {
        yield { offset, count, samples: x, shape: [count, C, H, W] };
      }
    }
  }

  /**
   * Decode latents with the VAE decoder (latent families): `vae(latents / scalingFactor)`.
   *
   * @param latents - [count, C, h, w] latents.
   * @param count - Number of samples.
   * @returns The decoded images (VAE output range, not clipped) and their shape.
   * @throws {@link RuntimeError} `unsupported` for a model without a VAE, `session-failed`.
   */
  decode(
    latents: Float32Array,
    count: number,
  ): Promise<{
    /** Decoded images, NCHW. */
    readonly images: Float32Array;
    /** [N, C, H, W] of `images`. */
    readonly shape: readonly [number, number, number, number];
  }> {
    this.#check();
    if (!this.pipeline.decoding.latent) {
      throw new RuntimeError(
        'unsupported',
        `Model ${JSON.stringify(this.manifest.name)} (family ${this.manifest.family}) has no VAE decoder.`,
      );
    }
    return this.pipeline.decoding.decode(latents, count);
  }

  /**
   * Text embeddings of prompts (Stable Diffusion): tokenize, run the text encoder. Each distinct
   * prompt is encoded once and remembered.
   *
   * @param prompts - Prompts.
   * @returns [N, L, d] embeddings and their shape.
   * @throws {@link RuntimeError} `unsupported` for a model without a text encoder, `session-failed`.
   */
  encodePrompts(prompts: readonly string[]): Promise<PromptEmbeddings> {
    this.#check();
    const stage = this.pipeline.conditioning.find((s): s is PromptStage => s instanceof PromptStage);
    if (!stage) {
      throw new RuntimeError(
        'unsupported',
        `Model ${JSON.stringify(this.manifest.name)} (family ${this.manifest.family}) has no text encoder.`,
      );
    }
    return stage.encode(prompts);
  }

  /**
   * Measure the latency of each step kind (full, and partial per branch) on this backend.
   *
   * @param options - Batch size, repeats, warm-up, guidance.
   * @returns The cost profile, the median step latencies and their ratios.
   * @throws {@link RuntimeError} `session-failed`, `aborted`.
   */
  profile(options: ProfileOptions = {}): Promise<ModelProfile> {
    this.#check();
    return profileModel(
      {
        manifest: this.manifest,
        unet: this.unet,
        conditioning: this.pipeline.conditioning,
        sampleShape: this.sampleShape,
        sampleType: this.#sampleType,
        timestepType: this.#timestepType,
      },
      options,
    );
  }

  /** Release every session. Further calls throw `disposed`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all([this.unet.dispose(), this.pipeline.decoding.dispose(), ...this.pipeline.conditioning.map((s) => s.dispose())]);
  }

  /**
   * The size and channels of the images this model generates, and the VAE's scale factor (1 for pixel models):
   * for latent models the decoder is run once on zero latents to learn it.
   */
  async imageSize(): Promise<{
    /** Image height in pixels. */
    readonly height: number;
    /** Image width in pixels. */
    readonly width: number;
    /** Image size / latent size (the VAE's scale factor; 1 for pixel models). */
    readonly scaleFactor: number;
    /** Image channels (the VAE decoder's output channels; the sample's for pixel models). */
    readonly channels: number;
  }> {
    this.#check();
    if (!this.#imageSize) {
      const [C, H, W] = this.sampleShape;
      this.#imageSize = this.pipeline.decoding.latent
        ? this.pipeline.decoding
            .decode(new Float32Array(C * H * W), 1)
            .then(({ shape }) => ({ height: shape[2], width: shape[3], scaleFactor: shape[2] / H, channels: shape[1] }))
        : Promise.resolve({ height: H, width: W, scaleFactor: 1, channels: C });
    }
    return this.#imageSize;
  }

  async #checkSize(o: GenerateOptions): Promise<void> {
    const size = await this.imageSize();
    const [, h, w] = this.sampleShape;
    for (const [name, value, native] of [
      ['height', o.height, size.height],
      ['width', o.width, size.width],
    ] as const) {
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
        throw new RuntimeError('invalid-option', `Invalid ${name} ${String(value)}: expected a whole number of pixels >= 1.`);
      }
      const model = JSON.stringify(this.manifest.name);
      const what = size.scaleFactor === 1 ? `a ${h}×${w} UNet` : `a ${h}×${w} latent UNet and a VAE with scale factor ${size.scaleFactor}`;
      if (value % size.scaleFactor !== 0) {
        throw new RuntimeError(
          'invalid-option',
          `Invalid ${name} ${value}: model ${model} has ${what}, so ${name} must be a multiple of ${size.scaleFactor}.`,
        );
      }
      if (value !== native) {
        throw new RuntimeError(
          'invalid-option',
          `Invalid ${name} ${value}: model ${model} (${what}) generates ${size.height}×${size.width} images; ` +
            `other sizes are not supported yet, so ${name} must be ${native} (or left out).`,
        );
      }
    }
  }

  #check(): void {
    if (this.#disposed) throw new RuntimeError('disposed', `Model ${JSON.stringify(this.manifest.name)} was disposed: load it again.`);
  }
}
