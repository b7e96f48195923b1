import { RuntimeError, oneOf } from './errors.js';
import { proposeFromGraph } from './import/cut-points.js';
import {
  ONNX_ELEMENT_TYPES,
  declaredElemType,
  extractGraph,
  graphOf,
  initializerNames,
  parseModel,
  producers,
  similarNames,
  tensorValueInfo,
  withOutputs,
  writeModel,
  type GraphProto,
  type ModelProto,
} from './internal/onnx.js';

/**
 * What is known of a tensor the cut turns into a graph input: its element type (onnxruntime
 * type name such as `'float32'`) and, optionally, its rank.
 *
 * @public
 */
export interface TensorTypeInfo {
  /** Element type, e.g. `'float32'` or `'float16'`. */
  readonly type: string;
  /** Shape; only its length (the rank) is written into the graph: every dimension is left free. */
  readonly dims?: readonly number[];
}

/**
 * Options of {@link cutUnet}.
 *
 * @public
 */
export interface CutOptions {
  /** Name of the graph output to keep (the noise prediction, e.g. `noise_pred`). */
  readonly output: string;
  /** The cut points: tensor names, one per cache branch, in branch order. */
  readonly cacheTensors: readonly string[];
  /**
   * How messages name cut point `b` (default `cacheTensors[b]`; {@link prepareUnet} names the
   * manifest field, `unet.cache[b].tensor`).
   */
  readonly cacheField?: (branch: number) => string;
  /**
   * Element type (and rank) of each cache tensor, by name. Needed when the graph declares no
   * `value_info` for it (a plain `torch.onnx.export` declares none); {@link prepareUnet} finds
   * them by running the full graph once.
   */
  readonly cacheTypes?: Readonly<Record<string, TensorTypeInfo>>;
}

/**
 * The graphs {@link cutUnet} derives from one exported UNet.
 *
 * @public
 */
export interface CutGraphs {
  /** The whole graph with every cache tensor added as an extra output (after `output`). */
  readonly full: Uint8Array;
  /** For each branch b: the graph whose inputs are the model's inputs it still uses plus cache tensor b. */
  readonly partials: readonly Uint8Array[];
  /** For each branch b: indices (into the source graph's top-level nodes) of the nodes it keeps. */
  readonly partialNodes: readonly (readonly number[])[];
  /** For each branch b: the model inputs the partial graph still consumes, in the source order. */
  readonly partialInputs: readonly (readonly string[])[];
  /** Number of top-level nodes of the source graph. */
  readonly nodeCount: number;
}

/**
 * The full graph with extra outputs: `outputs` added to the graph's outputs, declared without type
 * information (onnxruntime accepts that and reports their types and shapes when run).
 *
 * @param model - ONNX model bytes.
 * @param outputs - Tensor names to expose (node outputs or graph inputs).
 * @returns The new model's bytes.
 * @throws {@link RuntimeError} `invalid-model` when the bytes do not parse, `unknown-tensor` for a
 *   name not in the graph.
 * @public
 */
export function addGraphOutputs(model: Uint8Array, outputs: readonly string[]): Uint8Array {
  return writeModel(withOutputs(parseModel(model), outputs));
}

/**
 * Extract the part of a graph that computes `outputs` from the graph's inputs plus the `cut`
 * tensors, supplied as new inputs. Walks back from the outputs stopping at cut tensors, graph
 * inputs and initializers (If / Loop / Scan bodies count their outer-scope reads as inputs of their
 * node); drops the nodes, initializers and graph inputs no longer used.
 *
 * @param model - ONNX model bytes.
 * @param outputs - Outputs of the new graph.
 * @param cut - Tensors to turn into graph inputs, with their element types.
 * @returns The new model's bytes, the kept node indices and the model inputs still used.
 * @throws {@link RuntimeError} `unknown-tensor` for names not in the graph, `invalid-cut` for a cut
 *   tensor not on the path to the outputs, `unsupported` for an unknown element type.
 * @public
 */
export function extractSubgraph(
  model: Uint8Array,
  outputs: readonly string[],
  cut: Readonly<Record<string, TensorTypeInfo>>,
): {
  /** The new model's bytes. */
  readonly model: Uint8Array;
  /** Indices (in the source graph) of the top-level nodes kept, in order. */
  readonly nodes: readonly number[];
  /** The source graph's inputs that the new graph still uses. */
  readonly inputs: readonly string[];
} {
  const m = parseModel(model);
  const ex = extractGraph(
    m,
    outputs,
    Object.entries(cut).map(([name, info]) => ({
      name,
      info: tensorValueInfo(name, elemTypeOf(info.type, name), info.dims?.length ?? null),
    })),
  );
  return { model: writeModel(ex.model), nodes: ex.nodes, inputs: ex.inputs };
}

/**
 * Cut one exported UNet into the graphs a cached schedule runs: (a) the full graph with the cache
 * tensor of every branch as extra outputs and (b) for each branch b a partial graph that takes the
 * model's inputs plus cache tensor b and holds only the nodes still needed to compute the output
 * (DeepCache: the shallow encoder and decoder blocks). The cut points are plain tensor names, so
 * this works for any UNet export.
 *
 * @param model - ONNX model bytes of the UNet.
 * @param options - The output to keep, the cache tensors (one per branch) and their types.
 * @returns The serialized graphs and which source nodes each partial graph keeps.
 * @throws {@link RuntimeError} `invalid-model`, `unknown-tensor` (a name not in the graph; the
 *   message names the nearest tensor names by edit distance), `invalid-cut` (a cache tensor that
 *   is a graph input, an initializer or a graph output, that does not feed the output, or whose
 *   type is unknown), `invalid-option` (no cache tensors, or a repeated one).
 * @example
 * ```ts
 * const cut = cutUnet(bytes, {
 *   output: 'noise_pred',
 *   cacheTensors: ['/up_blocks.1/upsamplers.0/conv/Conv_output_0', '/mid_block/resnets.1/Add_1_output_0'],
 *   cacheTypes: { '/up_blocks.1/upsamplers.0/conv/Conv_output_0': { type: 'float32', dims: [1, 64, 32, 32] },
 *                 '/mid_block/resnets.1/Add_1_output_0': { type: 'float32', dims: [1, 64, 8, 8] } },
 * });
 * cut.partials.length; // 2
 * ```
 * @public
 */
export function cutUnet(model: Uint8Array, options: CutOptions): CutGraphs {
  const { output, cacheTensors } = options;
  if (typeof output !== 'string' || output === '') {
    throw new RuntimeError(
      'invalid-option',
      `Invalid output ${JSON.stringify(output)}: expected the name of the graph's noise prediction output.`,
    );
  }
  if (!Array.isArray(cacheTensors) || cacheTensors.length === 0) {
    throw new RuntimeError('invalid-option', 'No cache tensors given: expected one tensor name per cache branch.');
  }
  const dup = cacheTensors.find((t, i) => cacheTensors.indexOf(t) !== i);
  if (dup !== undefined) {
    throw new RuntimeError(
      'invalid-option',
      `Cache tensor ${JSON.stringify(dup)} is given for two branches: each branch needs its own cut point.`,
    );
  }
  const m = parseModel(model);
  const graph = graphOf(m);
  if (!graph.output.some((o) => o.name === output)) {
    throw new RuntimeError(
      'io-mismatch',
      `The graph has no output ${JSON.stringify(output)}. Should be one of: ${oneOf(graph.output.map((o) => o.name))}.`,
    );
  }
  checkCutPoints(graph, cacheTensors, options.cacheField ?? ((b) => `cacheTensors[${b}]`));
  const full = writeModel(withOutputs(m, cacheTensors));
  const declared = new Map(graph.valueInfo.map((v) => [v.name, v] as const));
  const partials: Uint8Array[] = [];
  const partialNodes: number[][] = [];
  const partialInputs: string[][] = [];
  cacheTensors.forEach((name, b) => {
    const info = options.cacheTypes?.[name];
    const elemType = info ? elemTypeOf(info.type, name) : declaredElemType(declared.get(name));
    if (elemType === null) {
      throw new RuntimeError(
        'invalid-cut',
        `The type of cache tensor ${JSON.stringify(name)} (branch ${b}) is unknown: the graph declares no value_info for it. ` +
          'Pass cacheTypes (prepareUnet finds them by running the full graph once).',
      );
    }
    const ex = extractGraph(m, [output], [{ name, info: tensorValueInfo(name, elemType, info?.dims?.length ?? null) }]);
    partials.push(writeModel(ex.model));
    partialNodes.push([...ex.nodes]);
    partialInputs.push([...ex.inputs]);
  });
  return Object.freeze({
    full,
    partials: Object.freeze(partials),
    partialNodes: Object.freeze(partialNodes.map((n) => Object.freeze(n))),
    partialInputs: Object.freeze(partialInputs.map((n) => Object.freeze(n))),
    nodeCount: graph.node.length,
  });
}

/**
 * A summary of an ONNX graph: its inputs, outputs and top-level nodes. Use it to find cut points
 * (e.g. the output of a decoder block) in a UNet export.
 *
 * @public
 */
export interface GraphSummary {
  /** Graph inputs that are not initializers, with their declared types and shapes. */
  readonly inputs: readonly {
    /** Input name. */
    readonly name: string;
    /** Element type (e.g. `float32`, `int64`), `null` when not declared. */
    readonly type: string | null;
    /** Dimensions: a number, a symbolic name, or `null` when unknown; `null` for no shape. */
    readonly dims: readonly (number | string | null)[] | null;
  }[];
  /** Graph output names. */
  readonly outputs: readonly string[];
  /** Top-level nodes in order. */
  readonly nodes: readonly {
    /** Node name (may be empty). */
    readonly name: string;
    /** Operator type, e.g. `Conv`. */
    readonly opType: string;
    /** Operator domain (`''` for the default ONNX domain). */
    readonly domain: string;
    /** Input tensor names. */
    readonly inputs: readonly string[];
    /** Output tensor names: the candidate cut points. */
    readonly outputs: readonly string[];
  }[];
  /** Number of initializers. */
  readonly initializers: number;
  /** Opset imports (domain → version; `''` is the default domain). */
  readonly opsets: Readonly<Record<string, number>>;
}

/**
 * Read an ONNX model's graph structure.
 *
 * @param model - ONNX model bytes.
 * @returns A plain-data {@link GraphSummary}.
 * @throws {@link RuntimeError} `invalid-model` when the bytes do not parse.
 * @public
 */
export function inspectGraph(model: Uint8Array): GraphSummary {
  return summarizeModel(parseModel(model));
}

/** {@link inspectGraph} of a parsed model. @internal */
export function summarizeModel(m: ModelProto): GraphSummary {
  const g = graphOf(m);
  const inits = new Set(g.initializer.map((t) => t.name));
  const typeName = (e: number): string | null => Object.entries(ONNX_ELEMENT_TYPES).find(([, v]) => v === e)?.[0] ?? null;
  const opsets: Record<string, number> = {};
  for (const o of m.opsetImport) opsets[o.domain] = Number(o.version);
  return {
    inputs: g.input
      .filter((v) => !inits.has(v.name))
      .map((v) => {
        const t = v.type?.value;
        if (t?.case !== 'tensorType') return { name: v.name, type: null, dims: null };
        return {
          name: v.name,
          type: typeName(t.value.elemType),
          dims: t.value.shape
            ? t.value.shape.dim.map((d) =>
                d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
              )
            : null,
        };
      }),
    outputs: g.output.map((v) => v.name),
    nodes: g.node.map((n) => ({ name: n.name, opType: n.opType, domain: n.domain, inputs: [...n.input], outputs: [...n.output] })),
    initializers: g.initializer.length + g.sparseInitializer.length,
    opsets,
  };
}

function elemTypeOf(type: string, name: string): number {
  const e = ONNX_ELEMENT_TYPES[type];
  if (e === undefined) {
    throw new RuntimeError(
      'unsupported',
      `Unsupported element type ${JSON.stringify(type)} for tensor ${JSON.stringify(name)}. ` +
        `Should be one of: ${oneOf(Object.keys(ONNX_ELEMENT_TYPES))}.`,
    );
  }
  return e;
}

/**
 * Check cut points against a graph before anything is cut: each must be a tensor a node computes
 * (not a graph input such as `sample`, not an initializer, not a graph output). A name the graph
 * lacks is reported with the nearest names by edit distance (a one-character typo first).
 *
 * @param graph - The UNet graph.
 * @param cacheTensors - The cut points, branch order.
 * @param field - How a message names cut point b, e.g. `unet.cache[1].tensor`.
 * @throws {@link RuntimeError} `unknown-tensor`, `invalid-cut`; `issues[0].path` is the field.
 * @internal
 */
export function checkCutPoints(graph: GraphProto, cacheTensors: readonly string[], field: (branch: number) => string): void {
  const inputs = new Set(graph.input.map((v) => v.name));
  const inits = initializerNames(graph);
  const outputs = new Set(graph.output.map((v) => v.name));
  const made = producers(graph);
  let example: string | undefined;
  const hint = (): string => {
    example ??= proposeFromGraph(graph).points[0]?.tensor ?? '';
    const e = example ? ` (e.g. ${JSON.stringify(example)})` : '';
    return `a cut point must be a feature the UNet computes: an up block's or the mid block's output${e}; \`flexi inspect\` proposes them.`;
  };
  cacheTensors.forEach((name, b) => {
    const at = `${field(b)} ${JSON.stringify(name)}`;
    let why: string | null = null;
    if (outputs.has(name)) why = "it is a graph output: a partial step would only repeat the full step's prediction";
    else if (inits.has(name)) why = 'it is an initializer (a weight stored in the graph), not computed from the inputs';
    else if (inputs.has(name)) why = 'it is a graph input, so a partial step would run the whole graph from it and save nothing';
    if (why !== null) {
      const message = `Invalid cut point ${at}: ${why}; ${hint()}`;
      throw new RuntimeError('invalid-cut', message, { issues: [{ path: field(b), message }] });
    }
    if (!made.has(name)) {
      const near = similarNames(graph, name);
      const message =
        `Unknown cut point ${at}: the UNet graph has no tensor of that name.` +
        (near.length > 0 ? ` Nearest names: ${near.map((n) => JSON.stringify(n)).join(', ')}.` : '');
      throw new RuntimeError('unknown-tensor', message, { issues: [{ path: field(b), message }] });
    }
  });
}
