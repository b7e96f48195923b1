/**
 * The CLIP score of `--clip DIR`: prompt–image agreement, 100 · max(cos(image, text), 0) averaged
 * over the samples (as torchmetrics). The folder holds an OpenAI CLIP exported to ONNX once:
 *
 * ```text
 * DIR/image_encoder.onnx   pixel_values [B, 3, 224, 224] (CLIP-normalised) -> image_embeds [B, d]
 * DIR/text_encoder.onnx    input_ids [B, 77] int64 (+ optional attention_mask) -> text_embeds [B, d]
 * DIR/tokenizer/vocab.json, DIR/tokenizer/merges.txt   (or vocab.json, merges.txt in DIR itself)
 * ```
 *
 * Another single input or output name is taken as it is; the images are mapped from the model's
 * range to CLIP's (clipPreset: bilinear resize to 224×224, CLIP's mean and std).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClipScorer, clipPreset, clipScore, type ClipTokens } from '@flexiffusion/metrics';
import { ClipTokenizer } from '@flexiffusion/runtime';
import { CliError } from './args.js';
import { imageDims, oneLine, openSession, outputSize, pickName, readInput, sha256Hex } from './features.js';
import type { CliModel } from './model.js';

/** The folder layout `--clip` takes, for messages and docs. */
export const CLIP_LAYOUT =
  'image_encoder.onnx (or image_encoder/model.onnx), text_encoder.onnx (or text_encoder/model.onnx) and tokenizer/vocab.json + tokenizer/merges.txt';

/** The model's own CLIP judge (`evaluation.clip` of its manifest), as a folder path; undefined when it has none. */
export function modelClipDir(model: CliModel): string | undefined {
  const dir = model.manifest.evaluation?.clip;
  return dir === undefined ? undefined : join(model.location, dir);
}

/**
 * The image input a CLIP folder declares in `config.json` (`image_input: { shape: [null, C, H, W], range: [lo, hi] }`):
 * a CLIP trained on the model's own images, fed as they are (no resize, no CLIP normalisation), only mapped to its range.
 */
async function declaredImageInput(
  command: string,
  dir: string,
): Promise<
  { readonly channels: number; readonly height: number; readonly width: number; readonly range: readonly [number, number] } | undefined
> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  let input: unknown;
  try {
    input = (JSON.parse(new TextDecoder().decode(await readInput(command, 'clip', file))) as { image_input?: unknown }).image_input;
  } catch (e) {
    throw new CliError('bad-clip', `flexi ${command}: --clip ${file} is not JSON: ${oneLine(e)}`, { cause: e });
  }
  if (input === undefined) return undefined;
  const { shape, range } = (input ?? {}) as { shape?: unknown; range?: unknown };
  const dims = Array.isArray(shape) ? shape.slice(1) : [];
  const ok =
    Array.isArray(shape) &&
    shape.length === 4 &&
    dims.every((d) => Number.isInteger(d) && (d as number) > 0) &&
    Array.isArray(range) &&
    range.length === 2 &&
    range.every((r) => typeof r === 'number') &&
    (range[0] as number) < (range[1] as number);
  if (!ok) {
    throw new CliError(
      'bad-clip',
      `flexi ${command}: --clip ${file}: image_input is ${JSON.stringify(input)}, expected { "shape": [null, C, H, W], "range": [lo, hi] }.`,
    );
  }
  const [channels, height, width] = dims as number[];
  return { channels: channels!, height: height!, width: width!, range: [range[0] as number, range[1] as number] };
}

/** A CLIP export, ready to score images against prompts. */
export interface ClipJudge {
  /** Identity of the export (hashes of its files): part of the cache key of the teacher's score. */
  readonly id: string;
  readonly description: string;
  /** Mean CLIP score of images [N, C, H, W] against their prompts (one per image). */
  score(images: Float32Array, dims: readonly [number, number, number, number], prompts: readonly string[]): Promise<number>;
}

function tokenTypeOf(session: Awaited<ReturnType<typeof openSession>>, name: string): 'int64' | 'int32' {
  const meta = (session as { inputMetadata?: readonly { name: string; isTensor: boolean; type?: string }[] }).inputMetadata;
  return meta?.find((m) => m.name === name)?.type === 'int32' ? 'int32' : 'int64';
}

/** Open `--clip DIR` on the model's backend and probe it once (a bad folder is exit 2 at start). */
export async function openClip(command: string, model: CliModel, dir: string): Promise<ClipJudge> {
  const at = (...p: string[]) => join(dir, ...p);
  const tok = existsSync(at('tokenizer', 'vocab.json')) ? at('tokenizer') : dir;
  // flat (image_encoder.onnx) or optimum-like (image_encoder/model.onnx) layout
  const encoder = (name: string): string => (existsSync(at(name, 'model.onnx')) ? at(name, 'model.onnx') : at(`${name}.onnx`));
  const imageFile = encoder('image_encoder');
  const textFile = encoder('text_encoder');
  const missing = [imageFile, textFile, join(tok, 'vocab.json'), join(tok, 'merges.txt')].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new CliError(
      'bad-clip',
      `flexi ${command}: --clip "${dir}" is not a CLIP export: missing ${missing.join(', ')}. Expected ${CLIP_LAYOUT} ` +
        '(docs/bring-your-own-model.md shows how to export one).',
    );
  }
  const imageBytes = await readInput(command, 'clip', imageFile);
  const textBytes = await readInput(command, 'clip', textFile);
  const vocab = await readInput(command, 'clip', join(tok, 'vocab.json'));
  const merges = await readInput(command, 'clip', join(tok, 'merges.txt'));
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = ClipTokenizer.fromFiles(vocab, merges);
  } catch (e) {
    throw new CliError('bad-clip', `flexi ${command}: --clip "${dir}": ${oneLine(e)}`, { cause: e });
  }
  const imageSession = await openSession(command, model, 'clip', imageFile, imageBytes);
  const textSession = await openSession(command, model, 'clip', textFile, textBytes);
  const base = clipPreset();
  const imageInput = pickName(command, `--clip ${imageFile}`, 'inputs', imageSession.inputNames, base.image.input);
  const imageOutput = pickName(command, `--clip ${imageFile}`, 'outputs', imageSession.outputNames, base.image.output);
  const textInputs = textSession.inputNames.filter((n) => n !== base.text.attentionMask);
  const inputIds = pickName(command, `--clip ${textFile}`, 'inputs', textInputs, base.text.inputIds);
  const textOutput = pickName(command, `--clip ${textFile}`, 'outputs', textSession.outputNames, base.text.output);
  const dim = outputSize(imageSession, imageOutput) ?? base.image.dim;
  const { range = [-1, 1] } = model.imageOptions;
  const declared = await declaredImageInput(command, dir);
  const id = `clip:${sha256Hex(imageBytes).slice(0, 12)}:${sha256Hex(textBytes).slice(0, 12)}:${sha256Hex(vocab).slice(0, 8)}`;
  const preset = clipPreset({
    image: {
      id: `${id}:image`,
      input: imageInput,
      output: imageOutput,
      dim,
      preprocess: declared
        ? { range: { from: [range[0], range[1]], to: [declared.range[0], declared.range[1]], clamp: true }, channels: declared.channels }
        : { ...base.image.preprocess, range: { from: [range[0], range[1]], to: [0, 1], clamp: true } },
    },
    text: { id: `${id}:text`, inputIds, output: textOutput, dim, tokenType: tokenTypeOf(textSession, inputIds) },
  });
  const tokenize = (prompts: readonly string[]): ClipTokens => {
    const L = tokenizer.maxLength;
    const ids = new Int32Array(prompts.length * L);
    const mask = new Int32Array(prompts.length * L);
    prompts.forEach((p, i) => {
      const row = tokenizer.encode(p);
      ids.set(row, i * L);
      const end = row.indexOf(tokenizer.eosId, 1);
      mask.fill(1, i * L, i * L + (end < 0 ? L : end + 1));
    });
    return { inputIds: ids, attentionMask: mask, length: L };
  };
  const scorer = new ClipScorer(imageSession, textSession, { ...preset, tokenize });
  const texts = new Map<string, Float32Array>();
  const embedTexts = async (prompts: readonly string[]): Promise<Float32Array> => {
    const key = JSON.stringify(prompts);
    let t = texts.get(key);
    if (!t) texts.set(key, (t = await scorer.embedTexts(prompts)));
    return t;
  };
  const judge: ClipJudge = {
    id,
    description: resolve(dir),
    async score(images, dims, prompts) {
      const img = await scorer.images.extract(images, dims);
      return clipScore(img, await embedTexts(prompts), dim).mean;
    },
  };
  const dims = await imageDims(model);
  try {
    await judge.score(new Float32Array(dims[1] * dims[2] * dims[3]), dims, ['a photo']);
  } catch (e) {
    throw new CliError('bad-clip', `flexi ${command}: --clip "${dir}" does not run on this model's images: ${oneLine(e)}`, {
      cause: e,
    });
  }
  return judge;
}
