import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ClipScorer,
  MetricsError,
  OnnxFeatureExtractor,
  clipPreset,
  clipScore,
  fashionPreset,
  inceptionPreset,
  type ImageDims,
  type OnnxSession,
} from '../src/index.js';
import { FIXTURES } from './fixtures.js';

const DIR = join(FIXTURES, 'onnx');
interface Ref {
  input: number[];
  dims: number[];
  [k: string]: unknown;
}
const refs = JSON.parse(readFileSync(join(DIR, 'references.json'), 'utf8')) as Record<string, Ref>;
const session = (name: string): Promise<ort.InferenceSession> => ort.InferenceSession.create(join(DIR, name));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (e > worst) worst = e;
  }
  expect(worst).toBeLessThan(tol);
}

describe('OnnxFeatureExtractor with fashionPreset (stand-in graph)', () => {
  const r = refs['fashion']!;
  const images = Float32Array.from(r.input);
  const dims = r.dims as unknown as ImageDims;
  let s: ort.InferenceSession;
  beforeAll(async () => {
    s = await session('fashion-standin.onnx');
  });

  it('crops 32 → 28, maps [-1, 1] → [0, 1] with clamping, and batches', async () => {
    const ex = new OnnxFeatureExtractor(s, fashionPreset({ batchSize: 2 }));
    expect(ex.dim).toBe(128);
    expect(ex.id.startsWith('fashion-mnist-features#')).toBe(true);
    const out = await ex.run(images, dims, ['echo', 'logits', 'features']);
    expectClose(out['echo']!.data, r['echo'] as number[], 1e-7);
    expect(out['echo']!.dims).toEqual([3, 1, 28, 28]);
    expectClose(out['logits']!.data, r['logits'] as number[], 1e-5);
    expect(out['logits']!.dims).toEqual([3, 10]);
    const features = await ex.extract(images, dims);
    expectClose(features, r['features'] as number[], 1e-5);
  });

  it('pads a short last batch for fixed-batch networks and drops the padding', async () => {
    const ex = new OnnxFeatureExtractor(s, fashionPreset({ batchSize: 2, padBatch: true }));
    expectClose(await ex.extract(images, dims), r['features'] as number[], 1e-5);
  });

  it('changes its id with its preprocessing', () => {
    const a = new OnnxFeatureExtractor(s, fashionPreset());
    const b = new OnnxFeatureExtractor(s, fashionPreset({ preprocess: { range: { from: [-1, 1], to: [0, 1] } } }));
    const c = new OnnxFeatureExtractor(s, fashionPreset({ batchSize: 7 }));
    expect(a.id).not.toBe(b.id);
    expect(a.id).toBe(c.id); // batching does not change the features
  });

  it('names the valid inputs and outputs when a name is wrong', () => {
    expect(() => new OnnxFeatureExtractor(s, fashionPreset({ input: 'x' }))).toThrow(/no input "x"; its inputs are "image"/);
    try {
      new OnnxFeatureExtractor(s, fashionPreset({ output: 'pool' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MetricsError);
      expect((e as MetricsError).code).toBe('onnx-error');
      expect((e as MetricsError).message).toContain('"logits", "features", "echo"');
    }
  });

  it('rejects a feature output of the wrong size and a failing run', async () => {
    const ex = new OnnxFeatureExtractor(s, fashionPreset({ dim: 100 }));
    await expect(ex.extract(images, dims)).rejects.toMatchObject({
      code: 'onnx-error',
      message: expect.stringContaining('expected dim = 100'),
    });
    const noCrop = new OnnxFeatureExtractor(s, fashionPreset({ preprocess: {} }));
    await expect(noCrop.extract(images, dims)).rejects.toMatchObject({ code: 'onnx-error' });
  });

  it('rejects malformed images and honours an aborted signal', async () => {
    const ex = new OnnxFeatureExtractor(s, fashionPreset());
    await expect(ex.extract(images, [3, 1, 32, 31])).rejects.toMatchObject({ code: 'invalid-argument' });
    const ac = new AbortController();
    ac.abort();
    await expect(ex.extract(images, dims, { signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('accepts a caller tensor factory', async () => {
    let calls = 0;
    const ex = new OnnxFeatureExtractor(s, {
      ...fashionPreset(),
      createTensor: (type, data, d) => {
        calls++;
        return new ort.Tensor(type, data as Float32Array, d as number[]);
      },
    });
    expectClose(await ex.extract(images, dims), r['features'] as number[], 1e-5);
    expect(calls).toBe(1);
  });
});

describe('OnnxFeatureExtractor with inceptionPreset (stand-in graph)', () => {
  it('matches PyTorch: clamp, bilinear 28 → 299 (align_corners=False), 1 → 3 channels, 2x − 1', async () => {
    const r = refs['inception']!;
    const s = await session('inception-standin.onnx');
    const ex = new OnnxFeatureExtractor(s, inceptionPreset());
    const out = await ex.run(Float32Array.from(r.input), r.dims as unknown as ImageDims, ['probe', 'pool3']);
    expectClose(out['probe']!.data, r['probe'] as number[], 3e-7);
    expect(out['pool3']!.dims).toEqual([2, 2048, 1, 1]);
    expectClose(out['pool3']!.data, r['pool3'] as number[], 1e-5);
    expect((await ex.extract(Float32Array.from(r.input), r.dims as unknown as ImageDims)).length).toBe(2 * 2048);
  });
});

describe('ClipScorer (stand-in encoders)', () => {
  it('embeds images and prompts and scores them like the reference', async () => {
    const r = refs['clip']!;
    const img = await session('clip-image-standin.onnx');
    const txt = await session('clip-text-standin.onnx');
    const ids = r['input_ids'] as number[];
    const mask = r['attention_mask'] as number[];
    const preset = clipPreset({ image: { dim: 16 }, text: { dim: 16 } });
    const scorer = new ClipScorer(img, txt, {
      ...preset,
      tokenize: (prompts) => {
        expect(prompts).toEqual(['a', 'b']);
        return { inputIds: BigInt64Array.from(ids.map(BigInt)), attentionMask: mask, length: 8 };
      },
    });
    const dims = r.dims as unknown as ImageDims;
    expectClose(await scorer.images.extract(Float32Array.from(r.input), dims), r['image_embeds'] as number[], 1e-5);
    expectClose(await scorer.embedTexts(['a', 'b']), r['text_embeds'] as number[], 1e-6);
    const score = await scorer.score(Float32Array.from(r.input), dims, ['a', 'b']);
    expectClose(score.perSample, r['score'] as number[], 1e-4);
    await expect(scorer.score(Float32Array.from(r.input), dims, ['a'])).rejects.toMatchObject({ code: 'dimension-mismatch' });
  });

  it('clipScore is 100·max(cos, 0)', () => {
    const s = clipScore(Float32Array.from([1, 0, 1, 0, 1, 1]), Float32Array.from([1, 0, -1, 0, 2, 2]), 2);
    expect(Array.from(s.perSample)).toEqual([100, 0, expect.closeTo(100, 10)]);
    expect(s.mean).toBeCloseTo(200 / 3, 10);
  });
});

describe('a fake session (structural typing)', () => {
  it('runs anything shaped like an InferenceSession', async () => {
    const fake: OnnxSession = {
      inputNames: ['x'],
      outputNames: ['y'],
      run: (feeds) => {
        const t = feeds['x'] as ort.Tensor;
        const d = t.data as Float32Array;
        const n = t.dims[0]!;
        const per = d.length / n;
        const y = new Float32Array(n * 2);
        for (let i = 0; i < n; i++) {
          y[2 * i] = d[i * per]!;
          y[2 * i + 1] = d[i * per + per - 1]!;
        }
        return Promise.resolve({ y: new ort.Tensor('float32', y, [n, 2]) });
      },
    } as OnnxSession;
    const ex = new OnnxFeatureExtractor(fake, { id: 'fake', input: 'x', output: 'y', dim: 2 });
    const f = await ex.extract(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 1, 2, 2]);
    expect(Array.from(f)).toEqual([1, 4, 5, 8]);
  });
});
