/**
 * Samples of the embedded Fashion-MNIST model captured before the wave-2 redesign
 * (fixtures/golden.json), compared to within a tolerance that only processor-level rounding fits (see
 * golden.ts): the same seeds give the same samples.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { loadModel } from '../src/index.js';
import { Golden } from '../../../tools/test-support/golden.js';

const golden = new Golden(fileURLToPath(new URL('./fixtures/golden.json', import.meta.url)));
afterAll(() => golden.save());

describe('golden samples on the embedded model', () => {
  it('DDIM with partial steps, DPM-Solver++ with reuse nulls, eta > 0, no guidance (1 thread)', { timeout: 60_000 }, async () => {
    const model = await loadModel('fashion', { threads: 1 });
    try {
      const base = { labels: [0, 5, 9], seeds: [11, 12, 13], batchSize: 2 } as const;
      const s = 'F P0 N N N | F P1 N N N | F P2 N N N | F P0 P0 N N';
      golden.check('fashion/ddim', (await model.generate({ ...base, schedule: s })).samples);
      golden.check(
        'fashion/dpmpp-reuse',
        (await model.generate({ ...base, schedule: s, sampler: 'dpmpp-2m', nullMode: 'reuse', guidanceScale: 3 })).samples,
      );
      golden.check('fashion/eta', (await model.generate({ ...base, schedule: 'F N F N F N F N', eta: 1 })).samples);
      golden.check('fashion/unguided', (await model.generate({ ...base, schedule: 'F P1 N N | F P1 N N', guidanceScale: 1 })).samples);
    } finally {
      await model.dispose();
    }
  });
});
