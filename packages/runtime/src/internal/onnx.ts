import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { RuntimeError } from '../errors.js';

export type { GraphProto, ModelProto, NodeProto, ValueInfoProto };

/** ONNX element types by onnxruntime-common type name. */
export const ONNX_ELEMENT_TYPES: Readonly<Record<string, number>> = Object.freeze({
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
});

/** Parse ONNX model bytes. */
export function parseModel(bytes: Uint8Array, what = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw new RuntimeError(
      'invalid-model',
      `Could not parse ${what} as an ONNX ModelProto (${bytes.byteLength} bytes): ${String(cause)}.`,
      {
        cause,
      },
    );
  }
  if (!model.graph) {
    throw new RuntimeError('invalid-model', `The ${what} has no graph: expected an ONNX ModelProto with a graph.`);
  }
  return model;
}

/** Serialize a model. */
export function writeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** The graph of a parsed model (parseModel guarantees one). */
export function graphOf(model: ModelProto): GraphProto {
  return model.graph!;
}

/** The subgraphs held by a node's GRAPH / GRAPHS attributes (If, Loop, Scan bodies). */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const a of node.attribute) {
    if (a.g && (a.type === AttributeProto_AttributeType.GRAPH || a.type === 0)) out.push(a.g);
    if (a.graphs.length > 0) out.push(...a.graphs);
  }
  return out;
}

/**
 * Names a graph reads from its enclosing scope: consumed by its nodes (or nested subgraphs)
 * without being defined inside it (as an input, initializer or node output).
 */
export function outerScopeNames(graph: GraphProto): Set<string> {
  const defined = new Set<string>();
  for (const v of graph.input) defined.add(v.name);
  for (const t of graph.initializer) defined.add(t.name);
  for (const s of graph.sparseInitializer) if (s.values) defined.add(s.values.name);
  for (const n of graph.node) for (const o of n.output) if (o) defined.add(o);
  const outer = new Set<string>();
  for (const n of graph.node) {
    for (const name of nodeInputs(n)) if (!defined.has(name)) outer.add(name);
  }
  for (const v of graph.output) if (!defined.has(v.name)) outer.add(v.name);
  return outer;
}

/** Every tensor name a node consumes: its inputs plus names its subgraphs read from outside. */
export function nodeInputs(node: NodeProto): string[] {
  const names = node.input.filter((n) => n !== '');
  for (const g of subgraphsOf(node)) for (const n of outerScopeNames(g)) names.push(n);
  return names;
}

/** Map from tensor name to the index of the node producing it. */
export function producers(graph: GraphProto): Map<string, number> {
  const m = new Map<string, number>();
  graph.node.forEach((n, i) => {
    for (const o of n.output) if (o) m.set(o, i);
  });
  return m;
}

/** Names of initializers (dense and sparse). */
export function initializerNames(graph: GraphProto): Set<string> {
  const s = new Set<string>();
  for (const t of graph.initializer) s.add(t.name);
  for (const t of graph.sparseInitializer) if (t.values) s.add(t.values.name);
  return s;
}

/**
 * Levenshtein distance (insertions, deletions, substitutions), two rows; stops early once every
 * entry of a row exceeds `limit` (the caller only ranks names within it).
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < best) best = cur[j]!;
    }
    if (best > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * Up to `max` tensor names of the graph nearest to `name` by edit distance (for error messages):
 * a one-character typo comes first. Node outputs and graph inputs are searched; ties go to the
 * longer shared prefix, then alphabetical order.
 */
export function similarNames(graph: GraphProto, name: string, max = 5): string[] {
  const all = new Set<string>();
  for (const v of graph.input) all.add(v.name);
  for (const n of graph.node) for (const o of n.output) if (o) all.add(o);
  const prefix = (s: string): number => {
    let i = 0;
    while (i < s.length && i < name.length && s[i] === name[i]) i++;
    return i;
  };
  const scored: { name: string; d: number; p: number }[] = [];
  let limit = Infinity;
  for (const s of all) {
    const d = editDistance(name, s, limit);
    if (d > limit) continue;
    scored.push({ name: s, d, p: prefix(s) });
    if (scored.length >= max * 4) {
      // keep the list short: drop what can no longer make the top `max`
      scored.sort((x, y) => x.d - y.d || y.p - x.p || x.name.localeCompare(y.name));
      scored.length = max;
      limit = scored[max - 1]!.d;
    }
  }
  scored.sort((x, y) => x.d - y.d || y.p - x.p || x.name.localeCompare(y.name));
  return scored.slice(0, max).map((x) => x.name);
}

/** A ValueInfo with only a name: an output declared without type information. */
export function bareValueInfo(name: string): ValueInfoProto {
  return create(ValueInfoProtoSchema, { name });
}

/** A tensor ValueInfo with an element type and a rank whose dims are all unknown (or `dims`). */
export function tensorValueInfo(
  name: string,
  elemType: number,
  rank: number | null,
  dims?: readonly (number | string | null)[],
): ValueInfoProto {
  const tensor = create(TypeProto_TensorSchema, { elemType });
  if (rank !== null) {
    tensor.shape = create(TensorShapeProtoSchema, {
      dim: Array.from({ length: rank }, (_, i) => {
        const d = dims?.[i];
        if (typeof d === 'number') return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } });
        if (typeof d === 'string') return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: d } });
        return create(TensorShapeProto_DimensionSchema, {});
      }),
    });
  }
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensor } }) });
}

/** The tensor element type declared for a value, or null when undeclared. */
export function declaredElemType(v: ValueInfoProto | undefined): number | null {
  const t = v?.type?.value;
  return t?.case === 'tensorType' && t.value.elemType !== 0 ? t.value.elemType : null;
}

/** Whether a tensor name exists in the graph (input, initializer or node output). */
export function hasTensor(graph: GraphProto, name: string): boolean {
  if (graph.input.some((v) => v.name === name)) return true;
  if (initializerNames(graph).has(name)) return true;
  return producers(graph).has(name);
}

/** Throw `unknown-tensor` for names not in the graph. */
export function checkTensorsExist(graph: GraphProto, names: readonly string[], role: string): void {
  for (const name of names) {
    if (!hasTensor(graph, name)) {
      const near = similarNames(graph, name);
      throw new RuntimeError(
        'unknown-tensor',
        `Unknown ${role} tensor ${JSON.stringify(name)}: the graph has no input, initializer or node output of that name.` +
          (near.length > 0 ? ` Similar names: ${near.map((n) => JSON.stringify(n)).join(', ')}.` : ''),
      );
    }
  }
}

/** The result of {@link extractGraph}. */
export interface Extracted {
  readonly model: ModelProto;
  /** Indices (into the source graph's nodes) of the nodes kept, in order. */
  readonly nodes: readonly number[];
  /** Names of the source graph's inputs still used, in order. */
  readonly inputs: readonly string[];
}

/**
 * Keep only the nodes needed to compute `outputs` when the `cut` tensors are supplied as new graph
 * inputs: walk back from the outputs, stopping at cut tensors, graph inputs and initializers.
 * Subgraph attributes count their outer-scope reads as inputs of their node. Initializers and
 * graph inputs that no kept node consumes are dropped.
 */
export function extractGraph(
  source: ModelProto,
  outputs: readonly string[],
  cut: readonly { readonly name: string; readonly info: ValueInfoProto }[],
): Extracted {
  const graph = graphOf(source);
  checkTensorsExist(graph, outputs, 'output');
  checkTensorsExist(
    graph,
    cut.map((c) => c.name),
    'cut',
  );
  const prod = producers(graph);
  const inits = initializerNames(graph);
  const graphInputs = new Set(graph.input.map((v) => v.name));
  const cutNames = new Set(cut.map((c) => c.name));
  const keep = new Set<number>();
  const usedInputs = new Set<string>();
  const usedInits = new Set<string>();
  const reachedCut = new Set<string>();
  const stack = [...outputs];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (cutNames.has(name)) {
      reachedCut.add(name);
      continue;
    }
    if (inits.has(name)) {
      usedInits.add(name);
      if (graphInputs.has(name)) usedInputs.add(name);
      continue;
    }
    if (graphInputs.has(name)) {
      usedInputs.add(name);
      continue;
    }
    const p = prod.get(name);
    if (p === undefined) {
      throw new RuntimeError('invalid-model', `Tensor ${JSON.stringify(name)} is consumed but no node, input or initializer provides it.`);
    }
    if (keep.has(p)) continue;
    keep.add(p);
    for (const dep of nodeInputs(graph.node[p]!)) stack.push(dep);
  }
  for (const c of cut) {
    if (!reachedCut.has(c.name)) {
      throw new RuntimeError(
        'invalid-cut',
        `Cut tensor ${JSON.stringify(c.name)} is not needed to compute ${outputs.map((o) => JSON.stringify(o)).join(', ')}: ` +
          'a cut point must lie on the path from the inputs to the output.',
      );
    }
  }
  const nodes = [...keep].sort((a, b) => a - b);
  const model = structuredCloneModel(source);
  const g = graphOf(model);
  const produced = new Set<string>();
  for (const i of nodes) for (const o of graph.node[i]!.output) if (o) produced.add(o);
  g.node = nodes.map((i) => g.node[i]!);
  const keptInputs = graph.input.filter((v) => usedInputs.has(v.name)).map((v) => v.name);
  g.input = [...g.input.filter((v) => usedInputs.has(v.name)), ...cut.map((c) => c.info)];
  g.initializer = g.initializer.filter((t) => usedInits.has(t.name));
  g.sparseInitializer = g.sparseInitializer.filter((t) => t.values !== undefined && usedInits.has(t.values.name));
  const outInfo = new Map<string, ValueInfoProto>();
  for (const v of [...g.valueInfo, ...g.output]) outInfo.set(v.name, v);
  g.output = outputs.map((o) => outInfo.get(o) ?? bareValueInfo(o));
  g.valueInfo = g.valueInfo.filter((v) => produced.has(v.name) && !outputs.includes(v.name));
  return { model, nodes, inputs: keptInputs };
}

/** Add graph outputs (declared without type information unless already declared somewhere). */
export function withOutputs(source: ModelProto, names: readonly string[]): ModelProto {
  const graph = graphOf(source);
  checkTensorsExist(graph, names, 'output');
  const model = structuredCloneModel(source);
  const g = graphOf(model);
  const have = new Set(g.output.map((v) => v.name));
  for (const name of names) {
    if (have.has(name)) continue;
    have.add(name);
    g.output.push(bareValueInfo(name));
  }
  return model;
}

/**
 * A shallow copy deep enough for surgery: a new model and graph object with new arrays; node,
 * tensor and value-info messages are shared (never mutated).
 */
export function structuredCloneModel(source: ModelProto): ModelProto {
  const g = graphOf(source);
  const graph: GraphProto = {
    ...g,
    node: [...g.node],
    initializer: [...g.initializer],
    sparseInitializer: [...g.sparseInitializer],
    input: [...g.input],
    output: [...g.output],
    valueInfo: [...g.valueInfo],
  };
  return { ...source, graph };
}
