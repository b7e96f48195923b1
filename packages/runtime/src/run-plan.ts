import type { Plan } from '@flexiffusion/schedule';
import type { Tensor } from 'onnxruntime-common';
import type { OperationOptions } from './backend.js';
import type { CachedUnet } from './cached-unet.js';
import { RuntimeError } from './errors.js';
import { throwIfAborted, yieldToEventLoop } from './internal/platform.js';
import { filledTensor, floatTensor, readFloat32, releaseDeviceTensors } from './internal/tensor.js';
import { batchNoise } from './noise.js';
import {
  applyGuidance,
  getSampler,
  predictionToEpsilon,
  predictionToX0,
  type PredictionType,
  type SamplerDefinition,
  type SamplerName,
  type SamplerSettings,
} from './samplers.js';

/**
 * Conditioning of one batch: extra UNet feeds (class labels, text embeddings) for the batch the
 * network sees. With guidance that batch is 2n samples, the unconditional half first (as
 * diffusers orders it), and ε = ε_u + w·(ε_c − ε_u); without, it is the n samples.
 *
 * @public
 */
export interface BatchConditioning {
  /** Feeds besides `sample` and `timestep`, batch 2n with guidance (uncond first), else n. */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Guidance scale w, or `null` for no classifier-free guidance. */
  readonly guidanceScale: number | null;
}

/**
 * Options of {@link runPlan}.
 *
 * @public
 */
export interface RunPlanOptions extends OperationOptions {
  /** The prepared UNet. */
  readonly unet: CachedUnet;
  /** The execution plan ({@link @flexiffusion/schedule!index.planSchedule} of `@flexiffusion/schedule`). */
  readonly plan: Plan;
  /** x_T for the batch: n·C·H·W values (not modified). */
  readonly initialNoise: Float32Array;
  /** [C, H, W] of one sample. */
  readonly sampleShape: readonly [number, number, number];
  /** Graph input names of the sample and the timestep. */
  readonly inputs: {
    /** Name of the sample input. */
    readonly sample: string;
    /** Name of the timestep input. */
    readonly timestep: string;
  };
  /** Element type of the sample input (default `float32`). */
  readonly sampleType?: string;
  /** Element type of the timestep input (default `int64`). */
  readonly timestepType?: string;
  /** Conditioning feeds and guidance (default: none). */
  readonly conditioning?: BatchConditioning;
  /** Sampler: a built-in name or a custom definition (default `ddim`). */
  readonly sampler?: SamplerName | SamplerDefinition<unknown>;
  /** DDIM eta (default 0). */
  readonly eta?: number;
  /** Final ᾱ and DPM-Solver++ settings ({@link @flexiffusion/runtime!samplerSettings | samplerSettings} of the manifest's scheduler block; default: diffusers' defaults). */
  readonly samplerSettings?: SamplerSettings;
  /** ᾱ of the model. */
  readonly alphasCumprod: Float64Array;
  /** What the UNet predicts (default `epsilon`). */
  readonly prediction?: PredictionType;
  /** One seed per sample: keys the fresh noise of stochastic samplers (stream 1 + step index). */
  readonly seeds?: readonly number[];
  /** Called after every plan step. */
  readonly onStep?: (info: { readonly step: number; readonly steps: number; readonly evaluated: boolean }) => void;
}

/**
 * Run a plan on one batch: a full step runs the full graph and stores every branch's cache; a
 * partial step of branch b feeds the cache of the latest full step into branch b's partial graph;
 * a null step is absent from a `'skip'` plan (the sampler jumps along the plan's timestep /
 * nextTimestep) and in a `'reuse'` plan reuses the latest ε and still updates.
 *
 * @param options - UNet, plan, initial noise, inputs, conditioning, sampler.
 * @returns The final samples x_0 (n·C·H·W, model space, not clipped).
 * @throws {@link RuntimeError} `invalid-option` (a partial step before any full step, missing
 *   seeds for a stochastic sampler), `shape-mismatch`, `session-failed`, `aborted`.
 * @public
 */
export async function runPlan(options: RunPlanOptions): Promise<Float32Array> {
  const { unet, plan, sampleShape } = options;
  const size = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const n = options.initialNoise.length / size;
  if (!Number.isInteger(n) || n < 1) {
    throw new RuntimeError(
      'shape-mismatch',
      `Initial noise of length ${options.initialNoise.length} is not a whole number of samples of shape [${sampleShape.join(', ')}].`,
    );
  }
  const sampler = getSampler(options.sampler ?? 'ddim');
  const ac = sampler.alphasCumprod?.(options.alphasCumprod) ?? options.alphasCumprod;
  const config = { alphasCumprod: ac, eta: options.eta ?? 0, ...options.samplerSettings, updates: plan.steps.length };
  const stochastic = sampler.stochastic(config);
  if (stochastic && options.seeds?.length !== n) {
    throw new RuntimeError(
      'invalid-option',
      `Sampler ${JSON.stringify(sampler.name)} with eta ${config.eta} needs one seed per sample (${n}), got ${options.seeds?.length ?? 0}.`,
    );
  }
  const w = options.conditioning?.guidanceScale ?? null;
  const m = w === null ? n : 2 * n;
  const prediction = options.prediction ?? 'epsilon';
  const sampleType = options.sampleType ?? 'float32';
  const timestepType = options.timestepType ?? 'int64';
  const state = sampler.init(config);
  let x: Float32Array = options.initialNoise.slice();
  let caches: Tensor[] | null = null;
  let lastEps: Float32Array | null = null;
  const steps = plan.steps.length;
  try {
    for (let k = 0; k < steps; k++) {
      const st = plan.steps[k]!;
      throwIfAborted(options.signal, 'Sampling');
      let eps: Float32Array;
      let x0: Float32Array | undefined;
      if (st.evaluate) {
        let xin = x;
        if (w !== null) {
          xin = new Float32Array(m * size);
          xin.set(x, 0);
          xin.set(x, n * size);
        }
        const feeds: Record<string, Tensor> = {
          ...(options.conditioning?.feeds ?? {}),
          [options.inputs.sample]: floatTensor(sampleType, xin, [m, ...sampleShape]),
          [options.inputs.timestep]: filledTensor(timestepType, st.timestep, m),
        };
        let out: Tensor;
        if (st.kind === 'full') {
          const r = await unet.runFull(feeds);
          out = r.output;
          // Caches a backend kept in device memory are released as soon as a newer full step replaces them.
          if (caches) releaseDeviceTensors(caches);
          caches = r.caches;
        } else {
          if (caches === null || st.branch === null) {
            throw new RuntimeError(
              'invalid-option',
              `Plan step ${st.index} is a partial step but no full step ran before it: a schedule must start with a full step.`,
            );
          }
          const cache = caches[st.branch];
          if (!cache) {
            throw new RuntimeError(
              'invalid-option',
              `Plan step ${st.index} reads cache branch ${st.branch}, but this UNet has ${unet.branches} branch(es).`,
            );
          }
          out = await unet.runPartial(st.branch, feeds, cache);
        }
        const dims = out.dims.map(Number);
        if (dims.length !== 4 || dims[0] !== m || dims[1] !== sampleShape[0] || dims[2] !== sampleShape[1] || dims[3] !== sampleShape[2]) {
          throw new RuntimeError(
            'shape-mismatch',
            `The UNet output has shape [${dims.join(', ')}]: expected [${m}, ${sampleShape.join(', ')}].`,
          );
        }
        const raw = await readFloat32(out);
        const guide = (p: Float32Array): Float32Array => (w !== null ? applyGuidance(p.subarray(0, n * size), p.subarray(n * size), w) : p);
        eps = guide(predictionToEpsilon(raw, xin, ac[st.timestep]!, prediction));
        // x0 given as such where the model predicts it or v: exact where ᾱ is ~0 (zero terminal SNR)
        x0 = prediction === 'epsilon' ? undefined : guide(predictionToX0(raw, xin, ac[st.timestep]!, prediction));
        lastEps = eps;
      } else {
        if (lastEps === null) {
          throw new RuntimeError('invalid-option', `Plan step ${st.index} reuses a noise prediction but none was made before it.`);
        }
        // a reused ε, not a reused x0: the sampler derives x0 from it at this step's x_t
        eps = lastEps;
      }
      const noise = stochastic ? batchNoise(options.seeds!, size, 1 + st.index) : undefined;
      x = sampler.step(state, {
        sample: x,
        eps,
        timestep: st.timestep,
        nextTimestep: st.nextTimestep,
        ...(noise ? { noise } : {}),
        ...(x0 ? { x0 } : {}),
      });
      options.onStep?.({ step: k + 1, steps, evaluated: st.evaluate });
      if (!st.evaluate) await yieldToEventLoop();
    }
  } finally {
    if (caches) releaseDeviceTensors(caches);
  }
  return x;
}
