/**
 * The embedded text-to-image model through the generic import path (the optimum layout with a
 * model.json over it, as a user's export), its file hashes, and a short generation against an
 * independent loop written with plain onnxruntime-node calls: tokenize (vocab lookups: every
 * caption word is one token), encode, DDIM with SD-1.5's scheduler config and CFG, decode.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePromptAttributeRules } from '@flexiffusion/metrics';
import { fashionTestSample } from '@flexiffusion/model-fashion';
import { gaussianNoise } from '@flexiffusion/runtime';
import { loadModel } from '@flexiffusion/runtime-node';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { measureImageAttributes } from '@flexiffusion/metrics';
import { FASHION_SD_CLASS_NAMES, fashionSdAttributes, fashionSdModelDir, fashionSdPrompts, fashionSdProvenance } from '../src/index.js';

const DIR = fashionSdModelDir();
const read = (f: string) => readFileSync(join(DIR, f));
const json = (f: string) => JSON.parse(read(f).toString('utf8'));
const sha = (f: string) => createHash('sha256').update(read(f)).digest('hex');

describe('the files', () => {
  it('match the SHA-256 of provenance.json (as exported) and of model.json', () => {
    const prov = fashionSdProvenance();
    const exported = Object.keys(prov.files).filter((f) => f !== 'check.json');
    expect(exported.length).toBeGreaterThan(15);
    for (const f of exported) expect(sha(f), f).toBe(prov.files[f]!.sha256);
    const m = json('model.json');
    const hashed: [string, string][] = [
      ['unet/model.onnx', m.unet.sha256],
      ['text_encoder/model.onnx', m.textEncoder.sha256],
      ['vae_decoder/model.onnx', m.vae.sha256],
      [m.featureNetwork.file, m.featureNetwork.sha256],
      [m.referenceStats.file, m.referenceStats.sha256],
      [m.evaluation.prompts.file, m.evaluation.prompts.sha256],
      [m.evaluation.attributes.file, m.evaluation.attributes.sha256],
      ['provenance.json', m.provenance.provenanceSha256],
    ];
    for (const [f, h] of hashed) expect(sha(f), f).toBe(h);
  });

  it('stay under 30 MB', () => {
    expect(fashionSdProvenance().totalBytes).toBeLessThan(30e6);
  });

  it('the default prompt set: 200 prompts, every class with each attribute word', () => {
    const p = fashionSdPrompts();
    expect(p.length).toBe(200);
    expect(json('model.json').evaluation.prompts.count).toBe(200);
    for (const c of FASHION_SD_CLASS_NAMES) {
      for (const w of ['dark', 'light', 'small', 'large']) {
        expect(
          p.some((x) => x.endsWith(` ${c}`) && x.includes(` ${w} `)),
          `${w} ${c}`,
        ).toBe(true);
      }
      expect(p).toContain(`a photo of a dark ${c}`.replace('a ankle', 'an ankle'));
    }
  });
});

describe('the attribute rules, ported', () => {
  it("give the Python recipe's values on the 100 real test images (attributes-check.json)", () => {
    const rules = parsePromptAttributeRules(fashionSdAttributes());
    expect(rules.classes.map((c) => c.name)).toEqual(FASHION_SD_CLASS_NAMES);
    const sample = fashionTestSample();
    const cases = json('attributes-check.json').cases as {
      class: number;
      brightness: number;
      area: number;
      brightnessWord: string;
      sizeWord: string;
    }[];
    expect(cases.length).toBe(100);
    cases.forEach((c, i) => {
      expect(sample.labels[i]).toBe(c.class);
      const m = measureImageAttributes(sample.pixels.subarray(i * 784, (i + 1) * 784), rules);
      expect(m.brightness).toBeCloseTo(c.brightness, 9);
      expect(m.area).toBeCloseTo(c.area, 12);
      const k = rules.classes[c.class]!;
      expect(rules.brightnessWords[m.brightness < k.brightnessMedian ? 0 : 1]).toBe(c.brightnessWord);
      expect(rules.sizeWords[m.area < k.areaMedian ? 0 : 1]).toBe(c.sizeWord);
    });
  });
});

describe('the generic import path', () => {
  it("loadModel('fashion-sd') is this folder, derived as a Stable Diffusion export with SD-1.5's DDIM config", async () => {
    const model = await loadModel('fashion-sd', { threads: 1 });
    try {
      expect(model.location).toBe(DIR);
      const m = model.manifest;
      expect(m.family).toBe('stable-diffusion');
      expect(m.provenance?.['importedFrom']).toBe('model_index.json');
      expect(m.scheduler).toMatchObject({
        betaSchedule: 'scaled_linear',
        stepsOffset: 1,
        setAlphaToOne: false,
        timestepSpacing: 'leading',
      });
      expect(m.unet.cache.length).toBe(3);
      expect(m.unet.sampleShape).toEqual([4, 8, 8]);
      expect(m.vae?.scalingFactor).toBeCloseTo(fashionSdProvenance().scaling_factor, 12);
      expect(m.conditioning?.defaultGuidanceScale).toBe(json('model.json').conditioning.defaultGuidanceScale);
      expect(model.contentHash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await model.dispose();
    }
  });

  it('a short generation equals an independent onnxruntime loop (tokenize, encode, DDIM + CFG, decode) within 1e-4', async () => {
    const model = await loadModel(DIR, { threads: 1 });
    const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    const [unet, text, vae] = await Promise.all(
      ['unet', 'text_encoder', 'vae_decoder'].map((d) => ort.InferenceSession.create(join(DIR, d, 'model.onnx'), opts)),
    );
    try {
      const vocab = json('tokenizer/vocab.json') as Record<string, number>;
      const bos = vocab['<|startoftext|>']!;
      const eos = vocab['<|endoftext|>']!;
      const tokenize = (p: string): Int32Array => {
        const ids = new Int32Array(77).fill(eos);
        ids[0] = bos;
        p.split(' ')
          .filter(Boolean)
          .forEach((w, i) => {
            const id = vocab[`${w}</w>`];
            if (id === undefined) throw new Error(`"${w}" is not one token`);
            ids[i + 1] = id;
          });
        return ids;
      };
      const prompts = ['a photo of a dark sneaker', 'a photo of a small light bag'];
      const seeds = [11, 12];
      const w = 3;
      const steps = 8;
      const r = await model.generate({ schedule: Array(steps).fill('F').join(' '), prompts, seeds, guidanceScale: w });
      // diffusers' DDIMScheduler, float64: scaled_linear betas, leading spacing + steps_offset 1, set_alpha_to_one false
      const ac: number[] = [];
      let prod = 1;
      for (let i = 0; i < 1000; i++) {
        prod *= 1 - (Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999) ** 2;
        ac.push(prod);
      }
      const ratio = Math.floor(1000 / steps);
      const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + 1);
      const alpha = (t: number) => (t >= 0 ? ac[t]! : ac[0]!);
      const size = 4 * 8 * 8;
      const embed = async (p: string) =>
        (await text!.run({ input_ids: new ort.Tensor('int32', tokenize(p), [1, 77]) }))['last_hidden_state']!;
      const uncond = await embed('');
      const latents = new Float32Array(2 * size);
      for (let k = 0; k < 2; k++) {
        const cond = await embed(prompts[k]!);
        const states = new Float32Array(uncond.data.length * 2);
        states.set(uncond.data as Float32Array);
        states.set(cond.data as Float32Array, uncond.data.length);
        let x = gaussianNoise(seeds[k]!, size);
        for (const t of timesteps) {
          const xx = new Float32Array(2 * size);
          xx.set(x);
          xx.set(x, size);
          const out = await unet!.run({
            sample: new ort.Tensor('float32', xx, [2, 4, 8, 8]),
            timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(t), BigInt(t)]), [2]),
            encoder_hidden_states: new ort.Tensor('float32', states, [2, ...uncond.dims.slice(1)]),
          });
          const e = out['out_sample']!.data as Float32Array;
          const at = alpha(t);
          const ap = alpha(t - ratio);
          x = x.map((v, i) => {
            const eps = e[i]! + w * (e[size + i]! - e[i]!);
            const x0 = (v - Math.sqrt(1 - at) * eps) / Math.sqrt(at);
            return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
          });
        }
        latents.set(x, k * size);
      }
      let diff = 0;
      for (let i = 0; i < latents.length; i++) diff = Math.max(diff, Math.abs(r.latents![i]! - latents[i]!));
      console.log(`[fashion-sd] max |latents − independent loop| = ${diff.toExponential(2)} after ${steps} steps`);
      expect(diff).toBeLessThan(1e-4);
      const scaling = json('vae_decoder/config.json').scaling_factor as number;
      const decoded = (
        await vae!.run({
          latent_sample: new ort.Tensor(
            'float32',
            latents.map((v) => v / scaling),
            [2, 4, 8, 8],
          ),
        })
      )['sample']!.data as Float32Array;
      let dImg = 0;
      for (let i = 0; i < decoded.length; i++) dImg = Math.max(dImg, Math.abs(r.samples[i]! - decoded[i]!));
      expect(dImg).toBeLessThan(1e-4);
    } finally {
      await model.dispose();
      await Promise.all([unet, text, vae].map((s) => s!.release()));
    }
  });
});
