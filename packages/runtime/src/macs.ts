import type { Tensor } from 'onnxruntime-common';
import type { SessionFactory } from './backend.js';
import { RuntimeError } from './errors.js';
import { graphOf, parseModel, withOutputs, writeModel, type GraphProto, type NodeProto } from './internal/onnx.js';
import { throwIfAborted, type AbortSignalLike } from './internal/platform.js';
import { openSession, runSession } from './internal/session.js';

/**
 * MACs of one node.
 *
 * @public
 */
export interface NodeMacs {
  /** Index of the node in the graph's top-level node list. */
  readonly index: number;
  /** Node name (may be empty). */
  readonly name: string;
  /** Operator type, e.g. `Conv`. */
  readonly opType: string;
  /** Multiply-accumulates per sample. */
  readonly macs: number;
}

/**
 * MACs of a graph, per sample.
 *
 * @public
 */
export interface MacCount {
  /** Total multiply-accumulates per sample of the counted nodes. */
  readonly total: number;
  /** Every counted node with its MACs. */
  readonly nodes: readonly NodeMacs[];
  /**
   * Nodes that do multiply-adds the counter does not model (`Einsum`, quantized matmuls, and any
   * node inside an If / Loop / Scan body); their cost is not in `total`.
   */
  readonly uncounted: readonly {
    /** Index of the top-level node. */
    readonly index: number;
    /** Node name. */
    readonly name: string;
    /** Operator type. */
    readonly opType: string;
  }[];
}

/** The operators the MAC counter models. @public */
export const COUNTED_OPS: readonly string[] = Object.freeze(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Attention', 'MultiHeadAttention']);

const UNMODELLED = new Set([
  'Einsum',
  'MatMulInteger',
  'QLinearMatMul',
  'QLinearConv',
  'ConvInteger',
  'FusedMatMul',
  'GroupQueryAttention',
  'If',
  'Loop',
  'Scan',
]);

/** Which tensor shapes a node's MAC formula needs. */
interface MacPlanEntry {
  readonly index: number;
  readonly node: NodeProto;
  readonly needs: readonly string[];
  readonly formula: (dims: (name: string) => readonly number[]) => number;
}

const numel = (d: readonly number[]): number => d.reduce((a, b) => a * b, 1);

/** Plan the MAC count: the countable nodes and the tensors whose shapes they need. @internal */
export function planMacCount(graph: GraphProto): { entries: MacPlanEntry[]; uncounted: { index: number; name: string; opType: string }[] } {
  const entries: MacPlanEntry[] = [];
  const uncounted: { index: number; name: string; opType: string }[] = [];
  graph.node.forEach((node, index) => {
    const op = node.opType;
    const [a = '', b = ''] = node.input;
    const y = node.output[0] ?? '';
    const ms = node.domain === 'com.microsoft';
    if (node.domain === '' || node.domain === 'ai.onnx') {
      if (op === 'Conv') {
        entries.push({ index, node, needs: [y, b], formula: (d) => numel(d(y)) * numel(d(b).slice(1)) });
        return;
      }
      if (op === 'ConvTranspose') {
        entries.push({ index, node, needs: [a, b], formula: (d) => numel(d(a)) * numel(d(b).slice(1)) });
        return;
      }
      if (op === 'Gemm') {
        const transA = node.attribute.find((x) => x.name === 'transA')?.i ?? 0n;
        entries.push({ index, node, needs: [a, y], formula: (d) => numel(d(y)) * (d(a)[transA ? 0 : 1] ?? 1) });
        return;
      }
      if (op === 'MatMul') {
        entries.push({ index, node, needs: [a, y], formula: (d) => numel(d(y)) * (d(a).at(-1) ?? 1) });
        return;
      }
      if (op === 'Attention') {
        // ONNX Attention (opset 23): Q·Kᵀ and softmax·V; Q, K 3-D [B,S,H·D] or 4-D [B,H,S,D].
        entries.push({ index, node, needs: [a, b, y], formula: (d) => (numel(d(a)) + numel(d(y))) * seqLen(d(b)) });
        return;
      }
    }
    if (ms && op === 'MultiHeadAttention') {
      entries.push({ index, node, needs: [a, b, y], formula: (d) => (numel(d(a)) + numel(d(y))) * seqLen(d(b)) });
      return;
    }
    if (ms && op === 'Attention') {
      // com.microsoft Attention: X [B,S,In] · W [In, 3H] projection, then attention over S.
      entries.push({
        index,
        node,
        needs: [a, b, y],
        formula: (d) => numel(d(a)) * (d(b)[1] ?? 0) + 2 * numel(d(y)) * (d(a)[1] ?? 0),
      });
      return;
    }
    if (UNMODELLED.has(op)) uncounted.push({ index, name: node.name, opType: op });
  });
  return { entries, uncounted };
}

function seqLen(k: readonly number[]): number {
  return (k.length === 4 ? k[2] : k[1]) ?? 1;
}

/**
 * Compute MACs from a plan and known shapes. @internal
 */
export function evaluateMacPlan(
  plan: ReturnType<typeof planMacCount>,
  shapeOf: (name: string) => readonly number[] | undefined,
  batch: number,
): MacCount {
  const dims = (name: string): readonly number[] => {
    const d = shapeOf(name);
    if (!d) throw new RuntimeError('shape-mismatch', `No shape known for tensor ${JSON.stringify(name)} while counting MACs.`);
    return d;
  };
  const nodes: NodeMacs[] = plan.entries.map((e) => ({
    index: e.index,
    name: e.node.name,
    opType: e.node.opType,
    macs: e.formula(dims) / batch,
  }));
  return Object.freeze({
    total: nodes.reduce((s, n) => s + n.macs, 0),
    nodes: Object.freeze(nodes),
    uncounted: Object.freeze(plan.uncounted),
  });
}

/** Tensor names the MAC plan needs shapes of, less initializers and the given inputs. @internal */
export function macProbeNames(graph: GraphProto, plan: ReturnType<typeof planMacCount>): string[] {
  const known = new Set<string>(graph.initializer.map((t) => t.name));
  for (const v of graph.input) known.add(v.name);
  const names = new Set<string>();
  for (const e of plan.entries) for (const n of e.needs) if (n && !known.has(n)) names.add(n);
  return [...names];
}

/** Shapes of initializers. @internal */
export function initializerShapes(graph: GraphProto): Map<string, number[]> {
  return new Map(graph.initializer.map((t) => [t.name, t.dims.map(Number)] as const));
}

/**
 * Options of {@link countMacs}.
 *
 * @public
 */
export interface CountMacsOptions {
  /** Opens the probe session. */
  readonly sessions: SessionFactory;
  /** Inputs for one run of the graph (their batch size is `batch`). */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Batch size of `feeds` (default: the first dimension of the first feed). MACs are divided by it. */
  readonly batch?: number;
  /** Cancels the count. */
  readonly signal?: AbortSignalLike;
}

/**
 * Count the multiply-accumulates of an ONNX graph per sample: Conv, ConvTranspose, Gemm, MatMul
 * and attention operators (ONNX `Attention`, com.microsoft `Attention` / `MultiHeadAttention`).
 *
 * Shapes come from running the graph once: the inputs and outputs the formulas need are added as
 * extra graph outputs (declared without types) and one inference on `feeds` reports them. This
 * needs no shape-inference code of our own and is exact for any op onnxruntime runs; it costs one
 * session and one run. Nodes inside If / Loop / Scan bodies are not counted (listed in
 * `uncounted`).
 *
 * @param model - ONNX model bytes.
 * @param options - Session factory, feeds for one run, batch size.
 * @returns Per-sample MACs, per node and in total.
 * @throws {@link RuntimeError} `invalid-model`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * const { total } = await countMacs(bytes, { sessions, feeds: { image: new Tensor('float32', new Float32Array(192), [1, 3, 8, 8]) } });
 * ```
 * @public
 */
export async function countMacs(model: Uint8Array, options: CountMacsOptions): Promise<MacCount> {
  const m = parseModel(model);
  const graph = graphOf(m);
  const plan = planMacCount(graph);
  const probe = macProbeNames(graph, plan);
  throwIfAborted(options.signal, 'Counting MACs');
  const bytes = writeModel(withOutputs(m, probe));
  const session = await openSession(options.sessions, bytes, 'mac-probe');
  try {
    const out = await runSession(session, options.feeds, probe, 'mac-probe');
    const inits = initializerShapes(graph);
    const batch = options.batch ?? Number(Object.values(options.feeds)[0]?.dims[0] ?? 1);
    return evaluateMacPlan(plan, (name) => inits.get(name) ?? (out[name] ?? options.feeds[name])?.dims.map(Number), batch);
  } finally {
    await session.release();
  }
}
