import type { CostProfile } from '@flexiffusion/schedule';
import type { Tensor } from 'onnxruntime-common';
import type { CachedUnet } from '../cached-unet.js';
import { now, throwIfAborted, type AbortSignalLike } from '../internal/platform.js';
import { filledTensor, floatTensor, releaseDeviceTensors } from '../internal/tensor.js';
import type { ModelManifest } from '../manifest.js';
import { batchNoise } from '../noise.js';
import type { ConditioningStage } from '../pipeline/stages.js';

/**
 * Options of {@link Model.profile}.
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
export interface ModelProfile {
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
  /** partialMacs[b] / fullMacs per branch. */
  readonly partialMacRatio: readonly number[];
  /** Measured partial latency / full latency per branch. */
  readonly partialLatencyRatio: readonly number[];
}

/** What {@link profileModel} reads of a model. @internal */
export interface ProfiledModel {
  readonly manifest: ModelManifest;
  readonly unet: CachedUnet;
  readonly conditioning: readonly ConditioningStage[];
  readonly sampleShape: readonly [number, number, number];
  readonly sampleType: string;
  readonly timestepType: string;
}

/**
 * Time a full step and each branch's partial step at one batch size (median of `repeats` after
 * `warmup` runs), with neutral conditions (class 0, the empty prompt) at t = 500.
 *
 * @internal
 */
export async function profileModel(model: ProfiledModel, options: ProfileOptions): Promise<ModelProfile> {
  const n = options.batchSize ?? 8;
  const repeats = options.repeats ?? 5;
  const warmup = options.warmup ?? 1;
  const guided = (options.guidance ?? true) && model.conditioning.length > 0;
  const { manifest: m, unet, sampleShape } = model;
  const size = sampleShape[0] * sampleShape[1] * sampleShape[2];
  throwIfAborted(options.signal, 'Generation');
  const neutral = {
    labels: new Array<number>(n).fill(0),
    prompts: new Array<string>(n).fill(''),
    negativePrompts: new Array<string>(n).fill(''),
  };
  const feeds: Record<string, Tensor> = {};
  for (const stage of model.conditioning) Object.assign(feeds, await stage.feeds(neutral, guided));
  const mb = guided ? 2 * n : n;
  const noise = batchNoise(
    Array.from({ length: mb }, (_, i) => i),
    size,
  );
  feeds[m.unet.inputs.sample] = floatTensor(model.sampleType, noise, [mb, ...sampleShape]);
  feeds[m.unet.inputs.timestep] = filledTensor(model.timestepType, 500, mb);
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
  const { caches } = await unet.runFull(feeds);
  const full = await time(async () => releaseDeviceTensors((await unet.runFull(feeds)).caches));
  const partial: number[] = [];
  try {
    for (let b = 0; b < unet.branches; b++) partial.push(await time(() => unet.runPartial(b, feeds, caches[b]!)));
  } finally {
    releaseDeviceTensors(caches);
  }
  const costProfile = unet.costProfile;
  return {
    costProfile,
    batchSize: n,
    networkBatch: mb,
    latencyMs: { full, partial },
    perSampleMs: { full: full / n, partial: partial.map((p) => p / n) },
    partialMacRatio: costProfile.partialMacs.map((x) => x / costProfile.fullMacs),
    partialLatencyRatio: partial.map((l) => l / full),
  };
}
