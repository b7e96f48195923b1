import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ActiveBackend, Backend, ModelSource, OperationOptions } from '../backend.js';
import { prepareUnet } from '../cached-unet.js';
import { loadClipTokenizer } from '../clip-tokenizer.js';
import { RuntimeError, oneOf } from '../errors.js';
import { inspectGraph, type GraphSummary } from '../graph-cut.js';
import { sha256Hex, throwIfAborted, utf8Encode } from '../internal/platform.js';
import { openSession } from '../internal/session.js';
import { filledTensor, floatTensor } from '../internal/tensor.js';
import { loadManifest, readModelFile, type ModelManifest } from '../manifest.js';
import { classLabelStage } from '../pipeline/class-labels.js';
import { identityDecoding, vaeDecoding } from '../pipeline/decoding.js';
import { PromptStage } from '../pipeline/prompts.js';
import type { ConditioningStage, DecodingStage } from '../pipeline/stages.js';
import { resolveBackend } from '../resolve-backend.js';
import { Model } from './model.js';

/**
 * Options of {@link openModel}.
 *
 * @public
 */
export interface OpenModelOptions extends OperationOptions {
  /** Reads the model folder's files. */
  readonly source: ModelSource;
  /**
   * Where the sessions run: one backend, a list to try in order ({@link resolveBackend}: the first
   * that starts is used), or an already started backend.
   */
  readonly backend: Backend | ActiveBackend | readonly Backend[];
  /** Called for each backend that failed to start before one did (to say why a fallback happened). */
  readonly onFallback?: (failed: { readonly name: string; readonly error: unknown }) => void;
  /** The manifest, when already loaded (default: read `model.json` from `source`). */
  readonly manifest?: ModelManifest;
  /** Check files against the manifest's SHA-256 (default true; skipped where there is no Web Crypto). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load rather than on first use (default false). */
  readonly eagerPartials?: boolean;
}

function inputType(summary: GraphSummary, name: string, fallback: string): string {
  return summary.inputs.find((i) => i.name === name)?.type ?? fallback;
}

function isActive(b: unknown): b is ActiveBackend {
  return typeof b === 'object' && b !== null && typeof (b as ActiveBackend).sessions?.create === 'function';
}

/** Resolve the `backend` option to a started backend. @internal */
export async function startBackend(options: Pick<OpenModelOptions, 'backend' | 'onFallback' | 'signal'>): Promise<ActiveBackend> {
  const given = (options as Partial<OpenModelOptions>).backend;
  if (isActive(given)) return given;
  const list = Array.isArray(given)
    ? (given as readonly Backend[])
    : given && typeof (given as Backend).init === 'function'
      ? [given as Backend]
      : null;
  if (!list) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid backend ${String(given)}: expected a backend (e.g. cpuBackend() from "@flexiffusion/runtime-node", ` +
        'webgpuBackend() from "@flexiffusion/runtime-web/webgpu"), a list of them to try in order, or a started backend.',
    );
  }
  return resolveBackend(list, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
  });
}

function checkUnetIO(manifest: ModelManifest, summary: GraphSummary): void {
  const u = manifest.unet;
  const names = summary.inputs.map((i) => i.name);
  const roles = Object.entries(u.inputs) as [string, string][];
  for (const [role, name] of roles) {
    if (!names.includes(name)) {
      throw new RuntimeError(
        'io-mismatch',
        `The UNet (${u.file}) has no input ${JSON.stringify(name)} (unet.inputs.${role}). Should be one of: ${oneOf(names)}.`,
      );
    }
  }
  const mapped = new Set(roles.map(([, n]) => n));
  const extra = names.filter((n) => !mapped.has(n));
  if (extra.length > 0) {
    throw new RuntimeError(
      'io-mismatch',
      `The UNet (${u.file}) needs input${extra.length > 1 ? 's' : ''} ${oneOf(extra)} that the manifest does not map: ` +
        `unet.inputs maps ${oneOf([...mapped])}.`,
    );
  }
  if (!summary.outputs.includes(u.output)) {
    throw new RuntimeError(
      'io-mismatch',
      `The UNet (${u.file}) has no output ${JSON.stringify(u.output)} (unet.output). Should be one of: ${oneOf(summary.outputs)}.`,
    );
  }
  const dims = summary.inputs.find((i) => i.name === u.inputs.sample)?.dims;
  if (dims) {
    const bad = dims.length !== 4 || dims.slice(1).some((d, i) => typeof d === 'number' && d !== u.sampleShape[i]);
    if (bad) {
      throw new RuntimeError(
        'shape-mismatch',
        `The UNet's ${JSON.stringify(u.inputs.sample)} input has shape [${dims.map((d) => d ?? '?').join(', ')}] but unet.sampleShape is ` +
          `[${u.sampleShape.join(', ')}]: expected [batch, ${u.sampleShape.join(', ')}].`,
      );
    }
  }
}

function checkIO(what: string, file: string, summary: GraphSummary, input: string, output: string): void {
  if (!summary.inputs.some((i) => i.name === input) || !summary.outputs.includes(output)) {
    throw new RuntimeError(
      'io-mismatch',
      `The ${what} (${file}) has inputs ${oneOf(summary.inputs.map((i) => i.name))} and outputs ${oneOf(summary.outputs)}: ` +
        `expected input ${JSON.stringify(input)} and output ${JSON.stringify(output)}.`,
    );
  }
}

/**
 * Load a model folder into a {@link Model}: start the backend, read and validate the manifest,
 * read the ONNX files (checking SHA-256), check the UNet's input and output names and sample shape
 * against the manifest, compose the family's pipeline (conditioning stages: class labels, prompts
 * through the tokenizer and text encoder; decoding stage: identity or the VAE decoder), cut the
 * UNet for cached steps, count its MACs, and open the sessions.
 *
 * Platform packages wrap it: `loadModel` of `@flexiffusion/runtime-node` (a folder or an embedded
 * model name, cpu / cuda) and of `@flexiffusion/runtime-web` (a URL, webgpu / wasm).
 *
 * @param options - File source, backend(s), optional manifest, `signal`, `onProgress`.
 * @returns The model; `dispose()` it when done.
 * @throws {@link RuntimeError} `unsupported` (no backend starts: one entry per backend in `issues`),
 *   `missing-file`, `checksum-mismatch`, `invalid-manifest`, `io-mismatch`, `shape-mismatch`,
 *   `unknown-tensor`, `invalid-cut`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * const model = await openModel({ source, backend: [webgpuBackend(), wasmBackend()] });
 * const { samples } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [3, 7] });
 * await model.dispose();
 * ```
 * @public
 */
export async function openModel(options: OpenModelOptions): Promise<Model> {
  const { source, signal } = options;
  const backend = await startBackend(options);
  const sessions = backend.sessions;
  const verify = options.verifyChecksums ?? true;
  const report = (completed: number, total: number, message: string): void =>
    options.onProgress?.({ phase: 'load', completed, total, fraction: completed / total, message });
  const manifest = options.manifest ?? (await loadManifest(source, signal ? { signal } : {}));
  // Every file read is hashed (whatever the manifest says): the model's contentHash keys caches.
  const files: { path: string; sha256: string | null }[] = [];
  const read = async (file: string, sha: string | undefined, role: string): Promise<Uint8Array> => {
    const bytes = await readModelFile(source, file, { role, ...(verify && sha ? { sha256: sha } : {}), ...(signal ? { signal } : {}) });
    files.push({ path: file, sha256: await sha256Hex(bytes) });
    return bytes;
  };
  const steps = 3 + (manifest.vae ? 1 : 0) + (manifest.textEncoder ? 1 : 0);
  let step = 0;
  report(step, steps, `reading ${manifest.unet.file}`);
  const unetBytes = await read(manifest.unet.file, manifest.unet.sha256, 'unet.file');
  const summary = inspectGraph(unetBytes);
  checkUnetIO(manifest, summary);
  report(++step, steps, 'opening the other networks');
  const u = manifest.unet;
  const conditioning: ConditioningStage[] = [];
  let decoding: DecodingStage | null = null;
  const opened: InferenceSession[] = [];
  try {
    if (u.inputs.classLabels) {
      const c = manifest.conditioning!;
      conditioning.push(
        classLabelStage({
          model: manifest.name,
          input: u.inputs.classLabels,
          type: inputType(summary, u.inputs.classLabels, 'int64'),
          numClasses: c.numClasses!,
          unconditionalLabel: c.unconditionalLabel!,
        }),
      );
    }
    if (manifest.family === 'stable-diffusion' && manifest.textEncoder && manifest.tokenizer && u.inputs.encoderHiddenStates) {
      const te = manifest.textEncoder;
      const [tokenizer, teBytes] = await Promise.all([
        loadClipTokenizer(manifest.tokenizer, (file, role) => read(file, undefined, role), { maxLength: te.maxLength }),
        read(te.file, te.sha256, 'textEncoder.file'),
      ]);
      const teSummary = inspectGraph(teBytes);
      checkIO('text encoder', te.file, teSummary, te.input, te.output);
      const session = await openSession(sessions, teBytes, 'text_encoder');
      opened.push(session);
      conditioning.push(
        new PromptStage({
          tokenizer,
          session,
          input: te.input,
          output: te.output,
          inputType: teSummary.inputs.find((i) => i.name === te.input)?.type ?? 'int32',
          unetInput: u.inputs.encoderHiddenStates,
          unetInputType: inputType(summary, u.inputs.encoderHiddenStates, 'float32'),
        }),
      );
      report(++step, steps, 'text encoder ready');
    }
    if (manifest.vae) {
      const v = manifest.vae;
      const vBytes = await read(v.file, v.sha256, 'vae.file');
      checkIO('VAE decoder', v.file, inspectGraph(vBytes), v.input, v.output);
      const session = await openSession(sessions, vBytes, 'vae_decoder');
      opened.push(session);
      decoding = vaeDecoding({ session, input: v.input, output: v.output, scalingFactor: v.scalingFactor, sampleShape: u.sampleShape });
      report(++step, steps, 'VAE decoder ready');
    }
    throwIfAborted(signal, 'Loading the model');
    // Probe feeds at batch 1: zeros, the unconditional label / empty prompt (not remembered), t = trainTimesteps / 2.
    const sampleType = inputType(summary, u.inputs.sample, 'float32');
    const timestepType = u.timestepType ?? inputType(summary, u.inputs.timestep, 'int64');
    const probeFeeds: Record<string, Tensor> = {
      [u.inputs.sample]: floatTensor(sampleType, new Float32Array(u.sampleShape[0] * u.sampleShape[1] * u.sampleShape[2]), [
        1,
        ...u.sampleShape,
      ]),
      [u.inputs.timestep]: filledTensor(timestepType, Math.floor(manifest.scheduler.trainTimesteps / 2), 1),
    };
    const neutral = { labels: [manifest.conditioning?.unconditionalLabel ?? 0], prompts: [''], negativePrompts: [''] };
    for (const stage of conditioning) Object.assign(probeFeeds, await stage.feeds(neutral, false, { cache: false }));
    const unet = await prepareUnet({
      model: unetBytes,
      output: u.output,
      cacheTensors: u.cache.map((c) => c.tensor),
      sessions,
      probeFeeds,
      ...(options.eagerPartials ? { eagerPartials: true } : {}),
      ...(signal ? { signal } : {}),
    });
    report(steps, steps, 'ready');
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const hashed = files.every((f) => f.sha256 !== null);
    const contentHash = hashed ? await sha256Hex(utf8Encode(JSON.stringify({ manifest, files }))) : null;
    return new Model({
      files: Object.freeze(files.map((f) => Object.freeze(f))),
      contentHash,
      manifest,
      location: source.location ?? manifest.name,
      backend,
      unet,
      pipeline: Object.freeze({ conditioning: Object.freeze(conditioning), decoding: decoding ?? identityDecoding(u.sampleShape) }),
      sampleType,
      timestepType,
    });
  } catch (e) {
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}
