/**
 * Every place the CLI touches runtime-node's model API: loading a model (in the main thread and in a generator
 * worker), checking a request before anything runs, opening the feature network's session, reading a file of the
 * model folder, and turning samples into a PNG grid. When that API changes, this is the file to adapt.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { imageGrid, RuntimeError, samplesToImages, type GenerateOptions, type Model, type SessionFactory } from '@flexiffusion/runtime';
import { EMBEDDED_MODELS, encodePng, loadModel, NODE_DEVICES, type NodeDevice } from '@flexiffusion/runtime-node';
import { CliError } from './args.js';
import { runtimeExitCode } from './exit-codes.js';

/** The model the commands work with. */
export type CliModel = Model;

/** Where a model runs (`--device`). */
export type Device = NodeDevice;

/** The valid `--device` values. */
export const DEVICES: readonly Device[] = NODE_DEVICES;

/** Where and how a model runs. */
export interface RunOptions {
  readonly device: Device;
  readonly threads?: number | undefined;
}

function nodeOptions(o: RunOptions) {
  return { device: o.device, ...(o.threads !== undefined ? { threads: o.threads } : {}) };
}

/**
 * Open a model (name or folder) for a command, turning runtime errors into one-line CLI errors.
 * With `--device auto` it says on stderr which backend was chosen, and why another was not.
 */
export async function openModel(command: string, nameOrDir: string, options: RunOptions): Promise<CliModel> {
  const fallbacks: string[] = [];
  try {
    const model = await loadModel(nameOrDir, {
      ...nodeOptions(options),
      onFallback: ({ name, error }) => fallbacks.push(`${name} unavailable: ${error instanceof Error ? error.message : String(error)}`),
    });
    if (options.device === 'auto') {
      process.stderr.write(
        `flexi ${command}: --device auto chose ${model.backend.description}${fallbacks.length ? ` (${fallbacks.join('; ')})` : ''}\n`,
      );
    }
    return model;
  } catch (e) {
    if (e instanceof RuntimeError) {
      throw new CliError(`model-${e.code}`, `flexi ${command}: cannot load model "${nameOrDir}": ${e.message}`, {
        cause: e,
        exitCode: runtimeExitCode(e.code),
      });
    }
    throw e;
  }
}

/**
 * How a `--model` value is stored and opened: an embedded model's name stays a name; anything else is a folder,
 * made absolute so that a search resumes from any working folder.
 */
export function modelLocation(nameOrDir: string): string {
  return Object.hasOwn(EMBEDDED_MODELS, nameOrDir) ? nameOrDir : resolve(nameOrDir);
}

/** The identity of a model's content for cache keys: its name and the SHA-256 over its manifest and every file. */
export function modelId(model: CliModel): string {
  const files = model.files.map((f) => `${f.path}:${f.sha256 ?? 'unhashed'}`).join(',');
  return `${model.manifest.name}:${model.contentHash ?? files}`;
}

/**
 * Check a request against the model before any network runs (the sample count, schedule, prompts, labels,
 * guidance, image size): the runtime resolves the whole request before its first abort check, so a generation with
 * an aborted signal throws the request's first problem, or `aborted` when there is none. Prompt warnings
 * (truncation) are reported here, once. A RuntimeError becomes a one-line CliError (exit 2 for a bad request).
 */
export async function checkRequest(command: string, model: CliModel, options: Omit<GenerateOptions, 'signal'>): Promise<void> {
  const ctrl = new AbortController();
  ctrl.abort();
  try {
    await model.generate({ ...options, signal: ctrl.signal });
  } catch (e) {
    if (e instanceof RuntimeError && e.code === 'aborted') return;
    if (e instanceof RuntimeError) {
      throw new CliError(`request-${e.code}`, `flexi ${command}: ${e.message}`, { cause: e, exitCode: runtimeExitCode(e.code) });
    }
    throw e;
  }
}

/** A warning printer that prints each distinct runtime warning once, on stderr. */
export function warningPrinter(command: string): (w: { code: string; message: string }) => void {
  const seen = new Set<string>();
  return (w) => {
    const key = `${w.code}\u0000${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    process.stderr.write(`flexi ${command}: warning: ${w.message}\n`);
  };
}

/** Open a model in a generator worker thread (its errors go back to the pool as they are). */
export function openWorkerModel(nameOrDir: string, options: RunOptions): Promise<CliModel> {
  return loadModel(nameOrDir, nodeOptions(options));
}

/** The bytes of a file of the model's folder (`file` as the manifest names it). */
export async function readModelFile(model: CliModel, file: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(model.location, file)));
}

/** An onnxruntime session on a file of the model's folder (the feature network), on the given device. */
export async function openModelSession(
  model: CliModel,
  file: string,
  label: string,
): Promise<Awaited<ReturnType<SessionFactory['create']>>> {
  return model.backend.sessions.create(await readModelFile(model, file), { label });
}

/** PNG bytes of a grid of samples [N, C, H, W] in the model's value range and crop. */
export function gridPng(model: CliModel, result: { samples: Float32Array; shape: readonly number[] }, columns: number): Uint8Array {
  return encodePng(imageGrid(samplesToImages(result.samples, result.shape, model.imageOptions), { columns, padding: 2 }));
}
