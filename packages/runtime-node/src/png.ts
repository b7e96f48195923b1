import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { RuntimeError, imageGrid, samplesToImages, type GridOptions, type Image8, type ToImageOptions } from '@flexiffusion/runtime';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * Encode an 8-bit image as PNG (grey, RGB or RGBA; no filtering, zlib-deflated).
 *
 * @param image - The image.
 * @returns The PNG file's bytes.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `shape-mismatch` when the data length does not match the size.
 * @example
 * ```ts
 * await fs.writeFile('out.png', encodePng({ width: 2, height: 1, channels: 1, data: Uint8Array.of(0, 255) }));
 * ```
 * @public
 */
export function encodePng(image: Image8): Uint8Array {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels || width < 1 || height < 1) {
    throw new RuntimeError('shape-mismatch', `Image data of ${data.length} bytes does not match ${width}×${height}×${channels}.`);
  }
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const row = width * channels;
  const raw = new Uint8Array(height * (row + 1));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const idat = new Uint8Array(deflateSync(raw));
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Write an image as a PNG file (creating the folder).
 *
 * @param path - File path.
 * @param image - The image.
 * @returns Resolves when written.
 * @public
 */
export async function writePng(path: string, image: Image8): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodePng(image));
}

/**
 * Options of {@link saveSamplesAsPng} and {@link saveImageGrid}.
 *
 * @public
 */
export interface SaveImagesOptions extends ToImageOptions {
  /** File name prefix (default `sample-`); files are `<prefix><index>.png`, index zero-padded. */
  readonly prefix?: string;
  /** Index of the first sample (default 0), for naming batches of a stream. */
  readonly startIndex?: number;
}

/**
 * Write samples [N, C, H, W] as one PNG per sample.
 *
 * @param dir - Output folder (created).
 * @param samples - Sample values.
 * @param shape - [N, C, H, W].
 * @param options - Value range (default [-1, 1]), crop, prefix, start index.
 * @returns The written paths.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `shape-mismatch`.
 * @example
 * ```ts
 * const { samples, shape } = await model.generate({ schedule: 'F P0 N', labels: [0, 1] });
 * await saveSamplesAsPng('out', samples, shape, model.imageOptions);
 * ```
 * @public
 */
export async function saveSamplesAsPng(
  dir: string,
  samples: Float32Array,
  shape: readonly number[],
  options: SaveImagesOptions = {},
): Promise<string[]> {
  const images = samplesToImages(samples, shape, options);
  await mkdir(dir, { recursive: true });
  const start = options.startIndex ?? 0;
  const width = Math.max(4, String(start + images.length - 1).length);
  const paths: string[] = [];
  for (let i = 0; i < images.length; i++) {
    const p = join(dir, `${options.prefix ?? 'sample-'}${String(start + i).padStart(width, '0')}.png`);
    await writeFile(p, encodePng(images[i]!));
    paths.push(p);
  }
  return paths;
}

/**
 * Write samples [N, C, H, W] as one PNG grid.
 *
 * @param path - Output file.
 * @param samples - Sample values.
 * @param shape - [N, C, H, W].
 * @param options - Range, crop, columns, padding, background.
 * @returns Resolves when written.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `shape-mismatch`, `invalid-option`.
 * @public
 */
export async function saveImageGrid(
  path: string,
  samples: Float32Array,
  shape: readonly number[],
  options: ToImageOptions & GridOptions = {},
): Promise<void> {
  await writePng(path, imageGrid(samplesToImages(samples, shape, options), options));
}
