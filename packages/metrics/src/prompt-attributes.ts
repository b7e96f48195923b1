/**
 * Prompt adherence without a learned judge: rules that read a class and attribute words from a
 * prompt and measure the same attributes on the generated image (foreground brightness and area,
 * compared with per-class medians). The rules are data (`attributes.json` of a model, e.g.
 * `@flexiffusion/model-fashion-sd`, written by its training recipe); this is the TypeScript port of
 * `tools/model-fashion-sd/captions.py` (`measure`, `score`).
 */
import { MetricsError } from './errors.js';
import type { ImageDims } from './preprocess.js';

/** Per-class thresholds of {@link PromptAttributeRules}. @public */
export interface AttributeClass {
  /** Class index: the position of the class in the feature network's logits. */
  readonly class: number;
  /** Class name as prompts spell it, lower-case (`'ankle boot'`). */
  readonly name: string;
  /** Foreground brightness (0..255) below which an image of this class is dark. */
  readonly brightnessMedian: number;
  /** Foreground area (0..1) below which an image of this class is small. */
  readonly areaMedian: number;
}

/**
 * Attribute rules: on a uint8 image `u`, foreground = `u > foregroundThreshold`, area = foreground
 * pixels / all pixels, brightness = mean of `u` over the foreground (0 when empty); for the
 * prompt's class `c`, `brightnessWords[0]` (dark) when brightness < `brightnessMedian[c]` else
 * `brightnessWords[1]`, `sizeWords[0]` (small) when area < `areaMedian[c]` else `sizeWords[1]`.
 *
 * @public
 */
export interface PromptAttributeRules {
  /** Pixels above this (0..255) are foreground. */
  readonly foregroundThreshold: number;
  /** The brightness words: [below the median, at or above it], e.g. `['dark', 'light']`. */
  readonly brightnessWords: readonly [string, string];
  /** The size words: [below the median, at or above it], e.g. `['small', 'large']`. */
  readonly sizeWords: readonly [string, string];
  /** The classes, in class-index order. */
  readonly classes: readonly AttributeClass[];
}

/** What a prompt asks for under {@link PromptAttributeRules}: `null` where it says nothing. @public */
export interface PromptTarget {
  /** The class index named in the prompt. */
  readonly classIndex: number | null;
  /** 0 (dark) or 1 (light). */
  readonly brightness: 0 | 1 | null;
  /** 0 (small) or 1 (large). */
  readonly size: 0 | 1 | null;
}

/** The measured attributes of one image. @public */
export interface ImageAttributes {
  /** Mean foreground value, 0..255 (0 when there is no foreground). */
  readonly brightness: number;
  /** Foreground share of the pixels, 0..1. */
  readonly area: number;
}

/** Hits over the prompts that ask for a thing (`total` 0: no prompt asked; `accuracy` is then null). @public */
export interface AdherenceCount {
  /** Prompts that asked for it and got it. */
  readonly correct: number;
  /** Prompts that asked for it. */
  readonly total: number;
  /** `correct / total`, or null when no prompt asked. */
  readonly accuracy: number | null;
}

/** {@link scorePromptAdherence}'s result. @public */
export interface PromptAdherence {
  /** Class: the feature network's argmax against the prompt's class (null when no class predictions were given). */
  readonly classAccuracy: AdherenceCount | null;
  /** Brightness word of the prompt against the rule on the image, for the prompt's class. */
  readonly brightnessAccuracy: AdherenceCount;
  /** Size word of the prompt against the rule on the image, for the prompt's class. */
  readonly sizeAccuracy: AdherenceCount;
}

const describe = (v: unknown): string => {
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? String(v);
  } catch {
    return String(v);
  }
};

function bad(what: string, value: unknown, expected: string): never {
  throw new MetricsError('invalid-argument', `Invalid attribute rules: ${what} is ${describe(value)}, expected ${expected}.`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function wordPair(doc: Record<string, unknown>, key: string): readonly [string, string] {
  const v = doc[key];
  if (!Array.isArray(v) || v.length !== 2 || !v.every((w) => typeof w === 'string' && /^[a-z-]+$/.test(w))) {
    bad(key, v, 'two lower-case words');
  }
  return Object.freeze([v[0], v[1]] as [string, string]);
}

/**
 * Check and freeze attribute rules read from JSON (the `attributes.json` format: the fields of
 * {@link PromptAttributeRules}; other fields such as `description` or the training bands are ignored).
 *
 * @param doc - The parsed JSON.
 * @returns The rules, frozen.
 * @throws MetricsError `invalid-argument` naming the first bad field.
 * @example
 * ```ts
 * const rules = parsePromptAttributeRules(JSON.parse(readFileSync('model/attributes.json', 'utf8')));
 * promptTarget('a photo of a dark sneaker', rules); // { classIndex: 7, brightness: 0, size: null }
 * ```
 * @public
 */
export function parsePromptAttributeRules(doc: unknown): PromptAttributeRules {
  if (!isObject(doc)) bad('the document', doc, 'an object');
  const t = doc['foregroundThreshold'];
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 255) bad('foregroundThreshold', t, 'a number in 0..255');
  const brightnessWords = wordPair(doc, 'brightnessWords');
  const sizeWords = wordPair(doc, 'sizeWords');
  const list = doc['classes'];
  if (!Array.isArray(list) || list.length === 0) bad('classes', list, 'a non-empty array');
  const names = new Set<string>();
  const classes = list.map((c, i) => {
    if (!isObject(c)) bad(`classes[${i}]`, c, 'an object');
    if (c['class'] !== i) bad(`classes[${i}].class`, c['class'], `${i} (classes in index order)`);
    const name = c['name'];
    if (typeof name !== 'string' || !/^[a-z][a-z -]*[a-z]$/.test(name)) bad(`classes[${i}].name`, name, 'a lower-case class name');
    if (names.has(name)) bad(`classes[${i}].name`, name, 'a name no other class has');
    names.add(name);
    const b = c['brightnessMedian'];
    const a = c['areaMedian'];
    if (typeof b !== 'number' || !(b >= 0 && b <= 255)) bad(`classes[${i}].brightnessMedian`, b, 'a number in 0..255');
    if (typeof a !== 'number' || !(a >= 0 && a <= 1)) bad(`classes[${i}].areaMedian`, a, 'a number in 0..1');
    return Object.freeze({ class: i, name, brightnessMedian: b, areaMedian: a });
  });
  const words = [...brightnessWords, ...sizeWords];
  if (new Set(words).size !== 4) bad('brightnessWords and sizeWords', words, 'four different words');
  return Object.freeze({ foregroundThreshold: t, brightnessWords, sizeWords, classes: Object.freeze(classes) });
}

/** Lower-case words of a prompt (letters, digits and inner hyphens), as CLIP's pre-tokenizer splits them. */
function wordsOf(prompt: string): string[] {
  return prompt.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
}

/**
 * What a prompt asks for: the class whose name appears in it as whole words (the longest name wins,
 * so "t-shirt" is not "shirt"), and the brightness and size words. A prompt that names two classes,
 * or both words of a pair, asks for nothing of that kind (null).
 *
 * @param prompt - The prompt.
 * @param rules - The rules ({@link parsePromptAttributeRules}).
 * @returns The target; fields are null where the prompt says nothing (or contradicts itself).
 * @throws MetricsError `invalid-argument` when `prompt` is not a string.
 * @public
 */
export function promptTarget(prompt: string, rules: PromptAttributeRules): PromptTarget {
  if (typeof prompt !== 'string') throw new MetricsError('invalid-argument', `Invalid prompt ${describe(prompt)}: expected a string.`);
  const words = wordsOf(prompt);
  const found = new Set<number>();
  const used = new Array<boolean>(words.length).fill(false);
  const byLength = [...rules.classes].sort((x, y) => y.name.split(' ').length - x.name.split(' ').length);
  for (const c of byLength) {
    const parts = c.name.split(' ');
    for (let i = 0; i + parts.length <= words.length; i++) {
      if (parts.every((p, k) => words[i + k] === p && !used[i + k])) {
        found.add(c.class);
        for (let k = 0; k < parts.length; k++) used[i + k] = true;
      }
    }
  }
  const pick = (pair: readonly [string, string]): 0 | 1 | null => {
    const has0 = words.includes(pair[0]);
    const has1 = words.includes(pair[1]);
    return has0 === has1 ? null : has0 ? 0 : 1;
  };
  return Object.freeze({
    classIndex: found.size === 1 ? [...found][0]! : null,
    brightness: pick(rules.brightnessWords),
    size: pick(rules.sizeWords),
  });
}

/**
 * Measure foreground brightness and area of one uint8 image.
 *
 * @param pixels - The image's uint8 pixels (any size, one channel).
 * @param rules - The rules (their foreground threshold).
 * @returns Brightness (0..255) and area (0..1).
 * @public
 */
export function measureImageAttributes(pixels: Uint8Array, rules: Pick<PromptAttributeRules, 'foregroundThreshold'>): ImageAttributes {
  let n = 0;
  let sum = 0;
  for (const v of pixels) {
    if (v > rules.foregroundThreshold) {
      n++;
      sum += v;
    }
  }
  return { brightness: n > 0 ? sum / n : 0, area: pixels.length > 0 ? n / pixels.length : 0 };
}

/**
 * Turn generated images (float, the model's range) into uint8 one-channel images as the rules
 * expect: crop, map `range` to 0..1, clamp, `round(v · 255)`.
 *
 * @param images - Pixels [N, 1, H, W].
 * @param dims - `[N, 1, H, W]`.
 * @param range - The images' value range, e.g. `[-1, 1]`.
 * @param crop - The region holding the picture (e.g. 28×28 at 2,2 in a 32×32 sample); all of it when omitted.
 * @returns One Uint8Array per image.
 * @throws MetricsError `invalid-argument` for a size mismatch, more than one channel or a crop outside the image.
 * @public
 */
export function toUint8Images(
  images: Float32Array,
  dims: ImageDims,
  range: readonly [number, number],
  crop?: { readonly top: number; readonly left: number; readonly height: number; readonly width: number },
): Uint8Array[] {
  const [n, c, h, w] = dims;
  if (c !== 1) throw new MetricsError('invalid-argument', `Invalid image dims ${describe(dims)}: the attribute rules take one channel.`);
  if (images.length !== n * c * h * w) {
    throw new MetricsError('dimension-mismatch', `Images hold ${images.length} values, but dims ${describe(dims)} need ${n * c * h * w}.`);
  }
  const { top = 0, left = 0, height = h, width = w } = crop ?? {};
  if (top < 0 || left < 0 || top + height > h || left + width > w) {
    throw new MetricsError('invalid-argument', `Invalid crop ${describe(crop)} for ${h}×${w} images.`);
  }
  const [lo, hi] = range;
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const u = new Uint8Array(height * width);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = (images[i * h * w + (y + top) * w + (x + left)]! - lo) / (hi - lo);
        u[y * width + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
    out.push(u);
  }
  return out;
}

/**
 * Score prompt adherence of images against their prompts: class (when the feature network's
 * predicted classes are given), brightness and size, each over the prompts that ask for it.
 *
 * @param images - uint8 images ({@link toUint8Images}), one per prompt.
 * @param prompts - The prompt of each image.
 * @param rules - The rules.
 * @param predictedClasses - The feature network's argmax class per image, if class accuracy is wanted.
 * @returns Counts and accuracies.
 * @throws MetricsError `dimension-mismatch` when the lengths differ.
 * @example
 * ```ts
 * const u8 = toUint8Images(images.data, images.dims, [-1, 1], { top: 2, left: 2, height: 28, width: 28 });
 * const { brightnessAccuracy } = scorePromptAdherence(u8, prompts, rules);
 * ```
 * @public
 */
export function scorePromptAdherence(
  images: readonly Uint8Array[],
  prompts: readonly string[],
  rules: PromptAttributeRules,
  predictedClasses?: readonly number[],
): PromptAdherence {
  if (images.length !== prompts.length || (predictedClasses && predictedClasses.length !== prompts.length)) {
    throw new MetricsError(
      'dimension-mismatch',
      `scorePromptAdherence: ${images.length} images, ${prompts.length} prompts` +
        `${predictedClasses ? `, ${predictedClasses.length} predicted classes` : ''}: expected one of each per sample.`,
    );
  }
  const cls = { correct: 0, total: 0 };
  const bri = { correct: 0, total: 0 };
  const siz = { correct: 0, total: 0 };
  prompts.forEach((p, i) => {
    const t = promptTarget(p, rules);
    if (t.classIndex === null) return;
    if (predictedClasses) {
      cls.total++;
      if (predictedClasses[i] === t.classIndex) cls.correct++;
    }
    const c = rules.classes[t.classIndex]!;
    const m = measureImageAttributes(images[i]!, rules);
    if (t.brightness !== null) {
      bri.total++;
      if ((m.brightness < c.brightnessMedian ? 0 : 1) === t.brightness) bri.correct++;
    }
    if (t.size !== null) {
      siz.total++;
      if ((m.area < c.areaMedian ? 0 : 1) === t.size) siz.correct++;
    }
  });
  const done = (x: { correct: number; total: number }): AdherenceCount =>
    Object.freeze({ ...x, accuracy: x.total > 0 ? x.correct / x.total : null });
  return Object.freeze({
    classAccuracy: predictedClasses ? done(cls) : null,
    brightnessAccuracy: done(bri),
    sizeAccuracy: done(siz),
  });
}
