import { RuntimeError, imageGrid, samplesToImages, type GridOptions, type Image8, type ToImageOptions } from '@flexiffusion/runtime';

/**
 * Options of {@link samplesToImageData} and {@link drawSamples}.
 *
 * @public
 */
export interface CanvasImageOptions extends ToImageOptions {
  /** Integer upscaling, nearest neighbour (default 1): a 28×28 sample at scale 4 is 112×112 pixels. */
  readonly scale?: number;
}

/**
 * Options of {@link drawSamples}: pixels ({@link CanvasImageOptions}) and the grid layout.
 *
 * @public
 */
export interface DrawSamplesOptions extends CanvasImageOptions, GridOptions {}

/** The part of `ImageData` these helpers produce (an `ImageData` is one). @public */
export interface RgbaImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width · height · 4` bytes, RGBA, rows top to bottom. */
  readonly data: Uint8ClampedArray;
}

/** A 2D canvas context, on-screen or off-screen, as far as {@link drawSamples} uses it. @public */
export interface Canvas2DLike {
  /** Canvas width; set to fit the grid. */
  width: number;
  /** Canvas height; set to fit the grid. */
  height: number;
  /** The 2D context. */
  getContext(kind: '2d'): {
    /** Paint image data at (dx, dy). */
    putImageData(image: ImageData, dx: number, dy: number): void;
  } | null;
}

function checkScale(scale: number | undefined): number {
  const s = scale ?? 1;
  if (!Number.isSafeInteger(s) || s < 1 || s > 64)
    throw new RuntimeError('invalid-option', `Invalid scale ${String(scale)}: expected an integer 1..64.`);
  return s;
}

/**
 * Expand an 8-bit image (grey, RGB or RGBA) to RGBA, upscaled by an integer factor (nearest
 * neighbour), as `ImageData` wants it. Pure: works where there is no DOM.
 *
 * @param image - The image (e.g. from `samplesToImages` of `@flexiffusion/runtime`).
 * @param scale - Integer upscaling factor (default 1).
 * @returns Width, height and RGBA bytes.
 * @throws {@link RuntimeError} `invalid-option` for a bad scale, `shape-mismatch` for data of the wrong length.
 * @example
 * ```ts
 * const rgba = imageToRgba({ width: 1, height: 1, channels: 1, data: Uint8Array.of(128) }, 2);
 * rgba.data.length; // 2 × 2 × 4
 * ```
 * @public
 */
export function imageToRgba(image: Image8, scale = 1): RgbaImage {
  const s = checkScale(scale);
  const { width: w, height: h, channels: c, data } = image;
  if (data.length !== w * h * c || (c !== 1 && c !== 3 && c !== 4)) {
    throw new RuntimeError(
      'shape-mismatch',
      `An image of ${w}×${h}×${c} needs ${w * h * c} bytes (1, 3 or 4 channels), got ${data.length}.`,
    );
  }
  const W = w * s;
  const H = h * s;
  const out = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    const sy = Math.floor(y / s);
    for (let x = 0; x < W; x++) {
      const i = (sy * w + Math.floor(x / s)) * c;
      const o = (y * W + x) * 4;
      if (c === 1) {
        out[o] = out[o + 1] = out[o + 2] = data[i]!;
        out[o + 3] = 255;
      } else {
        out[o] = data[i]!;
        out[o + 1] = data[i + 1]!;
        out[o + 2] = data[i + 2]!;
        out[o + 3] = c === 4 ? data[i + 3]! : 255;
      }
    }
  }
  return { width: W, height: H, data: out };
}

function newImageData(rgba: RgbaImage): ImageData {
  const Ctor = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  if (!Ctor)
    throw new RuntimeError('unsupported', 'There is no ImageData here (not a browser or worker): use imageToRgba for the raw RGBA bytes.');
  return new Ctor(rgba.data as Uint8ClampedArray<ArrayBuffer>, rgba.width, rgba.height);
}

/**
 * Turn samples [N, C, H, W] into one `ImageData` per sample, with the model's value range and
 * crop (a model's `imageOptions`).
 *
 * @param samples - Sample values, NCHW (e.g. `generate()`'s `samples`).
 * @param shape - [N, C, H, W].
 * @param options - `range` (default [-1, 1]), `crop`, `scale`.
 * @returns N `ImageData`s.
 * @throws {@link RuntimeError} `shape-mismatch`, `invalid-option`, `unsupported` where there is no `ImageData`.
 * @example
 * ```ts
 * const [first] = samplesToImageData(result.samples, result.shape, { ...model.imageOptions, scale: 4 });
 * canvas.getContext('2d')!.putImageData(first, 0, 0);
 * ```
 * @public
 */
export function samplesToImageData(samples: Float32Array, shape: readonly number[], options: CanvasImageOptions = {}): ImageData[] {
  const s = checkScale(options.scale);
  return samplesToImages(samples, shape, options).map((img) => newImageData(imageToRgba(img, s)));
}

/**
 * Draw samples as a grid on a canvas (an `HTMLCanvasElement` or `OffscreenCanvas`), resizing the
 * canvas to fit.
 *
 * @param canvas - The canvas.
 * @param samples - Sample values, NCHW.
 * @param shape - [N, C, H, W].
 * @param options - `range`, `crop`, `scale` (applied per image), `columns`, `padding` (in sample
 *   pixels, scaled too), `background` (0..255).
 * @returns The canvas.
 * @throws {@link RuntimeError} `shape-mismatch`, `invalid-option`, `unsupported` (no 2D context or no `ImageData`).
 * @example
 * ```ts
 * drawSamples(document.querySelector('canvas')!, samples, shape, { ...model.imageOptions, scale: 3, columns: 8 });
 * ```
 * @public
 */
export function drawSamples<T extends Canvas2DLike>(
  canvas: T,
  samples: Float32Array,
  shape: readonly number[],
  options: DrawSamplesOptions = {},
): T {
  const s = checkScale(options.scale);
  const grid = imageGrid(samplesToImages(samples, shape, options), {
    ...(options.columns !== undefined ? { columns: options.columns } : {}),
    ...(options.padding !== undefined ? { padding: options.padding } : {}),
    ...(options.background !== undefined ? { background: options.background } : {}),
  });
  const image = newImageData(imageToRgba(grid, s));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new RuntimeError('unsupported', 'The canvas has no 2D context (is another context already in use?).');
  canvas.width = image.width;
  canvas.height = image.height;
  ctx.putImageData(image, 0, 0);
  return canvas;
}
