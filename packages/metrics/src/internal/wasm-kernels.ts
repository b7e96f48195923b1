import { assemble, type Code, I32, op, V128 } from './wasm-asm.js';

/**
 * The package's WebAssembly SIMD (f64x2) kernels, assembled at load time from the code below:
 * a 4×4 register-blocked matrix-product micro-kernel over packed panels, and the fused
 * rank-2-update + matrix-vector sweep of the Householder tridiagonalisation. Plain float64
 * arithmetic (no fused multiply-add), so results are IEEE float64 like the JavaScript loops,
 * up to summation order. Falls back to `null` where WebAssembly or its SIMD is unavailable
 * (then the callers use their JavaScript loops). Internal to the package.
 */

/** A kernel's body and its locals beyond the parameters (i32 first, then v128). */
interface KernelCode {
  readonly body: number[];
  readonly i32: number;
  readonly v128: number;
}

/** Bytes of a wasm page. @internal */
export const PAGE = 65536;

/**
 * `gemm(pa, pb, kc, nsi, nsj, c, ldc, upper)`: for strips si < nsi, sj < nsj (when `upper`,
 * only si ≤ sj) the 4×4 tile C[4si.., 4sj..] += Σ_{p<kc} A[si][p] ⊗ B[sj][p], where a packed
 * strip holds kc rows of 4 float64 (strip s at byte s·32·kc) and C is row-major with `ldc` bytes
 * a row. Byte addresses throughout.
 */
function gemmKernel(): KernelCode {
  const [pa0, pb0, kc, nsi, nsj, c, ldc, upper] = [0, 1, 2, 3, 4, 5, 6, 7];
  let l = 8;
  const sj = l++;
  const si = l++;
  const pa = l++;
  const pb = l++;
  const pbEnd = l++;
  const ct = l++;
  const sbytes = l++;
  const siEnd = l++;
  const acc = l; // 8 v128: rows r = 0..3, halves q = 0..1
  const b0 = acc + 8;
  const b1 = b0 + 1;
  const av = b1 + 1;
  const g = op.get;
  const s = op.set;
  const body: number[] = [];
  const e = (...xs: Code[]): void => {
    for (const x of xs) body.push(...x);
  };
  e(g(kc), op.i32(5), op.shl, s(sbytes));
  e(op.i32(0), s(sj));
  e(op.block, op.loop);
  e(g(sj), g(nsj), op.geU, op.brIf(1));
  // siEnd = upper ? min(nsi, sj + 1) : nsi
  e(g(nsi), s(siEnd));
  e(g(upper), op.if, g(sj), op.i32(1), op.add, g(nsi), op.ltU, op.if, g(sj), op.i32(1), op.add, s(siEnd), op.end, op.end);
  e(op.i32(0), s(si));
  e(op.block, op.loop);
  e(g(si), g(siEnd), op.geU, op.brIf(1));
  for (let r = 0; r < 8; r++) e(op.vZero, s(acc + r));
  e(g(pa0), g(si), g(sbytes), op.mul, op.add, s(pa));
  e(g(pb0), g(sj), g(sbytes), op.mul, op.add, op.tee(pb), g(sbytes), op.add, s(pbEnd));
  e(op.block, op.loop);
  e(g(pb), g(pbEnd), op.geU, op.brIf(1));
  e(g(pb), op.vLoad(0), s(b0), g(pb), op.vLoad(16), s(b1));
  for (let r = 0; r < 4; r++) {
    e(g(pa), op.vLoadSplat(8 * r), op.tee(av), g(b0), op.vMul, g(acc + 2 * r), op.vAdd, s(acc + 2 * r));
    e(g(av), g(b1), op.vMul, g(acc + 2 * r + 1), op.vAdd, s(acc + 2 * r + 1));
  }
  e(g(pa), op.i32(32), op.add, s(pa), g(pb), op.i32(32), op.add, s(pb));
  e(op.br(0), op.end, op.end);
  // ct = c + 4·si·ldc + 32·sj
  e(g(c), g(si), op.i32(2), op.shl, g(ldc), op.mul, op.add, g(sj), op.i32(5), op.shl, op.add, s(ct));
  for (let r = 0; r < 4; r++) {
    e(g(ct), g(ct), op.vLoad(0), g(acc + 2 * r), op.vAdd, op.vStore(0));
    e(g(ct), g(ct), op.vLoad(16), g(acc + 2 * r + 1), op.vAdd, op.vStore(16));
    if (r < 3) e(g(ct), g(ldc), op.add, s(ct));
  }
  e(g(si), op.i32(1), op.add, s(si), op.br(0), op.end, op.end);
  e(g(sj), op.i32(1), op.add, s(sj), op.br(0), op.end, op.end);
  return { body, i32: l - 8, v128: 11 };
}

/**
 * `sweep(a, ld, j0, i0, i1, v, w, vn, pn)`: for row quads i = i0, i0 + 4, … (i + 3 < i1) and
 * columns j0 ≤ j < i of the row-major matrix a (`ld` bytes a row):
 * x = a[i][j] − v[i]·w[j] − w[i]·v[j] is stored back, pn[j] += Σ_rows x·vn[i] and
 * pn[i] += Σ_j x·vn[j]. The diagonal 4×4 blocks of the quads are left to the caller. Byte
 * addresses; j0 is a byte offset too.
 */
function sweepKernel(rows: number): KernelCode {
  const [a, ld, j0, i0, i1, v, w, vn, pn] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  let l = 9;
  const i = l++;
  const j = l++;
  const jEnd = l++;
  const rowPtr = l;
  l += rows;
  const nI32 = l - 9;
  const vi = l; // v128 locals
  const wi = vi + rows;
  const vni = wi + rows;
  const acc = vni + rows;
  const W = acc + rows;
  const V = W + 1;
  const VN = V + 1;
  const PN = VN + 1;
  const X = PN + 1;
  const nV = X + 1 - vi;
  const g = op.get;
  const s = op.set;
  const body: number[] = [];
  const e = (...xs: Code[]): void => {
    for (const x of xs) body.push(...x);
  };
  e(g(i0), s(i));
  e(op.block, op.loop);
  // while i + rows ≤ i1
  e(g(i), op.i32(rows), op.add, g(i1), op.gtU, op.brIf(1));
  for (let r = 0; r < rows; r++) {
    // rowPtr_r = a + (i + r)·ld ; splats of v[i+r], w[i+r], vn[i+r]
    e(g(a), g(i), op.i32(r), op.add, g(ld), op.mul, op.add, s(rowPtr + r));
    e(g(v), g(i), op.i32(3), op.shl, op.add, op.vLoadSplat(8 * r), s(vi + r));
    e(g(w), g(i), op.i32(3), op.shl, op.add, op.vLoadSplat(8 * r), s(wi + r));
    e(g(vn), g(i), op.i32(3), op.shl, op.add, op.vLoadSplat(8 * r), s(vni + r));
    e(op.vZero, s(acc + r));
  }
  // jEnd = 8·i ; pairs while j + 16 ≤ jEnd
  e(g(i), op.i32(3), op.shl, s(jEnd));
  e(g(j0), s(j));
  e(op.block, op.loop);
  e(g(j), op.i32(16), op.add, g(jEnd), op.gtU, op.brIf(1));
  e(g(w), g(j), op.add, op.vLoad(0), s(W));
  e(g(v), g(j), op.add, op.vLoad(0), s(V));
  e(g(vn), g(j), op.add, op.vLoad(0), s(VN));
  e(g(pn), g(j), op.add, op.vLoad(0), s(PN));
  for (let r = 0; r < rows; r++) {
    e(g(rowPtr + r), g(j), op.add);
    e(g(rowPtr + r), g(j), op.add, op.vLoad(0), g(vi + r), g(W), op.vMul, op.vSub, g(wi + r), g(V), op.vMul, op.vSub, op.tee(X));
    e(op.vStore(0));
    e(g(X), g(VN), op.vMul, g(acc + r), op.vAdd, s(acc + r));
    e(g(X), g(vni + r), op.vMul, g(PN), op.vAdd, s(PN));
  }
  e(g(pn), g(j), op.add, g(PN), op.vStore(0));
  e(g(j), op.i32(16), op.add, s(j));
  e(op.br(0), op.end, op.end);
  // odd tail: one column, scalar f64 (the splats' lane 0)
  e(g(j), g(jEnd), op.ltU, op.if);
  for (let r = 0; r < rows; r++) {
    // x = a − vi·w − wi·v  (f64)
    e(g(rowPtr + r), g(j), op.add);
    e(g(rowPtr + r), g(j), op.add, op.f64Load(0));
    e(g(vi + r), op.vLane(0), g(w), g(j), op.add, op.f64Load(0), op.f64Mul, op.f64Sub);
    e(g(wi + r), op.vLane(0), g(v), g(j), op.add, op.f64Load(0), op.f64Mul, op.f64Sub);
    e(op.f64Store(0));
  }
  // pn[j] += Σ x_r·vn_r
  e(g(pn), g(j), op.add);
  e(g(pn), g(j), op.add, op.f64Load(0));
  for (let r = 0; r < rows; r++) {
    e(g(rowPtr + r), g(j), op.add, op.f64Load(0), g(vni + r), op.vLane(0), op.f64Mul, op.f64Add);
  }
  e(op.f64Store(0));
  // pn[i + r] += x_r·vn[j] (scalar, straight into the row sums)
  for (let r = 0; r < rows; r++) {
    e(g(pn), g(i), op.i32(3), op.shl, op.add);
    e(g(pn), g(i), op.i32(3), op.shl, op.add, op.f64Load(8 * r));
    e(g(rowPtr + r), g(j), op.add, op.f64Load(0), g(vn), g(j), op.add, op.f64Load(0), op.f64Mul, op.f64Add);
    e(op.f64Store(8 * r));
  }
  e(op.end);
  // pn[i + r] += lane0(acc_r) + lane1(acc_r)
  for (let r = 0; r < rows; r++) {
    e(g(pn), g(i), op.i32(3), op.shl, op.add);
    e(g(pn), g(i), op.i32(3), op.shl, op.add, op.f64Load(8 * r));
    e(g(acc + r), op.vLane(0), g(acc + r), op.vLane(1), op.f64Add, op.f64Add);
    e(op.f64Store(8 * r));
  }
  e(g(i), op.i32(rows), op.add, s(i), op.br(0), op.end, op.end);
  return { body, i32: nI32, v128: nV };
}

/** The kernels of one instance, bound to its memory. @internal */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly gemm: (pa: number, pb: number, kc: number, nsi: number, nsj: number, c: number, ldc: number, upper: number) => void;
  readonly sweep: (a: number, ld: number, j0: number, i0: number, i1: number, v: number, w: number, vn: number, pn: number) => void;
}

/** Rows per quad of the sweep kernel. @internal */
export const SWEEP_ROWS = 4;

let compiled: WebAssembly.Module | null | undefined;
let forceJs = false;

function build(): Uint8Array<ArrayBuffer> {
  const gk = gemmKernel();
  const sk = sweepKernel(SWEEP_ROWS);
  return assemble([
    {
      name: 'gemm',
      params: 8,
      locals: [
        [gk.i32, I32],
        [gk.v128, V128],
      ],
      body: gk.body,
    },
    {
      name: 'sweep',
      params: 9,
      locals: [
        [sk.i32, I32],
        [sk.v128, V128],
      ],
      body: sk.body,
    },
  ]);
}

function module(): WebAssembly.Module | null {
  if (forceJs) return null;
  if (compiled === undefined) {
    compiled = null;
    try {
      if (typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function') {
        const bytes = build();
        if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
      }
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Instantiate the kernels over a fresh memory of at least `bytes` bytes, or `null` when
 * WebAssembly SIMD is unavailable (or disabled by {@link setWasmEnabled}).
 *
 * @internal
 */
export function instantiateKernels(bytes: number): WasmKernels | null {
  const m = module();
  if (m === null) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const inst = new WebAssembly.Instance(m, { env: { mem: memory } });
    const ex = inst.exports as unknown as Omit<WasmKernels, 'memory'>;
    return { memory, gemm: ex.gemm, sweep: ex.sweep };
  } catch {
    return null;
  }
}

/** Whether the SIMD kernels are in use. @internal */
export function wasmAvailable(): boolean {
  return module() !== null;
}

/**
 * Turn the WebAssembly kernels off (`false`: every routine uses its JavaScript loops) or back on.
 * For tests and benchmarks comparing the two.
 *
 * @internal
 */
export function setWasmEnabled(enabled: boolean): void {
  forceJs = !enabled;
}
