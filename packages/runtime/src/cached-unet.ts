import type { CostProfile } from '@flexiffusion/schedule';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { OperationOptions, SessionFactory, SessionInfo } from './backend.js';
import { RuntimeError } from './errors.js';
import { checkCutPoints, cutUnet, type CutGraphs, type TensorTypeInfo } from './graph-cut.js';
import { graphOf, parseModel, withOutputs, writeModel } from './internal/onnx.js';
import { throwIfAborted } from './internal/platform.js';
import { openSession, runSession } from './internal/session.js';
import { evaluateMacPlan, initializerShapes, macProbeNames, planMacCount, type MacCount } from './macs.js';

/**
 * Options of {@link prepareUnet}.
 *
 * @public
 */
export interface PrepareUnetOptions extends OperationOptions {
  /** ONNX bytes of the exported UNet. */
  readonly model: Uint8Array;
  /** Output name of the prediction (e.g. `noise_pred`). */
  readonly output: string;
  /** Cut points, one tensor name per cache branch (may be empty). */
  readonly cacheTensors: readonly string[];
  /** Opens onnxruntime sessions. */
  readonly sessions: SessionFactory;
  /**
   * Inputs for one probe run (batch 1 is enough): it finds the cache tensors' types and shapes and
   * the shapes the MAC counter needs.
   */
  readonly probeFeeds: Readonly<Record<string, Tensor>>;
  /** Create every partial session now rather than on first use (default false). */
  readonly eagerPartials?: boolean;
  /** Prefix for session labels (default `unet`). */
  readonly label?: string;
  /** How messages name cut point b (default: the manifest field, `unet.cache[b].tensor`). */
  readonly cacheField?: (branch: number) => string;
}

/** A partial step that costs this share of a full step's MACs or more saves too little: warned. */
export const COSTLY_CUT_RATIO = 0.95;

/**
 * A UNet ready for cached schedules: the full graph (prediction + every branch's cache tensor)
 * and one partial graph per branch, each in its own onnxruntime session, with the model's MAC
 * cost profile. Made by {@link prepareUnet}; `dispose()` releases the sessions.
 *
 * @public
 */
export class CachedUnet {
  /** Number of cache branches B. */
  readonly branches: number;
  /** MACs per sample: full step and partial step of each branch (the schedule package's cost model). */
  readonly costProfile: CostProfile;
  /** Per-node MACs of the full graph. */
  readonly macs: MacCount;
  /** The cache tensors: name, element type and shape at the probe's batch size. */
  readonly cacheInfo: readonly {
    /** Tensor name (the manifest's cut point). */
    readonly name: string;
    /** Element type, e.g. `float32`. */
    readonly type: string;
    /** Shape at the probe's batch size. */
    readonly dims: readonly number[];
  }[];
  /** The graphs (bytes) the sessions run. */
  readonly graphs: CutGraphs;
  /** Output name of the prediction. */
  readonly output: string;
  /**
   * What is legal but likely a mistake in the cut points, one sentence each: a branch whose partial
   * step costs ≥ 95% of a full step's MACs, or whose partial graph does not read the noisy sample.
   * `flexi` prints them; a library caller may show or log them.
   */
  readonly warnings: readonly string[];
  readonly #full: InferenceSession;
  readonly #partials: (Promise<InferenceSession> | undefined)[];
  readonly #sessions: SessionFactory;
  readonly #label: string;
  #disposed = false;

  /** @internal */
  constructor(init: {
    full: InferenceSession;
    graphs: CutGraphs;
    output: string;
    macs: MacCount;
    costProfile: CostProfile;
    cacheInfo: CachedUnet['cacheInfo'];
    sessions: SessionFactory;
    label: string;
    warnings?: readonly string[];
  }) {
    this.#full = init.full;
    this.graphs = init.graphs;
    this.output = init.output;
    this.macs = init.macs;
    this.costProfile = init.costProfile;
    this.cacheInfo = init.cacheInfo;
    this.warnings = Object.freeze([...(init.warnings ?? [])]);
    this.branches = init.cacheInfo.length;
    this.#sessions = init.sessions;
    this.#label = init.label;
    this.#partials = new Array<Promise<InferenceSession> | undefined>(this.branches).fill(undefined);
  }

  /** Input names of the full graph. */
  get inputNames(): readonly string[] {
    return this.#full.inputNames;
  }

  /** Input metadata of the full graph's session (types and shapes), where the backend reports it. */
  get inputMetadata(): InferenceSession['inputMetadata'] | undefined {
    return this.#full.inputMetadata;
  }

  /**
   * Run the full graph.
   *
   * @param feeds - Model inputs (extra feeds the graph does not take are ignored).
   * @returns The prediction and the cache tensor of every branch (same batch as the feeds). The
   *   caches may live in device memory where the session factory honours `deviceOutputs`
   *   ({@link SessionInfo}); the caller then releases them (`Tensor.dispose()`) when done, as
   *   {@link runPlan} and `profile()` do.
   * @throws {@link RuntimeError} `session-failed`, `disposed`.
   */
  async runFull(feeds: Readonly<Record<string, Tensor>>): Promise<{
    /** The prediction. */
    output: Tensor;
    /** The cache tensor of each branch, index = branch. */
    caches: Tensor[];
  }> {
    this.#check();
    const names = this.cacheInfo.map((c) => c.name);
    const out = await runSession(this.#full, pick(feeds, this.#full.inputNames), [this.output, ...names], `${this.#label} (full step)`);
    return { output: out[this.output]!, caches: names.map((n) => out[n]!) };
  }

  /**
   * Run the partial graph of branch `branch` with the cache tensor of a full step.
   *
   * @param branch - Cache branch 0..B−1.
   * @param feeds - Model inputs (those the partial graph no longer uses are ignored).
   * @param cache - The branch's cache tensor from {@link CachedUnet.runFull} at the same batch size.
   * @returns The prediction.
   * @throws {@link RuntimeError} `invalid-option` for a bad branch, `session-failed`, `disposed`.
   */
  async runPartial(branch: number, feeds: Readonly<Record<string, Tensor>>, cache: Tensor): Promise<Tensor> {
    const session = await this.partialSession(branch);
    const name = this.cacheInfo[branch]!.name;
    const all = { ...feeds, [name]: cache };
    const out = await runSession(session, pick(all, session.inputNames), [this.output], `${this.#label} (partial step, branch ${branch})`);
    return out[this.output]!;
  }

  /**
   * The session of branch `branch`'s partial graph, created on first use.
   *
   * @param branch - Cache branch 0..B−1.
   * @returns The session.
   * @throws {@link RuntimeError} `invalid-option` for a bad branch, `session-failed`, `disposed`.
   */
  partialSession(branch: number): Promise<InferenceSession> {
    this.#check();
    if (!Number.isSafeInteger(branch) || branch < 0 || branch >= this.branches) {
      throw new RuntimeError(
        'invalid-option',
        `Invalid cache branch ${String(branch)}: ` +
          `this UNet has ${this.branches} branch${this.branches === 1 ? '' : 'es'} (0..${this.branches - 1}).`,
      );
    }
    let s = this.#partials[branch];
    if (!s) {
      s = openSession(this.#sessions, this.graphs.partials[branch]!, `${this.#label}/partial-${branch}`);
      this.#partials[branch] = s;
      s.catch(() => {
        if (this.#partials[branch] === s) this.#partials[branch] = undefined;
      });
    }
    return s;
  }

  /** Release every session. Further calls throw `disposed`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const all: Promise<unknown>[] = [this.#full.release()];
    for (const p of this.#partials) if (p) all.push(p.then((s) => s.release()).catch(() => undefined));
    await Promise.all(all);
  }

  #check(): void {
    if (this.#disposed) throw new RuntimeError('disposed', 'This UNet was disposed: load the model again.');
  }
}

function pick(feeds: Readonly<Record<string, Tensor>>, names: readonly string[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const n of names) {
    const t = feeds[n];
    if (!t)
      throw new RuntimeError(
        'io-mismatch',
        `No value for graph input ${JSON.stringify(n)}. Given: ${Object.keys(feeds)
          .map((k) => JSON.stringify(k))
          .join(', ')}.`,
      );
    out[n] = t;
  }
  return out;
}

/**
 * Prepare a UNet for cached schedules: run it once with every cache tensor (and every tensor the
 * MAC counter needs) as extra outputs, which reveals the caches' types and shapes and the per-node
 * MACs; cut the graph ({@link cutUnet}); open the full session (partial sessions open on first use
 * unless `eagerPartials`). The cost profile's partial MACs are the MACs of the nodes each partial
 * graph keeps.
 *
 * @param options - Model bytes, output and cache names, session factory, probe inputs.
 * @returns The {@link CachedUnet}.
 * @throws {@link RuntimeError} `invalid-model`, `unknown-tensor`, `invalid-cut`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * const unet = await prepareUnet({ model: bytes, output: 'noise_pred', cacheTensors, sessions, probeFeeds });
 * unet.costProfile; // { fullMacs, partialMacs: [...] }
 * ```
 * @public
 */
export async function prepareUnet(options: PrepareUnetOptions): Promise<CachedUnet> {
  const label = options.label ?? 'unet';
  const progress = (completed: number, message: string): void =>
    options.onProgress?.({ phase: 'load', completed, total: 3, fraction: completed / 3, message });
  const m = parseModel(options.model, `${label} model`);
  const graph = graphOf(m);
  const plan = planMacCount(graph);
  const macNames = macProbeNames(graph, plan);
  const cacheNames = [...options.cacheTensors];
  const field = options.cacheField ?? ((b: number) => `unet.cache[${b}].tensor`);
  checkCutPoints(graph, cacheNames, field);
  const probeOutputs = [...new Set([...cacheNames, ...macNames])];
  // Validate names (unknown-tensor with suggestions) before opening anything.
  const probeModel = writeModel(withOutputs(m, probeOutputs));
  throwIfAborted(options.signal, 'Preparing the UNet');
  progress(0, 'probing shapes');
  const probe = await openSession(options.sessions, probeModel, `${label}/probe`);
  let out: Record<string, Tensor>;
  try {
    out = await runSession(probe, pick(options.probeFeeds, probe.inputNames), [options.output, ...probeOutputs], `${label} (probe run)`);
  } finally {
    await probe.release();
  }
  const batch = Number(options.probeFeeds[probe.inputNames[0] ?? '']?.dims[0] ?? 1) || 1;
  const inits = initializerShapes(graph);
  const macs = evaluateMacPlan(plan, (n) => inits.get(n) ?? (out[n] ?? options.probeFeeds[n])?.dims.map(Number), batch);
  const cacheInfo = cacheNames.map((name) => {
    const t = out[name]!;
    return Object.freeze({ name, type: t.type, dims: Object.freeze(t.dims.map(Number)) });
  });
  throwIfAborted(options.signal, 'Preparing the UNet');
  progress(1, 'cutting the graph');
  const cacheTypes: Record<string, TensorTypeInfo> = {};
  for (const c of cacheInfo) cacheTypes[c.name] = { type: c.type, dims: c.dims };
  const graphs: CutGraphs =
    cacheNames.length > 0
      ? cutUnet(options.model, { output: options.output, cacheTensors: cacheNames, cacheTypes, cacheField: field })
      : Object.freeze({ full: options.model, partials: [], partialNodes: [], partialInputs: [], nodeCount: graph.node.length });
  const byNode = new Map(macs.nodes.map((n) => [n.index, n.macs] as const));
  const partialMacs = graphs.partialNodes.map((nodes) => nodes.reduce((s, i) => s + (byNode.get(i) ?? 0), 0));
  const costProfile: CostProfile = Object.freeze({ fullMacs: macs.total, partialMacs: Object.freeze(partialMacs) });
  const warnings = cutWarnings(costProfile, graphs, options.probeFeeds, cacheNames, field);
  progress(2, 'opening sessions');
  // The cache outputs are only fed back to the partial graphs: a backend may keep them on its device.
  const full = await openSession(options.sessions, graphs.full, `${label}/full`, cacheNames);
  const unet = new CachedUnet({
    full,
    graphs,
    output: options.output,
    macs,
    costProfile,
    cacheInfo,
    sessions: options.sessions,
    label,
    warnings,
  });
  try {
    if (options.eagerPartials) for (let b = 0; b < unet.branches; b++) await unet.partialSession(b);
    throwIfAborted(options.signal, 'Preparing the UNet');
  } catch (e) {
    await unet.dispose();
    throw e;
  }
  progress(3, 'ready');
  return unet;
}

/** The {@link CachedUnet.warnings} of a cut: costly branches, and branches that ignore the sample. */
function cutWarnings(
  cost: CostProfile,
  graphs: CutGraphs,
  probeFeeds: Readonly<Record<string, Tensor>>,
  names: readonly string[],
  field: (branch: number) => string,
): string[] {
  const out: string[] = [];
  // the noisy sample is the [B, C, H, W] feed; a partial graph that reads none of them ignores x_t
  const samples = Object.entries(probeFeeds)
    .filter(([, t]) => t.dims.length === 4)
    .map(([n]) => n);
  names.forEach((name, b) => {
    const ratio = cost.fullMacs > 0 ? cost.partialMacs[b]! / cost.fullMacs : 0;
    if (ratio >= COSTLY_CUT_RATIO) {
      out.push(
        `Cut point ${field(b)} ${JSON.stringify(name)}: a partial step of branch ${b} costs ${(100 * ratio).toFixed(1)}% of a full ` +
          "step's MACs, so it saves almost nothing; choose a deeper tensor (an up block's output, see `flexi inspect`).",
      );
    }
    const reads = graphs.partialInputs[b] ?? [];
    if (samples.length > 0 && !samples.some((s) => reads.includes(s))) {
      out.push(
        `Cut point ${field(b)} ${JSON.stringify(name)}: the partial graph of branch ${b} does not read the noisy sample ` +
          `(${samples.join(', ')}), so a partial step ignores x_t${reads.length === 0 ? ' and only repeats the cached prediction' : ''}.`,
      );
    }
  });
  return out;
}
