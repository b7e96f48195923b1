import { MetricsError } from './errors.js';
import { checkImageDims, checkInt, describe } from './internal/validate.js';

/**
 * Shape of an image batch, NCHW: [samples, channels, height, width].
 *
 * @public
 */
export type ImageDims = readonly [n: number, c: number, h: number, w: number];

/**
 * A crop, applied first. Without `top`/`left` it is a centre crop (offset ⌊(H − h)/2⌋,
 * ⌊(W − w)/2⌋).
 *
 * @public
 */
export interface CropSpec {
  /** Height of the crop. */
  readonly height: number;
  /** Width of the crop. */
  readonly width: number;
  /** Row of the crop's first pixel; default centred. */
  readonly top?: number;
  /** Column of the crop's first pixel; default centred. */
  readonly left?: number;
}

/**
 * A linear value-range mapping, applied after the crop: `from[0]` ↦ `to[0]`, `from[1]` ↦ `to[1]`.
 *
 * @public
 */
export interface RangeSpec {
  /** Range of the incoming values, e.g. [−1, 1] for diffusion samples. */
  readonly from: readonly [number, number];
  /** Range the model expects, e.g. [0, 1]. */
  readonly to: readonly [number, number];
  /** Clamp the result to `to` (default `true`). */
  readonly clamp?: boolean;
}

/**
 * Resampling modes of {@link ResizeSpec}. `bilinear` matches PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)` (no antialiasing); `nearest` matches
 * `F.interpolate(mode='nearest')`.
 *
 * @public
 */
export type ResizeMode = 'bilinear' | 'nearest';

/**
 * A resize to a fixed size, applied after the range mapping.
 *
 * @public
 */
export interface ResizeSpec {
  /** Output height. */
  readonly height: number;
  /** Output width. */
  readonly width: number;
  /** Resampling mode; default `bilinear`. */
  readonly mode?: ResizeMode;
}

/**
 * Per-channel normalisation `(x − mean[c]) / std[c]`, applied last. One value broadcasts to every
 * channel.
 *
 * @public
 */
export interface NormalizeSpec {
  /** Channel means (1 or C values). */
  readonly mean: readonly number[];
  /** Channel standard deviations (1 or C values, each > 0). */
  readonly std: readonly number[];
}

/**
 * How images are turned into a feature network's input. Steps run in this order: `crop`,
 * `range` (with clamping), `resize`, `channels` (replicate a single channel), `normalize`.
 *
 * @public
 */
export interface PreprocessSpec {
  /** Crop first (e.g. 32×32 → 28×28 centre crop for a model that pads 28×28 images). */
  readonly crop?: CropSpec;
  /** Map the value range (e.g. [−1, 1] → [0, 1]) and clamp. */
  readonly range?: RangeSpec;
  /** Resize to a fixed size. */
  readonly resize?: ResizeSpec;
  /** Number of channels the model expects; a single-channel image is replicated. */
  readonly channels?: number;
  /** Per-channel normalisation. */
  readonly normalize?: NormalizeSpec;
}

/**
 * A preprocessed batch.
 *
 * @public
 */
export interface PreprocessedImages {
  /** The values, NCHW. */
  readonly data: Float32Array;
  /** Their shape. */
  readonly dims: ImageDims;
}

/**
 * Apply a {@link PreprocessSpec} to a batch of images (NCHW, float32), as a feature extractor
 * does before running its network. Platform-free and deterministic.
 *
 * @param images - The images, NCHW, row-major.
 * @param dims - Their shape [N, C, H, W].
 * @param spec - The preprocessing.
 * @returns The preprocessed batch (a new array; `images` is not changed).
 * @throws {@link MetricsError} `invalid-argument` for a shape that does not match the data,
 *   `invalid-option` for a crop outside the image, a bad size, range, channel count or
 *   normalisation.
 * @example
 * ```ts
 * // UNet samples [B,1,32,32] in [-1,1] -> classifier input [B,1,28,28] in [0,1]
 * const { data, dims } = preprocessImages(samples, [16, 1, 32, 32], {
 *   crop: { height: 28, width: 28 },
 *   range: { from: [-1, 1], to: [0, 1] },
 * });
 * ```
 * @public
 */
export function preprocessImages(images: Float32Array, dims: ImageDims, spec: PreprocessSpec = {}): PreprocessedImages {
  let [n, c, h, w] = checkImageDims(images, dims);
  if (typeof spec !== 'object' || spec === null) {
    throw new MetricsError('invalid-option', `Invalid preprocessing spec ${describe(spec)}: expected an object.`);
  }
  let data: Float32Array = images;
  let owned = false;
  if (spec.crop !== undefined) {
    const cr = spec.crop;
    const ch = checkInt(cr.height, 'crop.height', 1);
    const cw = checkInt(cr.width, 'crop.width', 1);
    const top = cr.top === undefined ? Math.floor((h - ch) / 2) : checkInt(cr.top, 'crop.top', 0);
    const left = cr.left === undefined ? Math.floor((w - cw) / 2) : checkInt(cr.left, 'crop.left', 0);
    if (top < 0 || left < 0 || top + ch > h || left + cw > w) {
      throw new MetricsError(
        'invalid-option',
        `Invalid crop ${ch}×${cw} at (${top}, ${left}) of a ${h}×${w} image: the crop must lie inside the image.`,
      );
    }
    if (ch !== h || cw !== w) {
      const out = new Float32Array(n * c * ch * cw);
      for (let p = 0; p < n * c; p++) {
        for (let y = 0; y < ch; y++) {
          const src = p * h * w + (y + top) * w + left;
          out.set(data.subarray(src, src + cw), p * ch * cw + y * cw);
        }
      }
      data = out;
      owned = true;
      h = ch;
      w = cw;
    }
  }
  if (spec.range !== undefined) {
    const r = spec.range;
    const from = checkPair(r.from, 'range.from');
    const to = checkPair(r.to, 'range.to');
    if (from[0] === from[1]) {
      throw new MetricsError('invalid-option', `Invalid range.from [${from[0]}, ${from[1]}]: the two ends must differ.`);
    }
    const scale = (to[1] - to[0]) / (from[1] - from[0]);
    const lo = Math.min(to[0], to[1]);
    const hi = Math.max(to[0], to[1]);
    const clamp = r.clamp !== false;
    const out = owned ? data : new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      let v = (data[i]! - from[0]) * scale + to[0];
      if (clamp) v = v < lo ? lo : v > hi ? hi : v;
      out[i] = v;
    }
    data = out;
    owned = true;
  }
  if (spec.resize !== undefined) {
    const rs = spec.resize;
    const oh = checkInt(rs.height, 'resize.height', 1);
    const ow = checkInt(rs.width, 'resize.width', 1);
    const mode = rs.mode ?? 'bilinear';
    if (mode !== 'bilinear' && mode !== 'nearest') {
      throw new MetricsError('invalid-option', `Invalid resize.mode ${describe(mode)}: expected 'bilinear' or 'nearest'.`);
    }
    if (oh !== h || ow !== w) {
      data = mode === 'bilinear' ? resizeBilinear(data, n * c, h, w, oh, ow) : resizeNearest(data, n * c, h, w, oh, ow);
      owned = true;
      h = oh;
      w = ow;
    }
  }
  if (spec.channels !== undefined) {
    const target = checkInt(spec.channels, 'channels', 1);
    if (target !== c) {
      if (c !== 1) {
        throw new MetricsError(
          'invalid-option',
          `Cannot convert ${c}-channel images to ${target} channels: ` +
            `only 1-channel images can be replicated (valid: channels = ${c}, or 1-channel input).`,
        );
      }
      const plane = h * w;
      const out = new Float32Array(n * target * plane);
      for (let s = 0; s < n; s++) {
        const src = data.subarray(s * plane, (s + 1) * plane);
        for (let k = 0; k < target; k++) out.set(src, (s * target + k) * plane);
      }
      data = out;
      owned = true;
      c = target;
    }
  }
  if (spec.normalize !== undefined) {
    const nm = spec.normalize;
    const mean = checkPerChannel(nm.mean, c, 'normalize.mean', false);
    const std = checkPerChannel(nm.std, c, 'normalize.std', true);
    const out = owned ? data : new Float32Array(data.length);
    const plane = h * w;
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < c; k++) {
        const m = mean[k]!;
        const inv = 1 / std[k]!;
        const o = (s * c + k) * plane;
        for (let i = 0; i < plane; i++) out[o + i] = (data[o + i]! - m) * inv;
      }
    }
    data = out;
    owned = true;
  }
  if (!owned) data = data.slice();
  return Object.freeze({ data, dims: Object.freeze([n, c, h, w] as const) });
}

function checkPair(v: unknown, what: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new MetricsError('invalid-option', `Invalid ${what} ${describe(v)}: expected [low, high] as two finite numbers.`);
  }
  return [v[0] as number, v[1] as number];
}

function checkPerChannel(v: unknown, c: number, what: string, positive: boolean): number[] {
  if (
    !Array.isArray(v) ||
    (v.length !== 1 && v.length !== c) ||
    v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (positive && x <= 0))
  ) {
    throw new MetricsError(
      'invalid-option',
      `Invalid ${what} ${describe(v)}: expected 1 or ${c} finite numbers${positive ? ' > 0' : ''} (one per channel).`,
    );
  }
  return v.length === 1 ? new Array<number>(c).fill(v[0] as number) : (v as number[]);
}

/** Source index and weight tables of PyTorch's linear interpolation (align_corners=False). */
function linearTable(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; l0: Float64Array; l1: Float64Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l0 = new Float64Array(outSize);
  const l1 = new Float64Array(outSize);
  // PyTorch (CPU, float32 tensors): the scale is float32(in / out), the source position and
  // lambda are computed in double (the accumulation type), the weights stored as float32
  const scale = Math.fround(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src = scale * (o + 0.5) - 0.5;
    if (src < 0) src = 0;
    const a = Math.min(Math.floor(src), inSize - 1);
    i0[o] = a;
    i1[o] = a < inSize - 1 ? a + 1 : a;
    const lambda = Math.min(Math.max(src - a, 0), 1);
    l1[o] = Math.fround(lambda);
    l0[o] = Math.fround(1 - lambda);
  }
  return { i0, i1, l0, l1 };
}

function resizeBilinear(x: Float32Array, planes: number, h: number, w: number, oh: number, ow: number): Float32Array {
  const ty = linearTable(h, oh);
  const tx = linearTable(w, ow);
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    const ob = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const r0 = base + ty.i0[oy]! * w;
      const r1 = base + ty.i1[oy]! * w;
      const ly1 = ty.l1[oy]!;
      const ly0 = ty.l0[oy]!;
      const oo = ob + oy * ow;
      for (let ox = 0; ox < ow; ox++) {
        const c0 = tx.i0[ox]!;
        const c1 = tx.i1[ox]!;
        const lx1 = tx.l1[ox]!;
        const lx0 = tx.l0[ox]!;
        out[oo + ox] = ly0 * (lx0 * x[r0 + c0]! + lx1 * x[r0 + c1]!) + ly1 * (lx0 * x[r1 + c0]! + lx1 * x[r1 + c1]!);
      }
    }
  }
  return out;
}

/** PyTorch's `nearest` source index: min(floor(dst · float32(in/out)), in − 1), in float32. */
function nearestTable(inSize: number, outSize: number): Int32Array {
  const t = new Int32Array(outSize);
  const scale = Math.fround(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    t[o] = outSize === inSize ? o : Math.min(Math.floor(Math.fround(o * scale)), inSize - 1);
  }
  return t;
}

function resizeNearest(x: Float32Array, planes: number, h: number, w: number, oh: number, ow: number): Float32Array {
  const ty = nearestTable(h, oh);
  const tx = nearestTable(w, ow);
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    const ob = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const r = base + ty[oy]! * w;
      const oo = ob + oy * ow;
      for (let ox = 0; ox < ow; ox++) out[oo + ox] = x[r + tx[ox]!]!;
    }
  }
  return out;
}
