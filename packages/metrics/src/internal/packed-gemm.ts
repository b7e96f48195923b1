import { instantiateKernels, PAGE, type WasmKernels, wasmAvailable } from './wasm-kernels.js';

/**
 * Matrix products on the WebAssembly SIMD micro-kernel: operands are packed (by the caller's
 * pack function) into strips of 4 rows × KC reduction steps in the kernels' memory, the result
 * is accumulated block by block. Internal to the package.
 */

/** Reduction steps per packed chunk. @internal */
export const KC = 256;
/** Result rows per block (a multiple of 4). */
const MB = 128;
/** Result columns per block (a multiple of MB). */
const NB = 2048;

/**
 * An operand of {@link packedGemm}: `rows` output indices over the reduction. `pack` writes the
 * strips of rows [r0, r1) (r0 a multiple of 4; rows ≥ `rows` and the padding up to a multiple of
 * 4 as zeros) for reduction steps [k0, k1) into `dst` from element `at` on: strip t holds, for
 * each step p, the 4 values of rows r0 + 4t … r0 + 4t + 3 (`dst[at + (t·(k1 − k0) + p − k0)·4 + q]`).
 *
 * @internal
 */
export interface PackedOperand {
  readonly rows: number;
  pack(dst: Float64Array, at: number, r0: number, r1: number, k0: number, k1: number): void;
}

/**
 * Where {@link packedGemm} accumulates: a row-major array (`ld` values a row, from `offset`).
 * With `resident`, `data` is a view of those kernels' memory and the product is accumulated in
 * place (no copies); the packed operands then go at element `scratchAt` of that memory (see
 * {@link packedScratchSize}). Otherwise blocks are copied through a shared scratch memory.
 *
 * @internal
 */
export interface GemmTarget {
  readonly data: Float64Array;
  readonly offset: number;
  readonly ld: number;
  readonly resident?: { readonly kern: WasmKernels; readonly scratchAt: number };
}

/** Options of {@link packedGemm}. @internal */
export interface PackedGemmOptions {
  /** Only the result's upper triangle is wanted (m = n); 4×4 tiles on the diagonal are whole. */
  readonly upper?: boolean;
  /** A's row i is zero at reduction steps p < i: chunks [k0, k1) skip rows ≥ k1. */
  readonly aUpper?: boolean;
  /** B's row j is zero at steps p < j: chunks skip columns ≥ k1. */
  readonly bUpper?: boolean;
}

const round4 = (x: number): number => (x + 3) & ~3;

let shared: WasmKernels | null | undefined;

/** The shared scratch kernels with at least `bytes` of memory, or null without WebAssembly SIMD. */
function scratch(bytes: number): WasmKernels | null {
  if (!wasmAvailable()) return null;
  if (shared === undefined) shared = instantiateKernels(bytes);
  if (shared === null) return null;
  const have = shared.memory.buffer.byteLength;
  if (have < bytes) shared.memory.grow(Math.ceil((bytes - have) / PAGE));
  return shared;
}

/**
 * C (m×n) += A · Bᵀ over k reduction steps, with C[i][j] += Σ_p A(i, p)·B(j, p), A and B given
 * by their pack functions (`b` = `'same'` for A · Aᵀ: one pack serves both sides). Returns false
 * (and does nothing) when the WebAssembly kernels are unavailable.
 *
 * @internal
 */
export function packedGemm(
  c: GemmTarget,
  m: number,
  n: number,
  k: number,
  a: PackedOperand,
  b: PackedOperand | 'same',
  options: PackedGemmOptions = {},
): boolean {
  const upper = options.upper === true;
  const same = b === 'same';
  const bOp = same ? a : b;
  const nbMax = Math.min(NB, round4(n));
  const kc = Math.min(KC, k);
  const res = c.resident;
  // memory (float64 elements): B pack (nbMax × kc), A pack (MB × kc), C block (MB × nbMax)
  const bAt = res === undefined ? 0 : res.scratchAt;
  const aAt = bAt + nbMax * kc;
  const cAt = aAt + MB * kc;
  const kern = res === undefined ? scratch((cAt + MB * nbMax) * 8) : res.kern;
  if (kern === null) return false;
  const mem = new Float64Array(kern.memory.buffer);
  const cd = c.data;
  const ldC = c.ld;
  // element index of C[0][0] in the kernels' memory when resident
  const cBase = res === undefined ? 0 : cd.byteOffset / 8 + c.offset;
  for (let k0 = 0; k0 < k; k0 += kc) {
    const k1 = Math.min(k, k0 + kc);
    const kk = k1 - k0;
    const mEff = options.aUpper === true ? Math.min(m, k1) : m;
    const nEff = options.bUpper === true ? Math.min(n, k1) : n;
    for (let j0 = 0; j0 < nEff; j0 += NB) {
      const j1 = Math.min(nEff, j0 + NB);
      bOp.pack(mem, bAt, j0, j1, k0, k1);
      // upper: rows at or below the block's last column are not needed
      const iStop = upper ? Math.min(mEff, j1) : mEff;
      for (let i0 = 0; i0 < iStop; i0 += MB) {
        const i1 = Math.min(iStop, i0 + MB);
        // a row block on the diagonal (upper only) needs the columns from its first row on
        const diag = upper && i0 >= j0;
        const cs = diag ? i0 : j0;
        const nsi = round4(i1 - i0) >> 2;
        const nsj = round4(j1 - cs) >> 2;
        let aPtr: number;
        if (same && i0 >= j0 && i0 < j1) {
          // its strips are in the B pack already
          aPtr = (bAt + ((i0 - j0) >> 2) * kk * 4) * 8;
        } else {
          a.pack(mem, aAt, i0, i1, k0, k1);
          aPtr = aAt * 8;
        }
        const bPtr = (bAt + ((cs - j0) >> 2) * kk * 4) * 8;
        if (res !== undefined) {
          // in place: tiles past the last row or column add exact zeros (the packs are zero-padded)
          kern.gemm(aPtr, bPtr, kk, nsi, nsj, (cBase + i0 * ldC + cs) * 8, ldC * 8, diag ? 1 : 0);
          continue;
        }
        const ldc = nsj * 4;
        for (let i = i0; i < i1; i++) {
          const src = c.offset + i * ldC + cs;
          mem.set(cd.subarray(src, src + (j1 - cs)), cAt + (i - i0) * ldc);
        }
        kern.gemm(aPtr, bPtr, kk, nsi, nsj, cAt * 8, ldc * 8, diag ? 1 : 0);
        for (let i = i0; i < i1; i++) {
          const at = cAt + (i - i0) * ldc;
          cd.set(mem.subarray(at, at + (j1 - cs)), c.offset + i * ldC + cs);
        }
      }
    }
  }
  return true;
}

/**
 * Elements of scratch {@link packedGemm} needs after a resident target, for n result columns.
 *
 * @internal
 */
export function packedScratchSize(n: number): number {
  return (Math.min(NB, round4(n)) + MB) * KC + MB * Math.min(NB, round4(n));
}

/**
 * A row-major m×k matrix as an operand: A(i, p) = x[i·k + p].
 *
 * @internal
 */
export function rowMajorOperand(x: Float64Array, rows: number, k: number): PackedOperand {
  return {
    rows,
    pack(dst, at, r0, r1, k0, k1) {
      const kk = k1 - k0;
      const end = round4(r1 - r0) + r0;
      for (let r = r0; r < end; r += 4) {
        const base = at + ((r - r0) >> 2) * kk * 4;
        for (let q = 0; q < 4; q++) {
          const row = r + q;
          if (row < rows) {
            const o = row * k;
            for (let p = k0; p < k1; p++) dst[base + (p - k0) * 4 + q] = x[o + p]!;
          } else {
            for (let p = 0; p < kk; p++) dst[base + p * 4 + q] = 0;
          }
        }
      }
    },
  };
}
