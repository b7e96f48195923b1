/**
 * The networks that judge images: the feature network of rFID and KID (the manifest's
 * `featureNetwork`, or `--features FILE.onnx` with `--features-preset`) and a CLIP export for the
 * CLIP score (`--clip DIR`). Each is opened on the model's backend and probed once on a blank image
 * at start, so a bad file is reported (exit 2) before anything is written.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fashionPreset, inceptionPreset, OnnxFeatureExtractor, type FeatureExtractor, type OnnxExtractorSpec } from '@flexiffusion/metrics';
import { CliError } from './args.js';
import { openModelSession, type CliModel } from './model.js';

/**
 * How `--features` is fed: `inception` (pytorch-fid's Inception: 299×299 bilinear resize, its input range) or `none`
 * (the images as they are, in the model's range and crop; the output flattened).
 */
export type FeaturePreset = 'inception' | 'none';

/** The valid `--features-preset` values. */
export const FEATURE_PRESETS: readonly FeaturePreset[] = Object.freeze(['inception', 'none']);

/** An opened feature network. */
export interface FeatureNetwork {
  readonly extractor: OnnxFeatureExtractor;
  /** `manifest`: the model's own (its reference statistics and class logits apply); `file`: `--features`. */
  readonly source: 'manifest' | 'file';
  /** For messages: `the manifest's featureNetwork (features.onnx)` or `--features inception.onnx (inception preset)`. */
  readonly description: string;
}

export type Session = Awaited<ReturnType<typeof openModelSession>>;

/** SHA-256 hex of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An error's message on one line (onnxruntime's run errors span several). */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ').trim();
}

/** The error of an unreadable `--option FILE` (exit 2). */
export function unreadable(command: string, option: string, file: string, e: unknown): CliError {
  const code = (e as { code?: string }).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : oneLine(e);
  return new CliError(`bad-${option}`, `flexi ${command}: cannot read --${option} "${file}": ${why}.`, { cause: e });
}

/** The bytes of `--option FILE`. */
export async function readInput(command: string, option: string, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw unreadable(command, option, file, e);
  }
}

/** A session on `--option FILE`, on the model's backend; a file onnxruntime cannot open is exit 2. */
export async function openSession(command: string, model: CliModel, option: string, file: string, bytes: Uint8Array): Promise<Session> {
  try {
    return await model.backend.sessions.create(bytes, { label: option });
  } catch (e) {
    throw new CliError(
      `bad-${option}`,
      `flexi ${command}: --${option} "${file}" is not an ONNX model onnxruntime can open: ${oneLine(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** The one name in `names` (a network's inputs or outputs), `preferred` when present, else an error listing them. */
export function pickName(
  command: string,
  what: string,
  kind: 'inputs' | 'outputs',
  names: readonly string[],
  preferred: string | undefined,
): string {
  if (preferred !== undefined && names.includes(preferred)) return preferred;
  if (names.length === 1) return names[0]!;
  throw new CliError(
    'bad-features',
    `flexi ${command}: ${what} has ${names.length} ${kind} (${names.join(', ') || 'none'}); ` +
      `expected one${preferred ? `, or one called "${preferred}"` : ''}.`,
  );
}

/** Per-sample size of an output from the session's metadata (dimensions after the batch), when they are all fixed. */
export function outputSize(session: Session, name: string): number | undefined {
  const meta = (session as { outputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[] })
    .outputMetadata;
  const m = meta?.find((x) => x.name === name);
  const dims = m?.isTensor ? m.shape?.slice(1) : undefined;
  if (!dims || dims.length === 0 || dims.some((d) => typeof d !== 'number' || d < 1)) return undefined;
  return (dims as number[]).reduce((a, b) => a * b, 1);
}

/** The channels and size of the model's images (before any crop), for the probe. */
export async function imageDims(model: CliModel): Promise<[number, number, number, number]> {
  const { height, width, channels } = await model.imageSize();
  return [1, channels, height, width];
}

/** Run the extractor once on a blank image of the model's size: a mismatch is an error at start (exit 2). */
export async function probe(command: string, model: CliModel, extractor: FeatureExtractor, what: string): Promise<void> {
  const dims = await imageDims(model);
  try {
    await extractor.extract(new Float32Array(dims[1] * dims[2] * dims[3]), dims);
  } catch (e) {
    const why = oneLine(e);
    const size = dims.slice(1).join('×');
    throw new CliError('bad-features', `flexi ${command}: ${what} does not run on this model's ${size} images: ${why}`, {
      cause: e,
    });
  }
}

function modelPreprocess(model: CliModel) {
  const { range = [-1, 1], crop } = model.imageOptions;
  return {
    crop: crop ? { crop: { top: crop.top, left: crop.left, height: crop.height, width: crop.width } } : {},
    range: { from: [range[0], range[1]] as [number, number], to: [0, 1] as [number, number], clamp: true },
  };
}

/**
 * The feature network of rFID and KID: `--features FILE` (with its preset) when given, else the
 * manifest's `featureNetwork`, else `undefined`.
 */
export async function openFeatureNetwork(
  command: string,
  model: CliModel,
  o: { readonly features?: string | undefined; readonly preset: FeaturePreset },
): Promise<FeatureNetwork | undefined> {
  const pre = modelPreprocess(model);
  if (o.features !== undefined) {
    const file = resolve(o.features);
    const bytes = await readInput(command, 'features', o.features);
    const session = await openSession(command, model, 'features', o.features, bytes);
    const base = o.preset === 'inception' ? inceptionPreset() : undefined;
    const input = pickName(command, `--features "${o.features}"`, 'inputs', session.inputNames, base?.input);
    const output = pickName(command, `--features "${o.features}"`, 'outputs', session.outputNames, base?.output);
    const dim = outputSize(session, output) ?? base?.dim;
    if (dim === undefined) {
      throw new CliError(
        'bad-features',
        `flexi ${command}: cannot tell the feature size of --features "${o.features}": its output "${output}" has no fixed shape ` +
          'after the batch dimension. Export it with a fixed feature dimension (e.g. [batch, 2048]).',
      );
    }
    const id = `${o.preset}:${sha256Hex(bytes).slice(0, 16)}`;
    const spec: OnnxExtractorSpec =
      o.preset === 'inception'
        ? inceptionPreset({ id, input, output, dim, preprocess: { ...inceptionPreset().preprocess, ...pre.crop, range: pre.range } })
        : { id, input, output, dim, preprocess: { ...pre.crop }, batchSize: 16 };
    const description = `--features ${file} (${o.preset} preset)`;
    const extractor = new OnnxFeatureExtractor(session, spec);
    await probe(command, model, extractor, `--features "${o.features}" (${o.preset} preset)`);
    return { extractor, source: 'file', description };
  }
  const fn = model.manifest.featureNetwork;
  if (!fn) return undefined;
  const session = await openModelSession(model, fn.file, 'features');
  const sha = model.files.find((f) => f.path === fn.file)?.sha256 ?? 'unhashed';
  const extractor = new OnnxFeatureExtractor(
    session,
    fashionPreset({
      id: `${model.manifest.name}-features:${sha.slice(0, 16)}`,
      input: fn.input,
      output: fn.features,
      dim: fn.dim,
      preprocess: { ...pre.crop, range: pre.range },
    }),
  );
  return { extractor, source: 'manifest', description: `the manifest's featureNetwork (${fn.file})` };
}

/**
 * A stand-in extractor for searches judged without a feature network (`--metric psnr|clip`): the
 * mean of each image (1 feature). The evaluator needs one; its rFID and KID are not reported.
 */
export const NO_FEATURES: FeatureExtractor = Object.freeze({
  id: 'flexi-image-mean-v1',
  dim: 1,
  extract(images: Float32Array, dims: readonly [number, number, number, number]): Promise<Float32Array> {
    const n = dims[0];
    const per = images.length / Math.max(1, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < per; j++) s += images[i * per + j]!;
      out[i] = s / per;
    }
    return Promise.resolve(out);
  },
});
