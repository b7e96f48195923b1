import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  MANIFEST_FILE,
  RuntimeError,
  createPipeline,
  manifestImageOptions,
  type AbortSignalLike,
  type DiffusionPipeline,
  type GenerateOptions,
  type GenerateResult,
  type ModelManifest,
  type ModelSource,
  type PipelineProfile,
  type ProfileOptions,
  type ProgressEvent,
  type SampleBatch,
  type ToImageOptions,
} from '@flexiffusion/runtime';
import type { CostProfile } from '@flexiffusion/schedule';
import { saveImageGrid, saveSamplesAsPng, type SaveImagesOptions } from './png.js';
import { createSessionFactory, type ExecutionProvider } from './sessions.js';

/** Names of the embedded models and the packages that hold them. @public */
export const EMBEDDED_MODELS: Readonly<Record<string, string>> = Object.freeze({ fashion: '@flexiffusion/model-fashion' });

/**
 * Files of a model folder on disk.
 *
 * @param dir - The folder holding model.json.
 * @returns A {@link ModelSource} reading `dir/<path>`.
 * @public
 */
export function fileSource(dir: string): ModelSource {
  const root = resolve(dir);
  return {
    location: root,
    readFile: async (p) => {
      const buf = await readFile(join(root, ...p.split('/')));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

function packageDir(pkg: string): string | null {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    // the package may not export ./package.json: look for it on the node_modules path
    for (const base of require.resolve.paths(pkg) ?? []) {
      const d = join(base, ...pkg.split('/'));
      if (existsSync(join(d, 'package.json'))) return d;
    }
    return null;
  }
}

/**
 * Resolve a model name or folder to the folder holding model.json: `'fashion'` is the embedded
 * model (package `@flexiffusion/model-fashion`, its `model/` folder); anything else is a path.
 *
 * @param nameOrDir - An embedded model name or a folder.
 * @returns The absolute folder.
 * @throws {@link @flexiffusion/runtime!RuntimeError} `missing-file` when the package or folder is missing or has no model.json.
 * @public
 */
export function resolveModelDir(nameOrDir: string): string {
  const pkg = EMBEDDED_MODELS[nameOrDir];
  if (pkg !== undefined) {
    const dir = packageDir(pkg);
    if (!dir) {
      throw new RuntimeError('missing-file', `The embedded model ${JSON.stringify(nameOrDir)} lives in the package ${pkg}, which is not installed: npm install ${pkg}.`);
    }
    for (const d of [join(dir, 'model'), dir]) if (existsSync(join(d, MANIFEST_FILE))) return d;
    throw new RuntimeError('missing-file', `The package ${pkg} (${dir}) has no ${MANIFEST_FILE} in model/ or its root.`);
  }
  const dir = resolve(nameOrDir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // handled below
  }
  if (!isDir || !existsSync(join(dir, MANIFEST_FILE))) {
    throw new RuntimeError(
      'missing-file',
      `Unknown model ${JSON.stringify(nameOrDir)}: expected one of the embedded models (${Object.keys(EMBEDDED_MODELS).map((k) => `"${k}"`).join(', ')}) or a folder holding ${MANIFEST_FILE}` +
        `${isDir ? ` (${dir} has none)` : ''}.`,
    );
  }
  return dir;
}

/**
 * Options of {@link loadModel}.
 *
 * @public
 */
export interface LoadModelOptions {
  /** `cpu` (default) or `cuda`. */
  readonly executionProvider?: ExecutionProvider;
  /** Intra-op threads per session (default: onnxruntime's choice). */
  readonly threads?: number;
  /** Check files against the manifest's SHA-256 (default true). */
  readonly verifyChecksums?: boolean;
  /** Open every partial session at load (default: on first use). */
  readonly eagerPartials?: boolean;
  /** Cancels loading. */
  readonly signal?: AbortSignalLike;
  /** Loading progress. */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * The result of {@link NodeModel.profile}: the runtime's profile plus MAC ratios.
 *
 * @public
 */
export interface NodeModelProfile extends PipelineProfile {
  /** partialMacs[b] / fullMacs per branch. */
  readonly partialMacRatio: readonly number[];
  /** Measured partial latency / full latency per branch. */
  readonly partialLatencyRatio: readonly number[];
}

/**
 * A model loaded on Node: generate with any schedule, stream batches, profile, save PNGs.
 * Made by {@link loadModel}.
 *
 * @public
 */
export class NodeModel {
  /** The model folder. */
  readonly dir: string;
  /** The platform-free pipeline underneath. */
  readonly pipeline: DiffusionPipeline;

  /** @internal */
  constructor(dir: string, pipeline: DiffusionPipeline) {
    this.dir = dir;
    this.pipeline = pipeline;
  }

  /** The manifest. */
  get manifest(): ModelManifest {
    return this.pipeline.manifest;
  }

  /** MACs per sample of a full step and of each branch's partial step. */
  get costProfile(): CostProfile {
    return this.pipeline.costProfile;
  }

  /** Number of cache branches. */
  get branches(): number {
    return this.pipeline.branches;
  }

  /** The manifest's image range and crop, for {@link saveSamplesAsPng} and friends. */
  get imageOptions(): ToImageOptions {
    return manifestImageOptions(this.manifest);
  }

  /**
   * Generate samples.
   *
   * @param options - Schedule, labels / prompts, seeds or initialNoise, guidanceScale, sampler,
   *   batchSize, nullMode, signal, onProgress.
   * @returns `{ samples, shape }`: a Float32Array [N, C, H, W] of raw final samples (model space, not clipped).
   * @throws `RuntimeError` for bad options, `aborted`; `ScheduleError` for a bad schedule.
   * @example
   * ```ts
   * const model = await loadModel('fashion');
   * const { samples, shape } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [0, 1, 2], seeds: [1, 2, 3] });
   * await saveImageGrid('grid.png', samples, shape, model.imageOptions);
   * ```
   */
  generate(options: GenerateOptions): Promise<GenerateResult> {
    return this.pipeline.generate(options);
  }

  /**
   * Generate batch by batch (an async iterator), as {@link NodeModel.generate}.
   *
   * @param options - As {@link NodeModel.generate}.
   * @returns Batches in order.
   */
  stream(options: GenerateOptions): AsyncGenerator<SampleBatch, void, undefined> {
    return this.pipeline.stream(options);
  }

  /**
   * The cost profile and measured per-kind step latencies.
   *
   * @param options - Batch size, repeats, warm-up.
   * @returns The profile with MAC and latency ratios.
   */
  async profile(options: ProfileOptions = {}): Promise<NodeModelProfile> {
    const p = await this.pipeline.profile(options);
    return {
      ...p,
      partialMacRatio: p.costProfile.partialMacs.map((m) => m / p.costProfile.fullMacs),
      partialLatencyRatio: p.latencyMs.partial.map((l) => l / p.latencyMs.full),
    };
  }

  /**
   * Write a result's samples as PNG files, one per sample, with the manifest's range and crop.
   *
   * @param dir - Output folder.
   * @param result - A generate result or stream batch.
   * @param options - Overrides (prefix, startIndex, range, crop).
   * @returns The written paths.
   */
  saveImages(dir: string, result: { samples: Float32Array; shape: readonly number[]; offset?: number }, options: SaveImagesOptions = {}): Promise<string[]> {
    return saveSamplesAsPng(dir, result.samples, result.shape, { ...this.imageOptions, ...(result.offset !== undefined ? { startIndex: result.offset } : {}), ...options });
  }

  /**
   * Write a result's samples as one PNG grid.
   *
   * @param path - Output file.
   * @param result - A generate result.
   * @param options - Columns, padding, overrides.
   * @returns Resolves when written.
   */
  saveGrid(path: string, result: { samples: Float32Array; shape: readonly number[] }, options: Parameters<typeof saveImageGrid>[3] = {}): Promise<void> {
    return saveImageGrid(path, result.samples, result.shape, { ...this.imageOptions, ...options });
  }

  /** Release the sessions. */
  dispose(): Promise<void> {
    return this.pipeline.dispose();
  }
}

/**
 * Load a model for generation on Node with onnxruntime-node.
 *
 * @param nameOrDir - `'fashion'` (the embedded model) or a folder holding model.json.
 * @param options - `executionProvider` (`cpu` | `cuda`), `threads`, `verifyChecksums`, `signal`, `onProgress`.
 * @returns The {@link NodeModel}; `dispose()` it when done.
 * @throws `RuntimeError`: `missing-file` (no such model, package or file), `unsupported` (a provider
 *   that is unknown or not installed — the message says how to install CUDA), `invalid-manifest`,
 *   `io-mismatch`, `shape-mismatch`, `session-failed`, `aborted`.
 * @example
 * ```ts
 * import { loadModel } from '@flexiffusion/runtime-node';
 * const model = await loadModel('fashion', { executionProvider: 'cpu', threads: 2 });
 * const { samples } = await model.generate({ schedule: 'F P0 N | F P0 N', labels: [3], seeds: [42] });
 * await model.dispose();
 * ```
 * @public
 */
export async function loadModel(nameOrDir: string, options: LoadModelOptions = {}): Promise<NodeModel> {
  const dir = resolveModelDir(nameOrDir);
  const sessions = createSessionFactory({
    ...(options.executionProvider ? { executionProvider: options.executionProvider } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const pipeline = await createPipeline({
    source: fileSource(dir),
    sessions,
    ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
    ...(options.eagerPartials ? { eagerPartials: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return new NodeModel(dir, pipeline);
}
