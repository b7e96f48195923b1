// Cut points proposed from diffusers module names: an exported UNet keeps the PyTorch module path in
// every node name (`/up_blocks.1/upsamplers.0/conv/Conv`), so the output of each decoder block is the
// tensor that a node of `/up_blocks.N/` hands to a node outside it. DeepCache caches exactly those.
import { graphOf, initializerNames, nodeInputs, parseModel, producers, type GraphProto } from '../internal/onnx.js';
import type { MacCount } from '../macs.js';

/**
 * One proposed cache branch: a decoder block's output in the UNet graph.
 *
 * @public
 */
export interface CutPointProposal {
  /** Tensor name: the manifest's `unet.cache[b].tensor`. */
  readonly tensor: string;
  /** The diffusers module whose output it is: `up_blocks.2`, …, `mid_block`. */
  readonly module: string;
  /**
   * How it was found: `upsampler` (the up block's upsampler output), `block-output` (the last
   * resnet / attention output of an up block without an upsampler), `mid-block`.
   */
  readonly kind: 'upsampler' | 'block-output' | 'mid-block';
  /** Top-level nodes the partial graph of this branch keeps. */
  readonly partialNodes: number;
  /** Top-level nodes of the whole graph. */
  readonly totalNodes: number;
  /** Partial-step MACs / full-step MACs, when `macs` was given. */
  readonly macRatio?: number;
}

/**
 * What {@link proposeCutPoints} found: the proposals, shallow to deep, and the block outputs it
 * left out with the reason.
 *
 * @public
 */
export interface CutPointProposals {
  /** Branch 0 first: the shallowest cut (cheapest partial step), the mid block last. */
  readonly points: readonly CutPointProposal[];
  /** Block outputs that make no useful branch, each with its reason. */
  readonly skipped: readonly {
    /** The module, e.g. `up_blocks.3`. */
    readonly module: string;
    /** Its output tensor. */
    readonly tensor: string;
    /** Why it is not proposed. */
    readonly reason: string;
  }[];
}

/**
 * Options of {@link proposeCutPoints}.
 *
 * @public
 */
export interface ProposeCutPointsOptions {
  /** The prediction output (default: the graph's first output). */
  readonly output?: string;
  /** The noisy-sample input (default: every input with a declared rank of 4, else every input). */
  readonly sample?: string;
  /** Per-node MACs of this graph (e.g. `model.macs`, or `countMacs`): fills in `macRatio`. */
  readonly macs?: MacCount;
}

/** Ops that compute shapes and indices, never the feature a block hands on. */
const SHAPE_OPS = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Gather', 'Unsqueeze', 'Squeeze', 'Range']);
const UP_BLOCK = /^\/up_blocks\.(\d+)\//;
const MID_BLOCK = /^\/mid_block\//;

/** The module path a node carries: its name, else its first output's name (both start with the scope). */
function scopeOf(graph: GraphProto, i: number): string {
  const n = graph.node[i]!;
  return n.name.startsWith('/') ? n.name : (n.output[0] ?? '');
}

/** The tensor a module hands on: produced inside it, consumed outside it; the last produced wins. */
function blockOutput(graph: GraphProto, inside: ReadonlySet<number>): string | null {
  const consumedOutside = new Set<string>();
  graph.node.forEach((n, i) => {
    if (!inside.has(i)) for (const name of nodeInputs(n)) consumedOutside.add(name);
  });
  for (const o of graph.output) consumedOutside.add(o.name);
  const sorted = [...inside].sort((a, b) => b - a);
  for (const i of sorted) {
    const n = graph.node[i]!;
    if (SHAPE_OPS.has(n.opType)) continue;
    const out = n.output.find((o) => o !== '' && consumedOutside.has(o));
    if (out !== undefined) return out;
  }
  return null;
}

/** The nodes needed to compute `output` when `cut` is supplied, and the graph inputs they read. */
function partialOf(graph: GraphProto, output: string, cut: string): { nodes: Set<number>; inputs: Set<string>; reachedCut: boolean } {
  const prod = producers(graph);
  const inits = initializerNames(graph);
  const graphInputs = new Set(graph.input.map((v) => v.name));
  const nodes = new Set<number>();
  const inputs = new Set<string>();
  const seen = new Set<string>();
  let reachedCut = false;
  const stack = [output];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (name === cut) {
      reachedCut = true;
      continue;
    }
    if (inits.has(name)) continue;
    if (graphInputs.has(name)) {
      inputs.add(name);
      continue;
    }
    const p = prod.get(name);
    if (p === undefined || nodes.has(p)) continue;
    nodes.add(p);
    for (const dep of nodeInputs(graph.node[p]!)) stack.push(dep);
  }
  return { nodes, inputs, reachedCut };
}

function rankFour(graph: GraphProto, inits: ReadonlySet<string>): string[] {
  return graph.input
    .filter((v) => !inits.has(v.name))
    .filter((v) => v.type?.value.case === 'tensorType' && v.type.value.value.shape?.dim.length === 4)
    .map((v) => v.name);
}

/**
 * Propose cache branches (DeepCache cut points) for an exported diffusers UNet, from the module
 * names torch.onnx keeps in node names: the output of each up block (its upsampler's output, e.g.
 * `/up_blocks.1/upsamplers.0/conv/Conv_output_0`, or its last resnet / attention output when it has
 * no upsampler), shallow to deep — branch 0 is the up block nearest the output, the cheapest
 * partial step — then the mid block's output. A block output whose partial graph would not read the
 * noisy sample (the last up block's: only the output convolution is left after it) is skipped, as a
 * partial step there would just repeat the cached prediction. Platform-free: it only parses the graph.
 *
 * A graph without diffusers module names (an export from an older torch, or another library)
 * gets no proposals: name the cut points in `model.json` (`unet.cache`).
 *
 * @param unet - ONNX bytes of the UNet.
 * @param options - `output`, `sample`, `macs` (for `macRatio`).
 * @returns The proposals and the block outputs left out.
 * @throws {@link RuntimeError} `invalid-model` when the bytes do not parse.
 * @example
 * ```ts
 * const { points } = proposeCutPoints(unetBytes, { macs: model.macs });
 * points.map((p) => `${p.module}: ${p.tensor} (${(100 * p.macRatio!).toFixed(0)}% of a full step)`);
 * ```
 * @public
 */
export function proposeCutPoints(unet: Uint8Array, options: ProposeCutPointsOptions = {}): CutPointProposals {
  return proposeFromGraph(graphOf(parseModel(unet, 'UNet')), options);
}

/** {@link proposeCutPoints} on a parsed graph. @internal */
export function proposeFromGraph(graph: GraphProto, options: ProposeCutPointsOptions = {}): CutPointProposals {
  const output = options.output ?? graph.output[0]?.name ?? '';
  const inits = initializerNames(graph);
  const samples = options.sample !== undefined ? [options.sample] : rankFour(graph, inits);
  const sampleInputs = samples.length > 0 ? samples : graph.input.filter((v) => !inits.has(v.name)).map((v) => v.name);
  const up = new Map<number, Set<number>>();
  const mid = new Set<number>();
  graph.node.forEach((_, i) => {
    const scope = scopeOf(graph, i);
    const m = UP_BLOCK.exec(scope);
    if (m) {
      const k = Number(m[1]);
      if (!up.has(k)) up.set(k, new Set());
      up.get(k)!.add(i);
    } else if (MID_BLOCK.test(scope)) mid.add(i);
  });
  const byNode = options.macs ? new Map(options.macs.nodes.map((n) => [n.index, n.macs] as const)) : undefined;
  const candidates: { module: string; set: Set<number> }[] = [...up.keys()]
    .sort((a, b) => b - a)
    .map((k) => ({ module: `up_blocks.${k}`, set: up.get(k)! }));
  if (mid.size > 0) candidates.push({ module: 'mid_block', set: mid });
  const points: CutPointProposal[] = [];
  const skipped: { module: string; tensor: string; reason: string }[] = [];
  for (const { module, set } of candidates) {
    const tensor = blockOutput(graph, set);
    if (tensor === null) {
      skipped.push({ module, tensor: '', reason: 'no tensor of this block is read outside it' });
      continue;
    }
    if (tensor === output || graph.output.some((o) => o.name === tensor)) {
      skipped.push({ module, tensor, reason: 'it is a graph output' });
      continue;
    }
    const partial = partialOf(graph, output, tensor);
    if (!partial.reachedCut) {
      skipped.push({ module, tensor, reason: `it is not on the path to the output ${JSON.stringify(output)}` });
      continue;
    }
    if (!sampleInputs.some((s) => partial.inputs.has(s))) {
      skipped.push({
        module,
        tensor,
        reason:
          partial.inputs.size === 0
            ? 'its partial graph would not read the noisy sample (nor any input), so a partial step would only repeat the cached prediction'
            : 'its partial graph would not read the noisy sample, so a partial step would ignore x_t',
      });
      continue;
    }
    const producer = producers(graph).get(tensor);
    const scope = producer === undefined ? '' : scopeOf(graph, producer);
    const kind = module === 'mid_block' ? 'mid-block' : scope.includes('/upsamplers.') ? 'upsampler' : 'block-output';
    const base = { tensor, module, kind, partialNodes: partial.nodes.size, totalNodes: graph.node.length } as const;
    if (byNode && options.macs && options.macs.total > 0) {
      let macs = 0;
      for (const i of partial.nodes) macs += byNode.get(i) ?? 0;
      points.push({ ...base, macRatio: macs / options.macs.total });
    } else points.push(base);
  }
  return { points, skipped };
}
