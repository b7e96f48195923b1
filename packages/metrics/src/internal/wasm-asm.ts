/**
 * A minimal WebAssembly assembler: just enough of the binary format (one memory, functions of i32
 * parameters, i32/f64/v128 locals, structured control, loads/stores, f64 and f64x2 arithmetic) to
 * write the package's few SIMD kernels as readable code instead of an opaque binary. Internal to
 * the package.
 */

/** Value types. @internal */
export const I32 = 0x7f;
/** @internal */
export const F64 = 0x7c;
/** @internal */
export const V128 = 0x7b;

/** An instruction sequence (bytes). @internal */
export type Code = readonly number[];

/** Unsigned LEB128. @internal */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit). @internal */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) bytes.push(s.charCodeAt(i) & 0x7f);
  return [...uleb(bytes.length), ...bytes];
}

/** A function of a module: i32 parameters, no result, locals as (count, type) runs. @internal */
export interface WasmFunction {
  readonly name: string;
  readonly params: number;
  readonly locals: readonly (readonly [number, number])[];
  readonly body: Code;
}

/**
 * A module with the given functions (each exported under its name) and one imported memory
 * `env.mem`.
 *
 * @internal
 */
export function assemble(funcs: readonly WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0x00])));
  const imports = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, 0x01]]));
  const fns = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exps = section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(
    10,
    vec(
      funcs.map((f) => {
        const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b];
        return [...uleb(body.length), ...body];
      }),
    ),
  );
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...fns, ...exps, ...code]);
}

const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/** Instructions. @internal */
export const op = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  shl: [0x74] as Code,
  divU: [0x6e] as Code,
  ltU: [0x49] as Code,
  geU: [0x4f] as Code,
  gtU: [0x4b] as Code,
  leU: [0x4d] as Code,
  eqz: [0x45] as Code,
  block: [0x02, 0x40] as Code,
  loop: [0x03, 0x40] as Code,
  if: [0x04, 0x40] as Code,
  end: [0x0b] as Code,
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  f64Load: (offset = 0): Code => [0x2b, ...memarg(3, offset)],
  f64Store: (offset = 0): Code => [0x39, ...memarg(3, offset)],
  f64Add: [0xa0] as Code,
  f64Sub: [0xa1] as Code,
  f64Mul: [0xa2] as Code,
  vLoad: (offset = 0): Code => [...simd(0), ...memarg(3, offset)],
  vStore: (offset = 0): Code => [...simd(11), ...memarg(3, offset)],
  vLoadSplat: (offset = 0): Code => [...simd(10), ...memarg(3, offset)],
  vZero: [...simd(12), ...new Array<number>(16).fill(0)] as Code,
  vSplat: simd(20) as Code,
  vLane: (lane: number): Code => [...simd(33), lane],
  vAdd: simd(240) as Code,
  vSub: simd(241) as Code,
  vMul: simd(242) as Code,
};

/** Concatenate instruction sequences. @internal */
export function seq(...parts: readonly Code[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}
