import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ConditioningSpec,
  FeatureNetworkSpec,
  ImageSpec,
  ModelManifest,
  ReferenceStatsSpec,
  SchedulerSpec,
  UnetSpec,
} from '@flexiffusion/runtime';

/**
 * Name of the manifest file in the model folder (`MANIFEST_FILE` of `@flexiffusion/runtime`, kept
 * here as a value so that this package imports the runtime for types only).
 *
 * @public
 */
export const MANIFEST_FILE = 'model.json';

/**
 * The embedded model's manifest: a {@link ModelManifest} of `@flexiffusion/runtime` (which
 * validates it, `validateManifest`) with the blocks this model always has made required, and its
 * `testSample` block, a field the format leaves to model packages.
 *
 * @public
 */
export interface FashionManifest extends ModelManifest {
  /** Model name: `'fashion'`. */
  readonly name: 'fashion';
  /** Model family: class-conditional. */
  readonly family: 'class-conditional';
  /** The UNet: ε-prediction, [1, 32, 32] samples (28×28 images padded by 2 pixels), three cache branches. */
  readonly unet: UnetSpec & {
    /** Lowercase hex SHA-256 of the file. */
    readonly sha256: string;
    /** Graph input names by role, with the class labels. */
    readonly inputs: UnetSpec['inputs'] & {
      /** The class labels (10 = unconditional). */
      readonly classLabels: string;
    };
    /** The network predicts the noise ε. */
    readonly prediction: 'epsilon';
  };
  /** The training noise schedule: 1000 linear-β timesteps. */
  readonly scheduler: SchedulerSpec & {
    /** `beta_schedule`: linear, 1e-4 → 0.02. */
    readonly betaSchedule: 'linear';
  };
  /** Class conditioning: 10 Fashion-MNIST classes, label 10 for "no class". */
  readonly conditioning: Required<ConditioningSpec>;
  /** How samples map to pixels, with the 28×28 region holding the image inside the 32×32 sample. */
  readonly image: Required<ImageSpec>;
  /** The Fashion-MNIST feature network for FID / rFID. */
  readonly featureNetwork: Required<FeatureNetworkSpec>;
  /** Feature statistics of the real test images. */
  readonly referenceStats: Required<ReferenceStatsSpec>;
  /** The small sample of real test images ({@link fashionTestSample}). */
  readonly testSample: {
    /** Raw uint8 pixel file, relative to the model folder. */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file. */
    readonly sha256: string;
    /** Number of images. */
    readonly count: number;
    /** [height, width] of one image. */
    readonly shape: readonly [number, number];
    /** Class label of each image. */
    readonly labels: readonly number[];
    /** Index of each image in the Fashion-MNIST test set. */
    readonly indices: readonly number[];
  };
  /** How the model was made: recipe, data, training settings, metrics. */
  readonly provenance: Readonly<Record<string, unknown>>;
}

/**
 * The embedded model: its folder and parsed manifest.
 *
 * @public
 */
export interface FashionModel {
  /** Absolute path of the folder holding model.json and the files it names. */
  readonly dir: string;
  /** The parsed manifest. */
  readonly manifest: FashionManifest;
}

/**
 * Real Fashion-MNIST test images shipped for tests: uint8 pixels [count, 28, 28] and labels.
 *
 * @public
 */
export interface FashionTestSample {
  /** Pixels, row-major, 0 = black background. */
  readonly pixels: Uint8Array;
  /** Class label of each image. */
  readonly labels: readonly number[];
  /** Number of images. */
  readonly count: number;
}

/**
 * Absolute path of the model folder.
 *
 * @returns The folder holding model.json.
 * @public
 */
export function fashionModelDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'model');
}

/**
 * The model folder and its parsed manifest (read synchronously; the manifest is small).
 *
 * @returns `{ dir, manifest }` (the manifest frozen).
 * @throws Error when model.json is missing or not JSON (a broken install).
 * @example
 * ```ts
 * const { dir, manifest } = fashionModel();
 * manifest.conditioning.defaultGuidanceScale;
 * ```
 * @public
 */
export function fashionModel(): FashionModel {
  const dir = fashionModelDir();
  const text = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
  return Object.freeze({ dir, manifest: deepFreeze(JSON.parse(text) as FashionManifest) });
}

/**
 * The small sample of real test images (the first 10 of each class).
 *
 * @returns Pixels and labels.
 * @throws Error when the file is missing or its size does not match the manifest.
 * @public
 */
export function fashionTestSample(): FashionTestSample {
  const { dir, manifest } = fashionModel();
  const ts = manifest.testSample;
  const pixels = new Uint8Array(readFileSync(join(dir, ts.file)));
  const expected = ts.count * ts.shape[0] * ts.shape[1];
  if (pixels.length !== expected) {
    throw new Error(`${ts.file} has ${pixels.length} bytes, expected ${expected} (${ts.count} images of ${ts.shape.join('x')}).`);
  }
  return Object.freeze({ pixels, labels: ts.labels, count: ts.count });
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}
