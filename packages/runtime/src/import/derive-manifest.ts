// A diffusers / optimum ONNX export folder → the manifest's fields, read through the ModelSource
// (so Node and the browser run the same code). What is read from where, and every default:
//   family        model_index.json's components: text_encoder → stable-diffusion; vae_decoder
//                 without one → latent; else class-conditional when the UNet has class_labels,
//                 else unconditional
//   unet          unet/model.onnx: inputs by diffusers' names (sample, timestep,
//                 encoder_hidden_states, class_labels), output out_sample / noise_pred / the only
//                 one, timestepType from the timestep input; sampleShape from the graph's static
//                 dims, the rest from unet/config.json (in_channels, sample_size); prediction from
//                 the scheduler config; cache proposed from module names (proposeCutPoints)
//   scheduler     scheduler/scheduler_config.json through parseSchedulerConfig
//   textEncoder   text_encoder/model.onnx: input input_ids (or the only one), output
//                 last_hidden_state (or the first); maxLength = tokenizer_config.json's
//                 model_max_length, else the graph's static sequence length, else 77 (CLIP)
//   tokenizer     tokenizer/vocab.json + merges.txt, else tokenizer/tokenizer.json; padToken from
//                 tokenizer_config.json / special_tokens_map.json, else <|endoftext|> (SD-1.x)
//   vae           vae_decoder/model.onnx: input latent_sample (or the only one), output sample (or
//                 the first); scalingFactor = vae_decoder/config.json's scaling_factor, else 0.18215
//                 (SD-1.x / 2.x)
//   conditioning  stable-diffusion: defaultGuidanceScale 7.5 (diffusers' pipeline default)
//   image         range [-1, 1] (what diffusers' VAEs and pixel UNets produce)
//   name          the folder's name; description from model_index.json's _class_name
import { RuntimeError, oneOf, type RuntimeIssue } from '../errors.js';
import { summarizeModel, type GraphSummary } from '../graph-cut.js';
import { parseModel, type GraphProto } from '../internal/onnx.js';
import { handOver } from '../manifest/read-file.js';
import { TIMESTEP_TYPES, type TimestepType } from '../manifest/types.js';
import { proposeFromGraph, type CutPointProposals } from './cut-points.js';
import {
  MODEL_INDEX_FILE,
  parseJsonObject,
  readComponentFile,
  readOptionalFile,
  readOptionalJson,
  type ExportReader,
} from './export-files.js';
import { modelPathProblem } from './paths.js';
import { parseSchedulerConfig, type ImportedScheduler } from './scheduler-config.js';

/** SD-1.x and 2.x VAEs' latent scale, when vae_decoder/config.json has no scaling_factor. @public */
export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;
/** diffusers' StableDiffusionPipeline guidance_scale default. @public */
export const DEFAULT_SD_GUIDANCE_SCALE = 7.5;
/** CLIP's sequence length, when neither the tokenizer config nor the text encoder says. @public */
export const DEFAULT_TEXT_LENGTH = 77;

/**
 * What {@link deriveManifest} made of an export folder.
 *
 * @public
 */
export interface DerivedManifest {
  /** The manifest fields derived from the export's files (`model.json` may override and add). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** Where each field came from where a default or a choice was involved, one sentence each. */
  readonly notes: readonly string[];
  /** Fields that could not be derived, each with why: `model.json` must give them. */
  readonly unresolved: readonly RuntimeIssue[];
  /** The cut points proposed for the UNet (the manifest's `unet.cache` unless model.json gives one). */
  readonly cutPoints: CutPointProposals;
  /** The built-in sampler of the scheduler config's class, if there is one. */
  readonly sampler?: ImportedScheduler['sampler'];
  /** The components model_index.json lists (those whose entry is not `[null, null]`). */
  readonly components: readonly string[];
}

/**
 * Options of {@link deriveManifest}.
 *
 * @public
 */
export interface DeriveManifestOptions {
  /** Cancels the reads. */
  readonly signal?: ExportReader['signal'];
  /**
   * The folder's `model.json`, parsed, when it has one: what it maps is used while deriving (its
   * `unet.inputs` name the UNet's inputs for the timestep type, the family and the cut-point check).
   */
  readonly override?: Readonly<Record<string, unknown>>;
}

const UNET_ROLES = { sample: 'sample', timestep: 'timestep', encoderHiddenStates: 'encoder_hidden_states', classLabels: 'class_labels' };

function rec(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** model_index.json's components: entries `[library, class]` that are not `[null, null]`; names checked. */
function componentsOf(index: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(index)) {
    if (key.startsWith('_') || !Array.isArray(value) || value.every((x) => x === null)) continue;
    const problem = modelPathProblem(key) ?? (key.includes('/') || key === '.' ? 'a component is one folder of the model' : null);
    if (problem !== null) {
      const message = `Refused ${MODEL_INDEX_FILE} entry ${JSON.stringify(key)}: ${problem}. A component names a folder inside the model folder.`;
      throw new RuntimeError('invalid-manifest', message, {
        issues: [{ path: `${MODEL_INDEX_FILE}.${key}`, message: `refused: ${problem}` }],
      });
    }
    out.push(key);
  }
  return out;
}

function folderName(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const parts = location
    .replace(/[?#].*$/, '')
    .split(/[\\/]+/)
    .filter(Boolean);
  const last = parts[parts.length - 1];
  try {
    return last === undefined ? undefined : decodeURIComponent(last);
  } catch {
    return last;
  }
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** A graph's input or output by a preferred name, else the only one (inputs) / the first (outputs). */
function pick(names: readonly string[], preferred: string, firstOk: boolean): string | undefined {
  if (names.includes(preferred)) return preferred;
  return names.length === 1 || (firstOk && names.length > 0) ? names[0] : undefined;
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const content = rec(v)?.content;
  return typeof content === 'string' ? content : undefined;
}

async function readGraph(r: ExportReader, path: string, component: string): Promise<GraphSummary & { graph: GraphProto }> {
  const bytes = await readComponentFile(r, path, component, 'its network');
  const model = parseModel(bytes, path);
  handOver(r.source, path, bytes);
  return { ...summarizeModel(model), graph: model.graph! };
}

/**
 * Derive a model manifest from a diffusers / optimum ONNX export folder (`model_index.json`,
 * `scheduler/scheduler_config.json`, `unet/model.onnx` + `config.json`, `text_encoder/`,
 * `tokenizer/`, `vae_decoder/`), reading through a {@link ModelSource}: the same code runs on Node
 * and in the browser. The result is partial where the export cannot say (a class-conditional
 * model's number of classes, a UNet with its own input names): `unresolved` lists those fields,
 * which the folder's `model.json` must give. {@link loadManifest} merges and validates.
 *
 * The files the pipeline's components need are read (and the UNet's, text encoder's and VAE's
 * bytes kept for the next read of the same source, so openModel does not read them twice); a
 * missing one is `missing-file` naming the file and the component.
 *
 * @param source - Reads the export folder.
 * @param options - `override` (the parsed model.json), `signal`.
 * @returns The derived fields, notes on every default used, unresolved fields, the cut-point proposals.
 * @throws {@link RuntimeError} `missing-file`, `invalid-manifest` (bad JSON, a component name that
 *   leaves the folder, no unet), `shape-mismatch` (unet/config.json against the graph),
 *   `invalid-model`, and parseSchedulerConfig's errors.
 * @example
 * ```ts
 * const derived = await deriveManifest(fetchSource('/models/sd15/'));
 * derived.notes; // ['vae.scalingFactor: 0.18215 (the SD default: vae_decoder/config.json has no scaling_factor)', …]
 * ```
 * @public
 */
export async function deriveManifest(source: ExportReader['source'], options: DeriveManifestOptions = {}): Promise<DerivedManifest> {
  const r: ExportReader = { source, signal: options.signal };
  const override = options.override ?? {};
  const notes: string[] = [];
  const unresolved: RuntimeIssue[] = [];
  const unresolve = (path: string, message: string): void => void unresolved.push({ path, message });
  const indexBytes = await readComponentFile(r, MODEL_INDEX_FILE, 'pipeline', 'the list of components');
  const index = parseJsonObject(indexBytes, MODEL_INDEX_FILE);
  const components = componentsOf(index);
  const has = (c: string): boolean => components.includes(c);
  const pipelineClass = typeof index._class_name === 'string' ? index._class_name : 'diffusers pipeline';
  if (!has('unet')) {
    throw new RuntimeError(
      'invalid-manifest',
      `${MODEL_INDEX_FILE} lists no unet component (it lists ${oneOf(components)}): expected a diffusers pipeline export with unet/model.onnx.`,
      { issues: [{ path: `${MODEL_INDEX_FILE}.unet`, message: 'missing' }] },
    );
  }
  const m: Record<string, unknown> = { format: 1 };
  const name = folderName(source.location) ?? pipelineClass;
  m.name = name;
  m.description = `${pipelineClass} export${typeof index._diffusers_version === 'string' ? ` (diffusers ${index._diffusers_version})` : ''}; manifest derived from its files.`;

  // ---- scheduler
  let prediction: string | undefined;
  let sampler: DerivedManifest['sampler'];
  if (has('scheduler')) {
    const file = 'scheduler/scheduler_config.json';
    const config = parseJsonObject(await readComponentFile(r, file, 'scheduler', 'the noise schedule'), file);
    const imported = parseSchedulerConfig(config, file);
    m.scheduler = imported.scheduler;
    prediction = imported.prediction;
    sampler = imported.sampler;
    const cls = typeof config._class_name === 'string' ? config._class_name : 'the scheduler';
    notes.push(
      `scheduler: from ${file} (${cls}${sampler ? `; its sampler is "${sampler}"` : '; no built-in sampler runs it: ddim runs on its noise schedule'}).`,
    );
  } else unresolve('scheduler', `${MODEL_INDEX_FILE} lists no scheduler component: give the scheduler block in model.json.`);

  // ---- unet
  const unetGraph = await readGraph(r, 'unet/model.onnx', 'unet');
  const unetConfig = await readOptionalJson(r, 'unet/config.json');
  const inputNames = unetGraph.inputs.map((i) => i.name);
  const given = rec(rec(override.unet)?.inputs);
  const inputs: Record<string, string> = {};
  if (given) {
    for (const [role, n] of Object.entries(given)) if (typeof n === 'string') inputs[role] = n;
  } else {
    for (const [role, n] of Object.entries(UNET_ROLES)) if (inputNames.includes(n)) inputs[role] = n;
    const unmapped = inputNames.filter((n) => !Object.values(inputs).includes(n));
    for (const role of ['sample', 'timestep'] as const) {
      if (inputs[role] === undefined) {
        unresolve(
          `unet.inputs.${role}`,
          `The UNet's inputs are ${oneOf(inputNames)}: none has diffusers' name ${JSON.stringify(UNET_ROLES[role])}. ` +
            `Map them in model.json: "unet": { "inputs": { "sample": …, "timestep": … } }.`,
        );
      }
    }
    if (unmapped.length > 0 && inputs.sample !== undefined && inputs.timestep !== undefined) {
      unresolve(
        'unet.inputs',
        `The UNet takes input${unmapped.length > 1 ? 's' : ''} ${oneOf(unmapped)} that no pipeline stage feeds ` +
          '(SDXL-style added conditioning is not supported); map them in model.json only if they are one of its roles.',
      );
    }
  }
  const u: Record<string, unknown> = { file: 'unet/model.onnx' };
  if (Object.keys(inputs).length > 0) u.inputs = inputs;
  const output = pick(unetGraph.outputs, 'out_sample', false) ?? pick(unetGraph.outputs, 'noise_pred', false);
  const outputName = typeof rec(override.unet)?.output === 'string' ? (rec(override.unet)!.output as string) : output;
  if (output !== undefined) u.output = output;
  else unresolve('unet.output', `The UNet has outputs ${oneOf(unetGraph.outputs)}: name the prediction in model.json's unet.output.`);
  // model.json's sampleShape wins: then neither unet/config.json nor its agreement with the graph is needed
  const shapeGiven = rec(override.unet)?.sampleShape !== undefined;
  const sampleIn = unetGraph.inputs.find((i) => i.name === inputs.sample);
  const dims = sampleIn?.dims?.slice(1) ?? [null, null, null];
  const size = unetConfig?.sample_size;
  const [sh, sw] = Array.isArray(size) ? size.map(positiveInt) : [positiveInt(size), positiveInt(size)];
  const fromConfig = [positiveInt(unetConfig?.in_channels), sh, sw];
  const shape = [0, 1, 2].map((k) => {
    const g = dims[k];
    const c = fromConfig[k];
    if (!shapeGiven && typeof g === 'number' && c !== undefined && g !== c) {
      throw new RuntimeError(
        'shape-mismatch',
        `unet/config.json gives ${['in_channels', 'sample_size (height)', 'sample_size (width)'][k]} ${c}, but the UNet's ` +
          `${JSON.stringify(inputs.sample)} input has ${g} there: the config is not this graph's.`,
      );
    }
    return typeof g === 'number' ? g : c;
  });
  if (shape.every((d) => d !== undefined)) u.sampleShape = shape;
  else if (inputs.sample !== undefined && !shapeGiven) {
    if (unetConfig === null)
      await readComponentFile(r, 'unet/config.json', 'unet', 'sample_size and in_channels (the graph leaves them free)');
    unresolve(
      'unet.sampleShape',
      "unet/config.json has no in_channels / sample_size for the graph's free dimensions: give unet.sampleShape.",
    );
  }
  if (prediction !== undefined) u.prediction = prediction;
  const tType = unetGraph.inputs.find((i) => i.name === inputs.timestep)?.type;
  if (tType && (TIMESTEP_TYPES as readonly string[]).includes(tType)) u.timestepType = tType as TimestepType;
  const cutPoints = proposeFromGraph(unetGraph.graph, {
    ...(outputName !== undefined ? { output: outputName } : {}),
    ...(inputs.sample !== undefined ? { sample: inputs.sample } : {}),
  });
  u.cache = cutPoints.points.map((p, branch) => ({ branch, tensor: p.tensor }));
  notes.push(
    cutPoints.points.length > 0
      ? `unet.cache: ${cutPoints.points.length} cut points proposed from diffusers module names (${cutPoints.points.map((p) => p.module).join(', ')}).`
      : 'unet.cache: empty: the UNet graph has no diffusers module names (/up_blocks.N/…); only full and null steps run unless model.json names cut points.',
  );
  for (const s of cutPoints.skipped)
    notes.push(`unet.cache: ${s.module}'s output ${JSON.stringify(s.tensor)} is not proposed: ${s.reason}.`);
  m.unet = u;

  // ---- family
  const text = has('text_encoder');
  const vae = has('vae_decoder');
  if (!vae && has('vae')) {
    throw new RuntimeError(
      'invalid-manifest',
      `${MODEL_INDEX_FILE} lists a "vae" component but no "vae_decoder": this is a PyTorch pipeline folder, not an ONNX export ` +
        '(export it first, e.g. `optimum-cli export onnx --model DIR OUT`).',
    );
  }
  const family = text ? 'stable-diffusion' : vae ? 'latent' : inputs.classLabels !== undefined ? 'class-conditional' : 'unconditional';
  m.family = family;
  notes.push(
    `family: ${family} (${text ? 'a text_encoder component' : vae ? 'a vae_decoder and no text encoder' : inputs.classLabels ? 'the UNet takes class labels' : 'no text encoder, VAE or class labels'}).`,
  );
  if (inputs.classLabels !== undefined && rec(override.conditioning) === undefined) {
    const n = positiveInt(unetConfig?.num_class_embeds);
    unresolve(
      'conditioning',
      'The UNet takes class labels, but an export does not say which label is the unconditional one: give conditioning.numClasses ' +
        `and conditioning.unconditionalLabel in model.json${n ? ` (unet/config.json has num_class_embeds ${n})` : ''}.`,
    );
  }

  // ---- text encoder and tokenizer
  if (text) {
    const te = await readGraph(r, 'text_encoder/model.onnx', 'text_encoder');
    const input = pick(
      te.inputs.map((i) => i.name),
      'input_ids',
      false,
    );
    const teOut = pick(te.outputs, 'last_hidden_state', true);
    const t: Record<string, unknown> = { file: 'text_encoder/model.onnx' };
    if (input !== undefined) t.input = input;
    else
      unresolve(
        'textEncoder.input',
        `The text encoder has inputs ${oneOf(te.inputs.map((i) => i.name))}: name the token ids in model.json.`,
      );
    if (teOut !== undefined) t.output = teOut;
    const config = has('tokenizer') ? await readOptionalJson(r, 'tokenizer/tokenizer_config.json') : null;
    const configured = positiveInt(config?.model_max_length);
    const staticLength = te.inputs.find((i) => i.name === input)?.dims?.[1];
    if (configured !== undefined && configured >= 2 && configured <= 1_000_000) t.maxLength = configured;
    else if (typeof staticLength === 'number' && staticLength >= 2) {
      t.maxLength = staticLength;
      notes.push(
        `textEncoder.maxLength: ${staticLength}, the text encoder's sequence length (tokenizer_config.json has no model_max_length).`,
      );
    } else {
      t.maxLength = DEFAULT_TEXT_LENGTH;
      notes.push(`textEncoder.maxLength: ${DEFAULT_TEXT_LENGTH} (CLIP's default: tokenizer_config.json has no model_max_length).`);
    }
    m.textEncoder = t;
    if (has('tokenizer')) {
      const tok: Record<string, unknown> = {};
      const vocab = await readOptionalFile(r, 'tokenizer/vocab.json');
      if (vocab !== null) {
        handOver(source, 'tokenizer/vocab.json', vocab);
        handOver(
          source,
          'tokenizer/merges.txt',
          await readComponentFile(r, 'tokenizer/merges.txt', 'tokenizer', 'the BPE merges (with vocab.json)'),
        );
        tok.vocab = 'tokenizer/vocab.json';
        tok.merges = 'tokenizer/merges.txt';
      } else {
        const json = await readOptionalFile(r, 'tokenizer/tokenizer.json');
        if (json === null)
          await readComponentFile(r, 'tokenizer/vocab.json', 'tokenizer', 'its vocabulary (vocab.json + merges.txt, or tokenizer.json)');
        handOver(source, 'tokenizer/tokenizer.json', json!);
        tok.json = 'tokenizer/tokenizer.json';
      }
      const special = config?.pad_token === undefined ? await readOptionalJson(r, 'tokenizer/special_tokens_map.json') : null;
      const pad = tokenText(config?.pad_token) ?? tokenText(special?.pad_token);
      tok.padToken = pad ?? '<|endoftext|>';
      if (pad === undefined)
        notes.push('tokenizer.padToken: "<|endoftext|>" (SD-1.x\'s: neither tokenizer_config.json nor special_tokens_map.json names one).');
      m.tokenizer = tok;
    } else
      unresolve(
        'tokenizer',
        `${MODEL_INDEX_FILE} lists a text_encoder but no tokenizer component: give the tokenizer block in model.json.`,
      );
    m.conditioning = { defaultGuidanceScale: DEFAULT_SD_GUIDANCE_SCALE };
    notes.push(`conditioning.defaultGuidanceScale: ${DEFAULT_SD_GUIDANCE_SCALE} (diffusers' StableDiffusionPipeline default).`);
  }

  // ---- VAE decoder
  if (vae) {
    const dec = await readGraph(r, 'vae_decoder/model.onnx', 'vae_decoder');
    const input = pick(
      dec.inputs.map((i) => i.name),
      'latent_sample',
      false,
    );
    const out = pick(dec.outputs, 'sample', true);
    const config = await readOptionalJson(r, 'vae_decoder/config.json');
    const factor = config?.scaling_factor;
    const v: Record<string, unknown> = { file: 'vae_decoder/model.onnx' };
    if (input !== undefined) v.input = input;
    else unresolve('vae.input', `The VAE decoder has inputs ${oneOf(dec.inputs.map((i) => i.name))}: name the latent input in model.json.`);
    if (out !== undefined) v.output = out;
    if (typeof factor === 'number' && Number.isFinite(factor) && factor > 0) v.scalingFactor = factor;
    else {
      v.scalingFactor = DEFAULT_VAE_SCALING_FACTOR;
      notes.push(
        `vae.scalingFactor: ${DEFAULT_VAE_SCALING_FACTOR} (the SD-1.x / 2.x default: vae_decoder/config.json ${config === null ? 'is absent' : 'has no scaling_factor'}).`,
      );
    }
    m.vae = v;
  }
  m.image = { range: [-1, 1] };
  notes.push('image.range: [-1, 1] (what diffusers VAEs and pixel UNets produce).');
  m.provenance = {
    importedFrom: MODEL_INDEX_FILE,
    pipeline: pipelineClass,
    ...(typeof index._diffusers_version === 'string' ? { diffusersVersion: index._diffusers_version } : {}),
  };
  // the order of the format's documentation, so a written model.json reads top-down
  const manifest: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (m[key] !== undefined) manifest[key] = m[key];
  return { manifest, notes, unresolved, cutPoints, ...(sampler ? { sampler } : {}), components };
}

const KEY_ORDER = [
  'format',
  'name',
  'description',
  'family',
  'unet',
  'scheduler',
  'conditioning',
  'image',
  'vae',
  'textEncoder',
  'tokenizer',
  'provenance',
];
