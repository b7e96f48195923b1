// The judge CLIP of @flexiffusion/model-fashion-sd, opened as `flexi eval` opens it: its declared
// image input (the model's 32×32×1 images in [−1, 1], no resize, no CLIP normalisation) and its
// own tokenizer. Shared by bench/model-fashion-sd-quality.mjs and bench/headline-t2i.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipScorer, clipPreset, clipScore } from '@flexiffusion/metrics';
import { ClipTokenizer } from '@flexiffusion/runtime';
import { createSessionFactory } from '@flexiffusion/runtime-node';

/** The judge's embedding width. */
export const JUDGE_DIM = 64;

/**
 * Opens the judge CLIP of a loaded fashion-sd model. Returns the scorer, `embedImages(x, dims)`
 * (one L2-normalised-by-clipScore 64-d row per image), `embedTexts(texts)` and `score(x, dims, texts)`
 * (the mean CLIP score, 100 × cosine, clipped at 0).
 */
export async function openFashionSdJudge(model, { threads = 1 } = {}) {
  const clipDir = join(model.location, model.manifest.evaluation.clip);
  const sessions = createSessionFactory({ threads });
  const file = (...p) => new Uint8Array(readFileSync(join(clipDir, ...p)));
  const tok = ClipTokenizer.fromFiles(file('tokenizer', 'vocab.json'), file('tokenizer', 'merges.txt'));
  const preset = clipPreset({
    image: {
      id: 'fashion-sd-judge-image',
      dim: JUDGE_DIM,
      preprocess: { range: { from: [-1, 1], to: [-1, 1], clamp: true }, channels: 1 },
    },
    text: { id: 'fashion-sd-judge-text', dim: JUDGE_DIM, tokenType: 'int64' },
  });
  const scorer = new ClipScorer(
    await sessions.create(file('image_encoder', 'model.onnx')),
    await sessions.create(file('text_encoder', 'model.onnx')),
    {
      ...preset,
      tokenize: (texts) => {
        const L = tok.maxLength;
        const ids = new Int32Array(texts.length * L);
        const mask = new Int32Array(texts.length * L);
        texts.forEach((t, i) => {
          const row = tok.encode(t);
          ids.set(row, i * L);
          const end = row.indexOf(tok.eosId, 1);
          mask.fill(1, i * L, i * L + (end < 0 ? L : end + 1));
        });
        return { inputIds: ids, attentionMask: mask, length: L };
      },
    },
  );
  const embedImages = (x, dims) => scorer.images.extract(x, dims);
  const embedTexts = (texts) => scorer.embedTexts(texts);
  return {
    scorer,
    embedImages,
    embedTexts,
    score: async (x, dims, texts) => clipScore(await embedImages(x, dims), await embedTexts(texts), JUDGE_DIM).mean,
  };
}

/**
 * The fashion-sd part of `cachedFeatures`' options, shared by bench/headline-t2i.mjs (which fills
 * the cache) and bench/signal-study.mjs (which reads it): sample i's prompt is prompt i mod 200 of
 * the default set, the feature network's 10 logits are kept, and two extras per sample, the
 * judge's image embedding and the attribute measurements (brightness, area). The extras' names and
 * sizes are part of the cache key; `compute` is only called for a chunk that is not cached yet,
 * so a reader passes no `judge` (it then refuses to generate).
 */
export function fashionSdCacheOptions(model, prompts, { judge, rules, measure, toUint8 } = {}) {
  const m = model.manifest;
  const need = () => {
    throw new Error('fashion-sd cache: this reader cannot generate missing chunks (run bench/headline-t2i.mjs --fill-only first)');
  };
  return {
    numClasses: 10,
    conditioning: (seeds) => ({ prompts: seeds.map((i) => prompts[i % prompts.length]) }),
    conditioningId: `default prompts ${m.evaluation.prompts.sha256}`,
    extras: [
      { name: 'clip', size: JUDGE_DIM, compute: judge ? (r) => judge.embedImages(r.samples, r.shape) : need },
      {
        name: 'attributes',
        size: 2,
        compute: judge
          ? (r) => {
              const u8 = toUint8(r.samples, r.shape, [-1, 1], m.image.crop);
              const out = new Float32Array(u8.length * 2);
              u8.forEach((img, i) => {
                const a = measure(img, rules);
                out[2 * i] = a.brightness;
                out[2 * i + 1] = a.area;
              });
              return out;
            }
          : need,
      },
    ],
  };
}
