/**
 * Outputs of the stand-in models captured before the wave-2 redesign (fixtures/golden/), compared to
 * within a tolerance that only processor-level rounding fits (see golden.ts): a refactor of the
 * engine must not change what it computes.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { openModel } from '../src/index.js';
import { Golden } from '../../../tools/test-support/golden.js';
import { fixtureSource, testBackend } from './helpers.js';

const golden = new Golden(fileURLToPath(new URL('./fixtures/golden/stand-ins.json', import.meta.url)));
afterAll(() => golden.save());

describe('golden outputs on the stand-ins', () => {
  it('tiny class-conditional UNet: DDIM, DPM-Solver++ with reuse nulls, eta > 0, no guidance', async () => {
    const pipe = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    try {
      const base = { labels: [0, 3, 7], seeds: [5, 6, 7], batchSize: 2 } as const;
      golden.check('tiny/ddim', (await pipe.generate({ ...base, schedule: 'F P0 N | F P1 P1 | F N N', guidanceScale: 2 })).samples);
      golden.check(
        'tiny/dpmpp-reuse',
        (await pipe.generate({ ...base, schedule: 'F P2 N | F P0 N', sampler: 'dpmpp-2m', nullMode: 'reuse', guidanceScale: 3 })).samples,
      );
      golden.check('tiny/eta', (await pipe.generate({ ...base, schedule: 'F F | F P1', eta: 0.5 })).samples);
      golden.check('tiny/unguided', (await pipe.generate({ ...base, schedule: 'F P0 | F N', guidanceScale: 1 })).samples);
    } finally {
      await pipe.dispose();
    }
  });

  it('latent stand-in: samples and latents', async () => {
    const pipe = await openModel({ source: fixtureSource('ldm'), backend: testBackend() });
    try {
      const r = await pipe.generate({ schedule: 'F P1 N F', count: 3, seeds: [1, 2, 3], batchSize: 2 });
      golden.check('ldm/samples', r.samples);
      golden.check('ldm/latents', r.latents!);
    } finally {
      await pipe.dispose();
    }
  });

  it('Stable Diffusion stand-in: prompts, negative prompt, guidance', async () => {
    const pipe = await openModel({ source: fixtureSource('sd'), backend: testBackend() });
    try {
      const r = await pipe.generate({
        schedule: 'F P0 P2 | F P1 N',
        prompts: ['a photo of a cat', 'a red shoe', ''],
        seeds: [1, 2, 3],
        guidanceScale: 7.5,
        negativePrompt: 'dog',
        batchSize: 2,
      });
      golden.check('sd/samples', r.samples);
      golden.check('sd/latents', r.latents!);
      const d = await pipe.generate({ schedule: 'F N F N', prompts: ['a cat'], seeds: [9], sampler: 'dpmpp-2m' });
      golden.check('sd/dpmpp', d.latents!);
    } finally {
      await pipe.dispose();
    }
  });
});
