import { Tensor } from 'onnxruntime-common';
import { RuntimeError } from '../errors.js';

/** A tensor of one scalar repeated `n` times, of the given element type. */
export function filledTensor(type: string, value: number, n: number): Tensor {
  switch (type) {
    case 'int64':
      return new Tensor('int64', new BigInt64Array(n).fill(BigInt(Math.round(value))), [n]);
    case 'int32':
      return new Tensor('int32', new Int32Array(n).fill(Math.round(value)), [n]);
    case 'float32':
      return new Tensor('float32', new Float32Array(n).fill(value), [n]);
    case 'float16':
      return new Tensor('float16', new Uint16Array(n).fill(toHalf(value)), [n]);
    default:
      throw new RuntimeError(
        'unsupported',
        `Unsupported timestep type ${JSON.stringify(type)}. Should be one of: "int64", "int32", "float32", "float16".`,
      );
  }
}

/** A tensor from integer values (labels, token ids). */
export function intTensor(type: string, values: ArrayLike<number>, dims: readonly number[]): Tensor {
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
  if (type === 'int32') return new Tensor('int32', Int32Array.from(values), dims);
  throw new RuntimeError('unsupported', `Unsupported integer input type ${JSON.stringify(type)}. Should be one of: "int64", "int32".`);
}

/** A float tensor of the given element type (float32 or float16) from float32 data. */
export function floatTensor(type: string, data: Float32Array, dims: readonly number[]): Tensor {
  if (type === 'float32') return new Tensor('float32', data, dims);
  if (type === 'float16') {
    const h = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) h[i] = toHalf(data[i]!);
    return new Tensor('float16', h, dims);
  }
  throw new RuntimeError('unsupported', `Unsupported float input type ${JSON.stringify(type)}. Should be one of: "float32", "float16".`);
}

/**
 * Release tensors that live in device memory (`location` other than `cpu` / `cpu-pinned`, e.g. an
 * onnxruntime-web `gpu-buffer` output); host tensors are left alone, since `dispose()` would drop
 * their data. Safe to call more than once on the same tensor.
 */
export function releaseDeviceTensors(tensors: Iterable<Tensor | null | undefined>): void {
  for (const t of tensors) {
    if (t && t.location !== undefined && t.location !== 'cpu' && t.location !== 'cpu-pinned' && t.location !== 'none') t.dispose();
  }
}

/** Read a float tensor (float32 or float16) as Float32Array. */
export async function readFloat32(t: Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' || t.location === undefined ? t.data : await t.getData();
  if (data instanceof Float32Array) return data;
  if (t.type === 'float16') {
    const src = data as unknown as ArrayLike<number>;
    const out = new Float32Array(src.length);
    if (src instanceof Uint16Array) for (let i = 0; i < src.length; i++) out[i] = fromHalf(src[i]!);
    else for (let i = 0; i < src.length; i++) out[i] = src[i]!;
    return out;
  }
  throw new RuntimeError('unsupported', `Unsupported output type ${JSON.stringify(t.type)}: expected "float32" or "float16".`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits (round to nearest even). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half;
  return sign | e;
}

/** IEEE half bits → number. */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
