/**
 * The ONNX graph of the block upper triangle of XᵀX, written as protobuf by hand (a few message
 * types of onnx.proto, proto2 wire format, unpacked repeated fields). Internal to the package.
 */

/** Rows of XᵀX per output block. @internal */
export const GRAM_BLOCK = 256;

function varint(value: number): number[] {
  // non-negative safe integers only
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const key = (field: number, wire: number): number[] => varint(field * 8 + wire);
const int = (field: number, v: number): number[] => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: ArrayLike<number>): number[] => [...key(field, 2), ...varint(b.length), ...Array.from(b)];
/** ASCII names only (the graph's own). */
const str = (field: number, s: string): number[] =>
  bytes(
    field,
    Array.from(s, (ch) => ch.charCodeAt(0) & 0x7f),
  );
const msg = (field: number, body: number[]): number[] => bytes(field, body);

const DOUBLE = 11;
const INT64 = 7;

/** ValueInfoProto of a double tensor; dims are numbers or symbolic names. */
function valueInfo(field: number, name: string, dims: readonly (number | string)[]): number[] {
  const shape = dims.flatMap((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, DOUBLE), ...msg(2, shape)];
  return msg(field, [...str(1, name), ...msg(2, msg(1, tensorType))]);
}

/** A 1-element int64 initializer. */
function scalarInit(name: string, v: number): number[] {
  return msg(5, [...int(1, 1), ...int(2, INT64), ...int(7, v), ...str(8, name)]);
}

function node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: number[] = []): number[] {
  return msg(1, [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(4, op), ...attrs]);
}

/** AttributeProto of type INTS. */
const intsAttr = (name: string, vs: readonly number[]): number[] =>
  msg(5, [...str(1, name), ...int(20, 7), ...vs.flatMap((p) => int(8, p))]);
/** AttributeProto of type INT. */
const intAttr = (name: string, v: number): number[] => msg(5, [...str(1, name), ...int(20, 2), ...int(3, v)]);

/**
 * Model bytes of one streamed chunk update. Inputs: `x` double [rows, d] (the chunk; rows
 * symbolic), `prev` [1, d] (the mean so far), `g` [1, 1] (√(n·rows/(n + rows)), 0 for the first
 * chunk) and `m0` … `m{B−1}`, the co-moment's upper block rows so far. The graph centres the chunk
 * on its mean, appends Chan's step g·(chunk mean − prev) as one more row (so the product carries
 * the correction), and outputs `mean` [1, d] (the chunk's mean) and `y0` … `y{B−1}` = m + the
 * product's block rows: block i is rows i·{@link GRAM_BLOCK} … of the product from column
 * i·GRAM_BLOCK on (double [bi, d − i·GRAM_BLOCK]). The outputs are fed back as the next `m`, so
 * the co-moment stays in the runtime. Opset 13: ReduceMean, Sub, Mul, Concat, Slice, Transpose,
 * MatMul, Add.
 *
 * @internal
 */
export function gramModel(d: number): Uint8Array {
  const graph: number[] = [];
  const nBlocks = Math.ceil(d / GRAM_BLOCK);
  graph.push(...scalarInit('axis0', 0), ...scalarInit('axis1', 1), ...scalarInit('end', d));
  graph.push(...node('ReduceMean', ['x'], ['mean'], [...intsAttr('axes', [0]), ...intAttr('keepdims', 1)]));
  graph.push(...node('Sub', ['x', 'mean'], ['xc']));
  graph.push(...node('Sub', ['mean', 'prev'], ['dm']));
  graph.push(...node('Mul', ['dm', 'g'], ['ex']));
  graph.push(...node('Concat', ['xc', 'ex'], ['xa'], intAttr('axis', 0)));
  graph.push(...node('Transpose', ['xa'], ['xat'], intsAttr('perm', [1, 0])));
  const inputs: number[] = [...valueInfo(11, 'x', ['rows', d]), ...valueInfo(11, 'prev', [1, d]), ...valueInfo(11, 'g', [1, 1])];
  const outputs: number[] = [...valueInfo(12, 'mean', [1, d])];
  for (let i = 0; i < nBlocks; i++) {
    const i0 = i * GRAM_BLOCK;
    const i1 = Math.min(d, i0 + GRAM_BLOCK);
    graph.push(...scalarInit(`s${i}`, i0), ...scalarInit(`e${i}`, i1));
    graph.push(...node('Slice', ['xat', `s${i}`, 'end', 'axis0'], [`xt${i}`]));
    graph.push(...node('Slice', ['xa', `s${i}`, `e${i}`, 'axis1'], [`xl${i}`]));
    graph.push(...node('MatMul', [`xt${i}`, `xl${i}`], [`p${i}`]));
    graph.push(...node('Add', [`m${i}`, `p${i}`], [`y${i}`]));
    inputs.push(...valueInfo(11, `m${i}`, [d - i0, i1 - i0]));
    outputs.push(...valueInfo(12, `y${i}`, [d - i0, i1 - i0]));
  }
  graph.push(...str(2, 'gram'));
  graph.push(...inputs, ...outputs);
  const model = [...int(1, 7), ...str(2, '@flexiffusion/metrics'), ...msg(7, graph), ...msg(8, [...str(1, ''), ...int(2, 13)])];
  return new Uint8Array(model);
}
