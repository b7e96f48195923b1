/**
 * The issue's "done when" on a stand-in: an SD-1.5-style optimum export folder (no model.json),
 * loaded as it is, gives the latents of diffusers' `OnnxStableDiffusionPipeline` with
 * `DDIMScheduler` (SD-1.5's config: scaled_linear 0.00085 → 0.012, leading spacing, steps_offset 1,
 * set_alpha_to_one false, eta 0) from the same initial latents. The reference is written here from
 * diffusers' semantics with plain onnxruntime-node calls: its own betas, timesteps, final alpha,
 * CFG order (unconditional half first) and VAE scaling.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClipTokenizer, gaussianNoise } from '@flexiffusion/runtime';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/index.js';
import { STAND_INS } from './model-path.js';

const SD15 = join(STAND_INS, '..', 'exports', 'sd15');

/** diffusers' DDIMScheduler with SD-1.5's scheduler_config.json, float64. */
function sd15Scheduler(steps: number): { timesteps: number[]; alpha: (t: number) => number } {
  const ac: number[] = [];
  let p = 1;
  const lo = Math.sqrt(0.00085);
  const hi = Math.sqrt(0.012);
  for (let i = 0; i < 1000; i++) {
    const beta = (lo + ((hi - lo) * i) / 999) ** 2;
    p *= 1 - beta;
    ac.push(p);
  }
  const ratio = Math.floor(1000 / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + 1); // leading, steps_offset 1
  // set_alpha_to_one false: the step past the end uses alphas_cumprod[0], not 1
  return { timesteps, alpha: (t) => (t >= 0 ? ac[t]! : ac[0]!) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('a Stable Diffusion 1.5 export folder as it is (stand-in weights)', () => {
  it("generate() equals diffusers' OnnxStableDiffusionPipeline + DDIMScheduler from the same latents (within 1e-3)", async () => {
    const model = await loadModel(SD15, { threads: 1 });
    const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    const [unet, text, vae] = await Promise.all(
      ['unet', 'text_encoder', 'vae_decoder'].map(async (d) => ort.InferenceSession.create(join(SD15, d, 'model.onnx'), opts)),
    );
    try {
      expect(model.manifest.family).toBe('stable-diffusion');
      const tok = ClipTokenizer.fromFiles(
        new Uint8Array(await readFile(join(SD15, 'tokenizer', 'vocab.json'))),
        new Uint8Array(await readFile(join(SD15, 'tokenizer', 'merges.txt'))),
      );
      const prompts = ['a photo of a cat', 'a red shoe'];
      const seeds = [1, 2];
      const w = 7.5;
      const steps = 10;
      const r = await model.generate({
        schedule: Array(steps).fill('F').join(' '),
        prompts,
        seeds,
        guidanceScale: w,
        negativePrompt: 'dog',
      });
      const [C, h, wd] = model.sampleShape;
      const size = C * h * wd;
      const { timesteps, alpha } = sd15Scheduler(steps);
      const embed = async (p: string): Promise<ort.Tensor> =>
        (await text!.run({ input_ids: new ort.Tensor('int32', tok.encode(p), [1, 77]) }))['last_hidden_state']!;
      const neg = await embed('dog');
      const latents = new Float32Array(2 * size);
      for (let k = 0; k < 2; k++) {
        const cond = await embed(prompts[k]!);
        const states = new Float32Array(neg.data.length * 2);
        states.set(neg.data as Float32Array);
        states.set(cond.data as Float32Array, neg.data.length);
        let x = gaussianNoise(seeds[k]!, size); // the same initial latents (DDIM's init_noise_sigma is 1)
        for (const t of timesteps) {
          const xx = new Float32Array(2 * size);
          xx.set(x);
          xx.set(x, size);
          const out = await unet!.run({
            sample: new ort.Tensor('float32', xx, [2, C, h, wd]),
            timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(t), BigInt(t)]), [2]),
            encoder_hidden_states: new ort.Tensor('float32', states, [2, ...neg.dims.slice(1)]),
          });
          const e = out['out_sample']!.data as Float32Array;
          const at = alpha(t);
          const ap = alpha(t - 1000 / steps);
          x = x.map((v, i) => {
            const eps = e[i]! + w * (e[size + i]! - e[i]!);
            const x0 = (v - Math.sqrt(1 - at) * eps) / Math.sqrt(at);
            return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
          });
        }
        latents.set(x, k * size);
      }
      const diff = maxAbsDiff(r.latents!, latents);
      console.log(`[sd15 export] max |latents − reference| = ${diff.toExponential(2)} after ${steps} steps`);
      expect(diff).toBeLessThan(1e-3);
      const decoded = await vae!.run({
        latent_sample: new ort.Tensor(
          'float32',
          latents.map((v) => v / 0.18215),
          [2, C, h, wd],
        ),
      });
      expect(maxAbsDiff(r.samples, decoded['sample']!.data as Float32Array)).toBeLessThan(1e-3);
    } finally {
      await model.dispose();
      await Promise.all([unet, text, vae].map((s) => s!.release()));
    }
  });
});
