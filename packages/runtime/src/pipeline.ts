import { planSchedule, type CostProfile, type NullMode, type Schedule } from '@flexiffusion/schedule';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ModelSource, OperationOptions, ProgressEvent, SessionFactory } from './backend.js';
import { prepareUnet, type CachedUnet } from './cached-unet.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { RuntimeError, oneOf } from './errors.js';
import { inspectGraph, type GraphSummary } from './graph-cut.js';
import { throwIfAborted, now, type AbortSignalLike } from './internal/platform.js';
import { filledTensor, floatTensor, intTensor, readFloat32, releaseDeviceTensors } from './internal/tensor.js';
import type { MacCount } from './macs.js';
import { openSession, runSession } from './macs.js';
import { loadManifest, readModelFile, type ModelManifest } from './manifest.js';
import { batchNoise } from './noise.js';
import { alphasCumprod } from './noise-schedule.js';
import { runPlan, type BatchConditioning } from './run-plan.js';
import { SAMPLERS, getSampler, type SamplerName } from './samplers.js';

/**
 * Options of {@link createPipeline}.
 *
 * @public
 */
export interface CreatePipelineOptions extends OperationOptions {
  /** Reads the model folder's files. */
  readonly source: ModelSource;
  /** Opens onnxruntime sessions (the platform package's backend). */
  readonly sessions: SessionFactory;
  /** The manifest, when already loaded (default: read `model.json` from `source`). */
  readonly manifest?: ModelManifest;
  /** Check files against the manifest's SHA-256 (default true; skipped where there is no Web Crypto). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load rather than on first use (default false). */
  readonly eagerPartials?: boolean;
}

/**
 * Options of {@link DiffusionPipeline.generate} and {@link DiffusionPipeline.stream}.
 *
 * @public
 */
export interface GenerateOptions extends OperationOptions {
  /** The schedule (object or notation text, e.g. `"F P0 N | F P0 N"`). */
  readonly schedule: Schedule | string;
  /** Class label per sample (class-conditional models). Its length sets the sample count. */
  readonly labels?: readonly number[];
  /** Prompt per sample (Stable Diffusion). Its length sets the sample count. */
  readonly prompts?: readonly string[];
  /** Negative prompt: the unconditional half of guidance (Stable Diffusion; default `""`). */
  readonly negativePrompt?: string;
  /** Number of samples when neither labels, prompts, seeds nor initialNoise give it. */
  readonly count?: number;
  /** Seed per sample: sample i gets `gaussianNoise(seeds[i], C·H·W)` whatever the batching (default 0..N−1). */
  readonly seeds?: readonly number[];
  /** x_T for all samples, N·C·H·W values (instead of seeds). */
  readonly initialNoise?: Float32Array;
  /** Classifier-free guidance scale w (default: the manifest's, else 1 = no guidance). */
  readonly guidanceScale?: number;
  /** Sampler (default `ddim`). */
  readonly sampler?: SamplerName;
  /** DDIM eta (default 0). With eta > 0 the step noise is keyed by (seed, step), so seeds are needed. */
  readonly eta?: number;
  /** Samples per network batch (default 16; with guidance the network sees twice as many). */
  readonly batchSize?: number;
  /** What null steps do (default `'skip'`). */
  readonly nullMode?: NullMode;
}

/**
 * One batch of results, as {@link DiffusionPipeline.stream} yields them.
 *
 * @public
 */
export interface SampleBatch {
  /** Index of the batch's first sample in the whole request. */
  readonly offset: number;
  /** Samples in this batch. */
  readonly count: number;
  /**
   * The final samples, [count, C, H, W], not clipped: the model-space x_0 for pixel models, the
   * decoded images (the VAE's output range) for latent models.
   */
  readonly samples: Float32Array;
  /** Shape of `samples`. */
  readonly shape: readonly [number, number, number, number];
  /** Latent models: the final latents [count, C, h, w] before decoding. */
  readonly latents?: Float32Array;
  /** Shape of `latents`. */
  readonly latentShape?: readonly [number, number, number, number];
}

/**
 * The result of {@link DiffusionPipeline.generate}: every batch joined.
 *
 * @public
 */
export interface GenerateResult {
  /** [N, C, H, W] final samples (see {@link SampleBatch.samples}). */
  readonly samples: Float32Array;
  /** Shape of `samples`. */
  readonly shape: readonly [number, number, number, number];
  /** Latent models: final latents. */
  readonly latents?: Float32Array;
  /** Shape of `latents`. */
  readonly latentShape?: readonly [number, number, number, number];
  /** Wall time in milliseconds. */
  readonly durationMs: number;
}

/**
 * Options of {@link DiffusionPipeline.profile}.
 *
 * @public
 */
export interface ProfileOptions {
  /** Samples per measured batch (default 8; doubled inside when the model uses guidance). */
  readonly batchSize?: number;
  /** Timed runs per step kind (default 5; the median is reported). */
  readonly repeats?: number;
  /** Untimed runs first (default 1). */
  readonly warmup?: number;
  /** Measure with the guidance batch (2×) when the model has conditioning (default true). */
  readonly guidance?: boolean;
  /** Cancels the measurement. */
  readonly signal?: AbortSignalLike;
}

/**
 * Cost and measured speed of a model's step kinds.
 *
 * @public
 */
export interface PipelineProfile {
  /** MACs per sample of each step kind. */
  readonly costProfile: CostProfile;
  /** Samples per measured batch (before guidance doubling). */
  readonly batchSize: number;
  /** Batch the network saw (2× batchSize with guidance). */
  readonly networkBatch: number;
  /** Median milliseconds of one step (the whole batch): full, and partial per branch. */
  readonly latencyMs: {
    /** A full step. */
    readonly full: number;
    /** A partial step, index = branch. */
    readonly partial: readonly number[];
  };
  /** The same per sample (divided by batchSize). */
  readonly perSampleMs: {
    /** A full step, per sample. */
    readonly full: number;
    /** A partial step per sample, index = branch. */
    readonly partial: readonly number[];
  };
}

function sampleCount(o: GenerateOptions, size: number): number {
  const counts: [string, number][] = [];
  if (o.labels) counts.push(['labels', o.labels.length]);
  if (o.prompts) counts.push(['prompts', o.prompts.length]);
  if (o.seeds) counts.push(['seeds', o.seeds.length]);
  if (o.initialNoise) {
    if (o.initialNoise.length % size !== 0) {
      throw new RuntimeError('shape-mismatch', `initialNoise has ${o.initialNoise.length} values: expected a multiple of C·H·W = ${size}.`);
    }
    counts.push(['initialNoise', o.initialNoise.length / size]);
  }
  if (o.count !== undefined) counts.push(['count', o.count]);
  const first = counts[0];
  if (!first) throw new RuntimeError('invalid-option', 'How many samples? Give labels, prompts, seeds, initialNoise or count.');
  for (const [k, v] of counts) {
    if (v !== first[1]) {
      throw new RuntimeError('invalid-option', `${k} gives ${v} samples but ${first[0]} gives ${first[1]}: they must agree.`);
    }
  }
  if (!Number.isSafeInteger(first[1]) || first[1] < 1) {
    throw new RuntimeError('invalid-option', `Invalid sample count ${first[1]} (from ${first[0]}): expected an integer >= 1.`);
  }
  return first[1];
}

function inputType(summary: GraphSummary, name: string, fallback: string): string {
  return summary.inputs.find((i) => i.name === name)?.type ?? fallback;
}

/**
 * A loaded model ready to generate with any schedule: the UNet cut for cached steps, the noise
 * schedule, and — per family — class-label conditioning, the text encoder and tokenizer, the VAE
 * decoder. Created by {@link createPipeline}; platform packages wrap it (`loadModel`).
 *
 * @public
 */
export class DiffusionPipeline {
  /** The model's manifest. */
  readonly manifest: ModelManifest;
  /** The prepared UNet (sessions, cut graphs, cost profile). */
  readonly unet: CachedUnet;
  /** ᾱ of the training noise schedule. */
  readonly alphasCumprod: Float64Array;
  /** [C, H, W] of one UNet sample. */
  readonly sampleShape: readonly [number, number, number];
  readonly #summary: GraphSummary;
  readonly #vae: InferenceSession | null;
  readonly #text: InferenceSession | null;
  readonly #tokenizer: ClipTokenizer | null;
  readonly #textInputType: string;
  readonly #embeddings = new Map<string, Float32Array>();
  #embeddingShape: readonly number[] = [];
  #disposed = false;

  /** @internal */
  constructor(init: {
    manifest: ModelManifest;
    unet: CachedUnet;
    summary: GraphSummary;
    vae: InferenceSession | null;
    text: InferenceSession | null;
    tokenizer: ClipTokenizer | null;
    textInputType: string;
  }) {
    this.manifest = init.manifest;
    this.unet = init.unet;
    this.#summary = init.summary;
    this.#vae = init.vae;
    this.#text = init.text;
    this.#tokenizer = init.tokenizer;
    this.#textInputType = init.textInputType;
    this.alphasCumprod = alphasCumprod(init.manifest.scheduler);
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

  /** The sampler names this pipeline accepts. */
  get samplers(): readonly SamplerName[] {
    return Object.keys(SAMPLERS) as SamplerName[];
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
   * const { samples, shape } = await pipeline.generate({ schedule: 'F P0 N | F P0 N', labels: [0, 1], seeds: [1, 2] });
   * ```
   */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const t0 = now();
    const parts: SampleBatch[] = [];
    for await (const b of this.stream(options)) parts.push(b);
    const first = parts[0]!;
    const total = parts.reduce((s, b) => s + b.count, 0);
    const join = (get: (b: SampleBatch) => Float32Array | undefined): Float32Array | undefined => {
      if (!get(first)) return undefined;
      const per = get(first)!.length / first.count;
      const out = new Float32Array(total * per);
      for (const b of parts) out.set(get(b)!, b.offset * per);
      return out;
    };
    const samples = join((b) => b.samples)!;
    const latents = join((b) => b.latents);
    const shape = [total, first.shape[1], first.shape[2], first.shape[3]] as const;
    const result: GenerateResult = {
      samples,
      shape,
      durationMs: now() - t0,
      ...(latents && first.latentShape ? { latents, latentShape: [total, first.latentShape[1], first.latentShape[2], first.latentShape[3]] as const } : {}),
    };
    return result;
  }

  /**
   * Generate samples batch by batch, as an async iterator: each batch is yielded as soon as it is
   * done, so a caller can write or score it while the next runs. Breaking out of the loop stops
   * the generation.
   *
   * @param options - As {@link DiffusionPipeline.generate}.
   * @returns Batches in order.
   * @throws As {@link DiffusionPipeline.generate}.
   */
  async *stream(options: GenerateOptions): AsyncGenerator<SampleBatch, void, undefined> {
    this.#check();
    const m = this.manifest;
    const [C, H, W] = this.sampleShape;
    const size = C * H * W;
    const n = sampleCount(options, size);
    const plan = planSchedule(options.schedule, { trainTimesteps: m.scheduler.trainTimesteps, nullMode: options.nullMode ?? 'skip' });
    for (const st of plan.steps) {
      if (st.branch !== null && st.branch >= this.branches) {
        throw new RuntimeError(
          'invalid-option',
          `The schedule uses cache branch ${st.branch} but model ${JSON.stringify(m.name)} has ${this.branches} (0..${this.branches - 1}).`,
        );
      }
    }
    getSampler(options.sampler ?? 'ddim');
    const batchSize = options.batchSize ?? 16;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RuntimeError('invalid-option', `Invalid batchSize ${String(batchSize)}: expected an integer >= 1.`);
    }
    const seeds = options.seeds ?? (options.initialNoise ? undefined : Array.from({ length: n }, (_, i) => i));
    if ((options.eta ?? 0) > 0 && !seeds) {
      throw new RuntimeError('invalid-option', 'eta > 0 needs seeds (the per-step noise is keyed by seed and step); initialNoise alone is not enough.');
    }
    const guidance = this.#guidance(options);
    const labels = this.#labels(options, n);
    const prompts = this.#prompts(options, n);
    const batches = Math.ceil(n / batchSize);
    const evalsPerBatch = plan.evaluations;
    const totalUnits = batches * evalsPerBatch;
    let done = 0;
    const report = (e: Omit<ProgressEvent, 'fraction'>): void => options.onProgress?.({ ...e, fraction: e.total > 0 ? e.completed / e.total : 1 });
    for (let b = 0; b < batches; b++) {
      throwIfAborted(options.signal, 'Generation');
      const offset = b * batchSize;
      const count = Math.min(batchSize, n - offset);
      const bSeeds = seeds?.slice(offset, offset + count);
      const noise = options.initialNoise ? options.initialNoise.slice(offset * size, (offset + count) * size) : batchNoise(bSeeds!, size);
      const conditioning = await this.#conditioning(count, guidance, labels?.slice(offset, offset + count), prompts?.slice(offset, offset + count), options.negativePrompt ?? '', options.signal);
      const x = await runPlan({
        unet: this.unet,
        plan,
        initialNoise: noise,
        sampleShape: this.sampleShape,
        inputs: { sample: m.unet.inputs.sample, timestep: m.unet.inputs.timestep },
        sampleType: inputType(this.#summary, m.unet.inputs.sample, 'float32'),
        timestepType: m.unet.timestepType ?? inputType(this.#summary, m.unet.inputs.timestep, 'int64'),
        conditioning,
        sampler: options.sampler ?? 'ddim',
        eta: options.eta ?? 0,
        alphasCumprod: this.alphasCumprod,
        prediction: m.unet.prediction ?? 'epsilon',
        ...(bSeeds ? { seeds: bSeeds } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onStep: (info) => {
          if (info.evaluated) {
            done++;
            report({ phase: 'sample', completed: done, total: totalUnits, message: `batch ${b + 1}/${batches}, step ${info.step}/${info.steps}` });
          }
        },
      });
      if (this.#vae) {
        report({ phase: 'decode', completed: b, total: batches, message: `decoding batch ${b + 1}/${batches}` });
        const { images, shape } = await this.decode(x, count);
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
  async decode(latents: Float32Array, count: number): Promise<{
    /** Decoded images, NCHW. */
    images: Float32Array;
    /** [N, C, H, W] of `images`. */
    shape: readonly [number, number, number, number];
  }> {
    this.#check();
    const vae = this.manifest.vae;
    if (!this.#vae || !vae) throw new RuntimeError('unsupported', `Model ${JSON.stringify(this.manifest.name)} (family ${this.manifest.family}) has no VAE decoder.`);
    const scaled = new Float32Array(latents.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = latents[i]! / vae.scalingFactor;
    const type = this.#vae.inputMetadata?.find((x) => x.name === vae.input);
    const t = floatTensor(type && type.isTensor ? type.type : 'float32', scaled, [count, ...this.sampleShape]);
    const out = (await runSession(this.#vae, { [vae.input]: t }, [vae.output], 'the VAE decoder'))[vae.output]!;
    const dims = out.dims.map(Number);
    return { images: await readFloat32(out), shape: [dims[0]!, dims[1]!, dims[2]!, dims[3]!] };
  }

  /**
   * Text embeddings of prompts (Stable Diffusion): tokenize, run the text encoder.
   *
   * @param prompts - Prompts.
   * @returns [N, L, d] embeddings and their shape.
   * @throws {@link RuntimeError} `unsupported` for a model without a text encoder, `session-failed`.
   */
  async encodePrompts(prompts: readonly string[]): Promise<{
    /** Text embeddings [N, L, d], row-major. */
    embeddings: Float32Array;
    /** [N, L, d]. */
    shape: readonly number[];
  }> {
    this.#check();
    const te = this.manifest.textEncoder;
    if (!this.#text || !this.#tokenizer || !te) {
      throw new RuntimeError('unsupported', `Model ${JSON.stringify(this.manifest.name)} (family ${this.manifest.family}) has no text encoder.`);
    }
    const missing = [...new Set(prompts.filter((p) => !this.#embeddings.has(p)))];
    if (missing.length > 0) {
      const L = this.#tokenizer.maxLength;
      const ids = new Int32Array(missing.length * L);
      missing.forEach((p, i) => ids.set(this.#tokenizer!.encode(p), i * L));
      const out = (await runSession(this.#text, { [te.input]: intTensor(this.#textInputType, ids, [missing.length, L]) }, [te.output], 'the text encoder'))[te.output]!;
      const data = await readFloat32(out);
      const dims = out.dims.map(Number);
      const per = data.length / missing.length;
      this.#embeddingShape = dims.slice(1);
      missing.forEach((p, i) => {
        if (this.#embeddings.size > 256) this.#embeddings.clear();
        this.#embeddings.set(p, data.slice(i * per, (i + 1) * per));
      });
    }
    const per = this.#embeddingShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(prompts.length * per);
    prompts.forEach((p, i) => out.set(this.#embeddings.get(p)!, i * per));
    return { embeddings: out, shape: [prompts.length, ...this.#embeddingShape] };
  }

  /**
   * Measure the latency of each step kind (full, and partial per branch) on this machine.
   *
   * @param options - Batch size, repeats, warm-up, guidance.
   * @returns The cost profile and the median step latencies.
   * @throws {@link RuntimeError} `session-failed`, `aborted`.
   */
  async profile(options: ProfileOptions = {}): Promise<PipelineProfile> {
    this.#check();
    const n = options.batchSize ?? 8;
    const repeats = options.repeats ?? 5;
    const warmup = options.warmup ?? 1;
    const guided = (options.guidance ?? true) && this.#conditioned();
    const m = this.manifest;
    const size = this.sampleShape[0] * this.sampleShape[1] * this.sampleShape[2];
    const cond = await this.#conditioning(
      n,
      guided ? 2 : null,
      this.#needsLabels() ? new Array<number>(n).fill(0) : undefined,
      m.family === 'stable-diffusion' ? new Array<string>(n).fill('') : undefined,
      '',
      options.signal,
    );
    const mb = guided ? 2 * n : n;
    const feeds: Record<string, Tensor> = {
      ...cond.feeds,
      [m.unet.inputs.sample]: floatTensor(inputType(this.#summary, m.unet.inputs.sample, 'float32'), batchNoise(new Array<number>(mb).fill(0).map((_, i) => i), size), [mb, ...this.sampleShape]),
      [m.unet.inputs.timestep]: filledTensor(m.unet.timestepType ?? inputType(this.#summary, m.unet.inputs.timestep, 'int64'), 500, mb),
    };
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < warmup; i++) await fn();
      const ts: number[] = [];
      for (let i = 0; i < repeats; i++) {
        throwIfAborted(options.signal, 'Profiling');
        const t0 = now();
        await fn();
        ts.push(now() - t0);
      }
      ts.sort((a, b) => a - b);
      return ts[Math.floor(ts.length / 2)]!;
    };
    const { caches } = await this.unet.runFull(feeds);
    const full = await time(async () => releaseDeviceTensors((await this.unet.runFull(feeds)).caches));
    const partial: number[] = [];
    try {
      for (let b = 0; b < this.branches; b++) partial.push(await time(() => this.unet.runPartial(b, feeds, caches[b]!)));
    } finally {
      releaseDeviceTensors(caches);
    }
    return {
      costProfile: this.costProfile,
      batchSize: n,
      networkBatch: mb,
      latencyMs: { full, partial },
      perSampleMs: { full: full / n, partial: partial.map((p) => p / n) },
    };
  }

  /** Release every session. Further calls throw `disposed`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all([this.unet.dispose(), this.#vae?.release(), this.#text?.release()]);
  }

  #check(): void {
    if (this.#disposed) throw new RuntimeError('disposed', `Model ${JSON.stringify(this.manifest.name)} was disposed: load it again.`);
  }

  #needsLabels(): boolean {
    return this.manifest.unet.inputs.classLabels !== undefined;
  }

  #conditioned(): boolean {
    return this.#needsLabels() || this.manifest.family === 'stable-diffusion';
  }

  #guidance(o: GenerateOptions): number | null {
    const w = o.guidanceScale ?? this.manifest.conditioning?.defaultGuidanceScale ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w)) {
      throw new RuntimeError('invalid-option', `Invalid guidanceScale ${String(w)}: expected a finite number (1 = no guidance).`);
    }
    if (!this.#conditioned()) {
      if (o.guidanceScale !== undefined && o.guidanceScale !== 1) {
        throw new RuntimeError('invalid-option', `Model ${JSON.stringify(this.manifest.name)} is unconditional: guidanceScale must be 1 or left out, got ${o.guidanceScale}.`);
      }
      return null;
    }
    return w === 1 ? null : w;
  }

  #labels(o: GenerateOptions, n: number): number[] | undefined {
    if (!this.#needsLabels()) {
      if (o.labels) throw new RuntimeError('invalid-option', `Model ${JSON.stringify(this.manifest.name)} takes no class labels (family ${this.manifest.family}).`);
      return undefined;
    }
    const c = this.manifest.conditioning!;
    const labels = o.labels ? [...o.labels] : new Array<number>(n).fill(c.unconditionalLabel!);
    labels.forEach((l, i) => {
      if (!Number.isSafeInteger(l) || l < 0 || (l >= c.numClasses! && l !== c.unconditionalLabel)) {
        throw new RuntimeError(
          'invalid-option',
          `Invalid label ${String(l)} at index ${i}: expected a class 0..${c.numClasses! - 1} or the unconditional label ${c.unconditionalLabel}.`,
        );
      }
    });
    return labels;
  }

  #prompts(o: GenerateOptions, n: number): string[] | undefined {
    if (this.manifest.family !== 'stable-diffusion') {
      if (o.prompts) throw new RuntimeError('invalid-option', `Model ${JSON.stringify(this.manifest.name)} takes no prompts (family ${this.manifest.family}).`);
      return undefined;
    }
    return o.prompts ? [...o.prompts] : new Array<string>(n).fill('');
  }

  async #conditioning(
    n: number,
    w: number | null,
    labels: readonly number[] | undefined,
    prompts: readonly string[] | undefined,
    negative: string,
    signal: AbortSignalLike | undefined,
  ): Promise<BatchConditioning> {
    throwIfAborted(signal, 'Generation');
    const u = this.manifest.unet.inputs;
    const feeds: Record<string, Tensor> = {};
    if (labels && u.classLabels) {
      const all = w === null ? labels : [...new Array<number>(n).fill(this.manifest.conditioning!.unconditionalLabel!), ...labels];
      feeds[u.classLabels] = intTensor(inputType(this.#summary, u.classLabels, 'int64'), all, [all.length]);
    }
    if (prompts && u.encoderHiddenStates) {
      const all = w === null ? prompts : [...new Array<string>(n).fill(negative), ...prompts];
      const { embeddings, shape } = await this.encodePrompts(all);
      feeds[u.encoderHiddenStates] = floatTensor(inputType(this.#summary, u.encoderHiddenStates, 'float32'), embeddings, shape);
    }
    return { feeds, guidanceScale: w };
  }
}

function checkUnetIO(manifest: ModelManifest, summary: GraphSummary): void {
  const u = manifest.unet;
  const names = summary.inputs.map((i) => i.name);
  const roles = Object.entries(u.inputs) as [string, string][];
  for (const [role, name] of roles) {
    if (!names.includes(name)) {
      throw new RuntimeError('io-mismatch', `The UNet (${u.file}) has no input ${JSON.stringify(name)} (unet.inputs.${role}). Should be one of: ${oneOf(names)}.`);
    }
  }
  const mapped = new Set(roles.map(([, n]) => n));
  const extra = names.filter((n) => !mapped.has(n));
  if (extra.length > 0) {
    throw new RuntimeError(
      'io-mismatch',
      `The UNet (${u.file}) needs input${extra.length > 1 ? 's' : ''} ${oneOf(extra)} that the manifest does not map: unet.inputs maps ${oneOf([...mapped])}.`,
    );
  }
  if (!summary.outputs.includes(u.output)) {
    throw new RuntimeError('io-mismatch', `The UNet (${u.file}) has no output ${JSON.stringify(u.output)} (unet.output). Should be one of: ${oneOf(summary.outputs)}.`);
  }
  const dims = summary.inputs.find((i) => i.name === u.inputs.sample)?.dims;
  if (dims) {
    const bad = dims.length !== 4 || dims.slice(1).some((d, i) => typeof d === 'number' && d !== u.sampleShape[i]);
    if (bad) {
      throw new RuntimeError(
        'shape-mismatch',
        `The UNet's ${JSON.stringify(u.inputs.sample)} input has shape [${dims.map((d) => d ?? '?').join(', ')}] but unet.sampleShape is [${u.sampleShape.join(', ')}]: expected [batch, ${u.sampleShape.join(', ')}].`,
      );
    }
  }
}

/**
 * Load a model folder into a {@link DiffusionPipeline}: read and validate the manifest, read the
 * ONNX files (checking SHA-256), check the UNet's input and output names and sample shape against
 * the manifest, cut the UNet for cached steps, count its MACs, and open the sessions.
 *
 * @param options - File source, session factory, optional manifest, `signal`, `onProgress`.
 * @returns The pipeline; `dispose()` it when done.
 * @throws {@link RuntimeError} `missing-file`, `checksum-mismatch`, `invalid-manifest`,
 *   `io-mismatch`, `shape-mismatch`, `unknown-tensor`, `invalid-cut`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * const pipeline = await createPipeline({ source, sessions });
 * const { samples } = await pipeline.generate({ schedule: 'F P0 N | F P0 N', labels: [3, 7] });
 * await pipeline.dispose();
 * ```
 * @public
 */
export async function createPipeline(options: CreatePipelineOptions): Promise<DiffusionPipeline> {
  const { source, sessions, signal } = options;
  const verify = options.verifyChecksums ?? true;
  const report = (completed: number, total: number, message: string): void =>
    options.onProgress?.({ phase: 'load', completed, total, fraction: completed / total, message });
  const manifest = options.manifest ?? (await loadManifest(source, signal ? { signal } : {}));
  const read = (file: string, sha: string | undefined, role: string): Promise<Uint8Array> =>
    readModelFile(source, file, { role, ...(verify && sha ? { sha256: sha } : {}), ...(signal ? { signal } : {}) });
  const steps = 3 + (manifest.vae ? 1 : 0) + (manifest.textEncoder ? 1 : 0);
  let step = 0;
  report(step, steps, `reading ${manifest.unet.file}`);
  const unetBytes = await read(manifest.unet.file, manifest.unet.sha256, 'unet.file');
  const summary = inspectGraph(unetBytes);
  checkUnetIO(manifest, summary);
  report(++step, steps, 'opening the other networks');
  const opened: InferenceSession[] = [];
  try {
    let text: InferenceSession | null = null;
    let tokenizer: ClipTokenizer | null = null;
    let textInputType = 'int32';
    if (manifest.textEncoder && manifest.tokenizer) {
      const te = manifest.textEncoder;
      const [vocab, merges, teBytes] = await Promise.all([
        read(manifest.tokenizer.vocab, undefined, 'tokenizer.vocab'),
        read(manifest.tokenizer.merges, undefined, 'tokenizer.merges'),
        read(te.file, te.sha256, 'textEncoder.file'),
      ]);
      tokenizer = ClipTokenizer.fromFiles(vocab, merges, { maxLength: te.maxLength });
      const teSummary = inspectGraph(teBytes);
      if (!teSummary.inputs.some((i) => i.name === te.input) || !teSummary.outputs.includes(te.output)) {
        throw new RuntimeError(
          'io-mismatch',
          `The text encoder (${te.file}) has inputs ${oneOf(teSummary.inputs.map((i) => i.name))} and outputs ${oneOf(teSummary.outputs)}: expected input ${JSON.stringify(te.input)} and output ${JSON.stringify(te.output)}.`,
        );
      }
      textInputType = teSummary.inputs.find((i) => i.name === te.input)?.type ?? 'int32';
      text = await openSession(sessions, teBytes, 'text_encoder');
      opened.push(text);
      report(++step, steps, 'text encoder ready');
    }
    let vae: InferenceSession | null = null;
    if (manifest.vae) {
      const v = manifest.vae;
      const vBytes = await read(v.file, v.sha256, 'vae.file');
      const vSummary = inspectGraph(vBytes);
      if (!vSummary.inputs.some((i) => i.name === v.input) || !vSummary.outputs.includes(v.output)) {
        throw new RuntimeError(
          'io-mismatch',
          `The VAE decoder (${v.file}) has inputs ${oneOf(vSummary.inputs.map((i) => i.name))} and outputs ${oneOf(vSummary.outputs)}: expected input ${JSON.stringify(v.input)} and output ${JSON.stringify(v.output)}.`,
        );
      }
      vae = await openSession(sessions, vBytes, 'vae_decoder');
      opened.push(vae);
      report(++step, steps, 'VAE decoder ready');
    }
    throwIfAborted(signal, 'Loading the model');
    // Probe feeds at batch 1: zeros, the unconditional label / empty prompt, t = trainTimesteps / 2.
    const u = manifest.unet;
    const probeFeeds: Record<string, Tensor> = {
      [u.inputs.sample]: floatTensor(inputType(summary, u.inputs.sample, 'float32'), new Float32Array(u.sampleShape[0] * u.sampleShape[1] * u.sampleShape[2]), [1, ...u.sampleShape]),
      [u.inputs.timestep]: filledTensor(u.timestepType ?? inputType(summary, u.inputs.timestep, 'int64'), Math.floor(manifest.scheduler.trainTimesteps / 2), 1),
    };
    if (u.inputs.classLabels) {
      probeFeeds[u.inputs.classLabels] = intTensor(inputType(summary, u.inputs.classLabels, 'int64'), [manifest.conditioning?.unconditionalLabel ?? 0], [1]);
    }
    if (u.inputs.encoderHiddenStates && text && tokenizer && manifest.textEncoder) {
      const te = manifest.textEncoder;
      const out = (await runSession(text, { [te.input]: intTensor(textInputType, tokenizer.encode(''), [1, tokenizer.maxLength]) }, [te.output], 'the text encoder'))[te.output]!;
      probeFeeds[u.inputs.encoderHiddenStates] = floatTensor(inputType(summary, u.inputs.encoderHiddenStates, 'float32'), await readFloat32(out), out.dims.map(Number));
    }
    const unet = await prepareUnet({
      model: unetBytes,
      output: u.output,
      cacheTensors: u.cache.map((c) => c.tensor),
      sessions,
      probeFeeds,
      ...(options.eagerPartials ? { eagerPartials: true } : {}),
      ...(signal ? { signal } : {}),
    });
    report(steps, steps, 'ready');
    return new DiffusionPipeline({ manifest, unet, summary, vae, text, tokenizer, textInputType });
  } catch (e) {
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}
