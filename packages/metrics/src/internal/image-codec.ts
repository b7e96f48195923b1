import type { ImageDims } from '../preprocess.js';

/** The 8 magic bytes that start encoded images. */
const IMG_MAGIC = 'FLXIMGS1';

/**
 * Images as cache bytes: `FLXIMGS1`, the four dims as little-endian uint32, then the float32
 * values little-endian.
 *
 * @internal
 */
export function encodeImages(data: Float32Array, dims: ImageDims): Uint8Array {
  const out = new Uint8Array(24 + data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = IMG_MAGIC.charCodeAt(i);
  dims.forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  for (let i = 0; i < data.length; i++) view.setFloat32(24 + 4 * i, data[i]!, true);
  return out;
}

/**
 * The images of {@link encodeImages}, or `undefined` for bytes that are not a well-formed, finite
 * entry (the caller then recomputes).
 *
 * @internal
 */
export function decodeImages(bytes: Uint8Array): { data: Float32Array; dims: ImageDims } | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 24) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== IMG_MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [0, 1, 2, 3].map((i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number];
  const count = dims[0] * dims[1] * dims[2] * dims[3];
  if (count === 0 || bytes.length !== 24 + 4 * count) return undefined;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(24 + 4 * i, true);
  for (let i = 0; i < count; i++) if (!Number.isFinite(data[i]!)) return undefined;
  return { data, dims: Object.freeze(dims) };
}
