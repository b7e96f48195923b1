import type { ModelManifest } from './manifest.js';
import { RuntimeError } from './errors.js';

/**
 * An 8-bit image, rows top to bottom, channels interleaved.
 *
 * @public
 */
export interface Image8 {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 3 | 4;
  /** `width · height · channels` bytes. */
  readonly data: Uint8Array;
}

/**
 * How to turn samples into pixels.
 *
 * @public
 */
export interface ToImageOptions {
  /** The sample values that map to 0 and 255 (default [-1, 1]); values outside are clipped. */
  readonly range?: readonly [number, number];
  /** Keep only this region (e.g. the 28×28 image inside a 32×32 sample). */
  readonly crop?: {
    /** First row of the region. */
    readonly top: number;
    /** First column of the region. */
    readonly left: number;
    /** Rows in the region. */
    readonly height: number;
    /** Columns in the region. */
    readonly width: number;
  };
}

/**
 * The image options a manifest implies: its value range (default [−1, 1]) and crop, for
 * {@link samplesToImages} and the platform adapters' image helpers.
 *
 * @param manifest - A validated manifest.
 * @returns `{ range, crop? }`.
 * @example
 * ```ts
 * const images = samplesToImages(samples, shape, manifestImageOptions(model.manifest));
 * ```
 * @public
 */
export function manifestImageOptions(manifest: Pick<ModelManifest, 'image'>): ToImageOptions {
  const img = manifest.image;
  return { range: img?.range ?? [-1, 1], ...(img?.crop ? { crop: img.crop } : {}) };
}

/**
 * Convert samples [N, C, H, W] (C = 1, 3 or 4) to 8-bit images.
 *
 * @param samples - The sample values, NCHW.
 * @param shape - [N, C, H, W].
 * @param options - Value range (default [-1, 1]) and crop.
 * @returns One {@link Image8} per sample.
 * @throws {@link RuntimeError} `shape-mismatch` when the data and shape disagree or C is not 1, 3 or 4;
 *   `invalid-option` for a crop outside the image.
 * @example
 * ```ts
 * const [img] = samplesToImages(result.samples, result.shape, { range: [-1, 1] });
 * ```
 * @public
 */
export function samplesToImages(samples: Float32Array, shape: readonly number[], options: ToImageOptions = {}): Image8[] {
  const [n = 0, c = 0, h = 0, w = 0] = shape;
  if (shape.length !== 4 || n * c * h * w !== samples.length) {
    throw new RuntimeError(
      'shape-mismatch',
      `Samples of length ${samples.length} do not match shape [${shape.join(', ')}]: expected [N, C, H, W].`,
    );
  }
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new RuntimeError('shape-mismatch', `Cannot make images of ${c} channels: expected 1, 3 or 4.`);
  }
  const [lo, hi] = options.range ?? [-1, 1];
  const crop = options.crop ?? { top: 0, left: 0, height: h, width: w };
  if (crop.top < 0 || crop.left < 0 || crop.top + crop.height > h || crop.left + crop.width > w || crop.height < 1 || crop.width < 1) {
    throw new RuntimeError('invalid-option', `Crop ${JSON.stringify(crop)} does not fit samples of ${h}×${w}.`);
  }
  const scale = 255 / (hi - lo);
  const images: Image8[] = [];
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(crop.height * crop.width * c);
    for (let y = 0; y < crop.height; y++) {
      for (let x = 0; x < crop.width; x++) {
        for (let ch = 0; ch < c; ch++) {
          const v = samples[((k * c + ch) * h + y + crop.top) * w + x + crop.left]!;
          const p = Math.round((v - lo) * scale);
          data[(y * crop.width + x) * c + ch] = p < 0 ? 0 : p > 255 ? 255 : p;
        }
      }
    }
    images.push({ width: crop.width, height: crop.height, channels: c, data });
  }
  return images;
}

/**
 * Convert 8-bit images back to samples [N, C, H, W] in `range` (inverse of {@link samplesToImages}
 * up to rounding; no crop).
 *
 * @param images - Images of one size and channel count.
 * @param range - Values for 0 and 255 (default [-1, 1]).
 * @returns The samples and their shape.
 * @throws {@link RuntimeError} `shape-mismatch` for images of different sizes.
 * @public
 */
export function imagesToSamples(
  images: readonly Image8[],
  range: readonly [number, number] = [-1, 1],
): {
  /** The samples, NCHW. */
  samples: Float32Array;
  /** [N, C, H, W]. */
  shape: [number, number, number, number];
} {
  const first = images[0];
  if (!first) return { samples: new Float32Array(0), shape: [0, 1, 0, 0] };
  const { width: w, height: h, channels: c } = first;
  const out = new Float32Array(images.length * c * h * w);
  const [lo, hi] = range;
  images.forEach((img, k) => {
    if (img.width !== w || img.height !== h || img.channels !== c) {
      throw new RuntimeError(
        'shape-mismatch',
        `Image ${k} is ${img.width}×${img.height}×${img.channels} ` + `but image 0 is ${w}×${h}×${c}.`,
      );
    }
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((k * c + ch) * h + y) * w + x] = lo + ((hi - lo) * img.data[(y * w + x) * c + ch]!) / 255;
  });
  return { samples: out, shape: [images.length, c, h, w] };
}

/**
 * Options of {@link imageGrid}.
 *
 * @public
 */
export interface GridOptions {
  /** Images per row (default ⌈√N⌉). */
  readonly columns?: number;
  /** Pixels between and around images (default 2). */
  readonly padding?: number;
  /** Background value 0..255 (default 255, white). */
  readonly background?: number;
}

/**
 * Tile images into one grid image, row by row.
 *
 * @param images - Images of one size and channel count.
 * @param options - Columns, padding, background.
 * @returns The grid.
 * @throws {@link RuntimeError} `shape-mismatch` for mixed sizes, `invalid-option` for no images.
 * @public
 */
export function imageGrid(images: readonly Image8[], options: GridOptions = {}): Image8 {
  const first = images[0];
  if (!first) throw new RuntimeError('invalid-option', 'Cannot make a grid of 0 images: expected at least one.');
  const cols = options.columns ?? Math.ceil(Math.sqrt(images.length));
  if (!Number.isSafeInteger(cols) || cols < 1)
    throw new RuntimeError('invalid-option', `Invalid columns ${String(options.columns)}: expected an integer >= 1.`);
  const pad = options.padding ?? 2;
  const rows = Math.ceil(images.length / cols);
  const { width: w, height: h, channels: c } = first;
  const W = cols * w + (cols + 1) * pad;
  const H = rows * h + (rows + 1) * pad;
  const data = new Uint8Array(W * H * c).fill(options.background ?? 255);
  images.forEach((img, k) => {
    if (img.width !== w || img.height !== h || img.channels !== c) {
      throw new RuntimeError(
        'shape-mismatch',
        `Image ${k} is ${img.width}×${img.height}×${img.channels} ` + `but image 0 is ${w}×${h}×${c}.`,
      );
    }
    const ox = pad + (k % cols) * (w + pad);
    const oy = pad + Math.floor(k / cols) * (h + pad);
    for (let y = 0; y < h; y++) data.set(img.data.subarray(y * w * c, (y + 1) * w * c), ((oy + y) * W + ox) * c);
  });
  return { width: W, height: H, channels: c, data };
}
