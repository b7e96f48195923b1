/**
 * Every place the CLI touches runtime-node's model API: loading a model (in the main thread and in a generator
 * worker), opening the feature network's session, reading a file of the model folder, and turning samples into a
 * PNG grid. When that API changes, this is the file to adapt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageGrid, RuntimeError, samplesToImages, type Model, type SessionFactory } from '@flexiffusion/runtime';
import { encodePng, loadModel, NODE_DEVICES, type NodeDevice } from '@flexiffusion/runtime-node';
import { CliError } from './args.js';

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
      throw new CliError(`model-${e.code}`, `flexi ${command}: cannot load model "${nameOrDir}": ${e.message}`, { cause: e, exitCode: 1 });
    }
    throw e;
  }
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

/** Labels 0..C−1 repeated to n samples (class-balanced), or all 0 for unconditional models. */
export function balancedLabels(model: CliModel, n: number): number[] {
  const c = model.manifest.conditioning?.numClasses ?? 0;
  return Array.from({ length: n }, (_, i) => (c > 0 ? i % c : 0));
}
