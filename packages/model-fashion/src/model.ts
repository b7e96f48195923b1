import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Name of the manifest file in the model folder. @public */
export const MANIFEST_FILE = 'model.json';

/**
 * The parts of the embedded model's manifest this package describes (the full format is
 * validated by `@flexiffusion/runtime`'s `validateManifest`).
 *
 * @public
 */
export interface FashionManifest {
  /** Format version of the manifest: 1. */
  readonly format: 1;
  /** Model name: `'fashion'`. */
  readonly name: 'fashion';
  /** Model family: class-conditional. */
  readonly family: 'class-conditional';
  /** The UNet (see `UnetSpec` of `@flexiffusion/runtime`). */
  readonly unet: {
    /** ONNX file, relative to the model folder. */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file. */
    readonly sha256: string;
    /** Graph input names by role. */
    readonly inputs: {
      /** The noisy sample x_t. */
      readonly sample: string;
      /** The timestep. */
      readonly timestep: string;
      /** The class labels (10 = unconditional). */
      readonly classLabels: string;
    };
    /** Graph output name of the noise prediction. */
    readonly output: string;
    /** Shape of one sample, [C, H, W] ([1, 32, 32]: 28×28 images padded by 2 pixels). */
    readonly sampleShape: readonly [number, number, number];
    /** The network predicts the noise ε. */
    readonly prediction: 'epsilon';
    /** Cache branches (cut points) for partial steps. */
    readonly cache: readonly {
      /** Branch index, 0 = shallowest (cheapest partial step). */
      readonly branch: number;
      /** Name of the decoder tensor cached by full steps. */
      readonly tensor: string;
    }[];
  };
  /** The training noise schedule (diffusers scheduler config). */
  readonly scheduler: {
    /** `num_train_timesteps`. */
    readonly trainTimesteps: number;
    /** `beta_schedule`. */
    readonly betaSchedule: 'linear';
    /** `beta_start`. */
    readonly betaStart: number;
    /** `beta_end`. */
    readonly betaEnd: number;
  };
  /** Class conditioning. */
  readonly conditioning: {
    /** Number of classes (10). */
    readonly numClasses: number;
    /** The label meaning "no class", for classifier-free guidance. */
    readonly unconditionalLabel: number;
    /** Fashion-MNIST class names, index = label. */
    readonly classNames: readonly string[];
    /** Guidance scale used when a caller gives none. */
    readonly defaultGuidanceScale: number;
  };
  /** How samples map to pixels. */
  readonly image: {
    /** Pixel value range of samples, e.g. [-1, 1]. */
    readonly range: readonly [number, number];
    /** The 28×28 region holding the image inside the 32×32 sample. */
    readonly crop: {
      /** First row of the region. */
      readonly top: number;
      /** First column of the region. */
      readonly left: number;
      /** Rows in the region. */
      readonly height: number;
      /** Columns in the region. */
      readonly width: number;
    };
  };
  /** The Fashion-MNIST feature network for FID / rFID. */
  readonly featureNetwork: {
    /** ONNX file, relative to the model folder. */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file. */
    readonly sha256: string;
    /** Input name (28×28 images in [0, 1]). */
    readonly input: string;
    /** Output name of the feature vector. */
    readonly features: string;
    /** Output name of the class logits. */
    readonly logits: string;
    /** Feature dimension. */
    readonly dim: number;
  };
  /** Feature statistics of the real test images. */
  readonly referenceStats: {
    /** Serialised statistics file (`@flexiffusion/metrics` format). */
    readonly file: string;
    /** Lowercase hex SHA-256 of the file. */
    readonly sha256: string;
    /** Number of images (10,000). */
    readonly count: number;
  };
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
