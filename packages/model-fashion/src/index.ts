/**
 * `@flexiffusion/model-fashion` — the embedded default model of Flexiffusion-TS: a
 * class-conditional DDPM UNet trained on Fashion-MNIST (ε-prediction, 1000 linear-β timesteps,
 * three cache branches for partial steps) and a Fashion-MNIST CNN whose penultimate layer is the
 * FID feature space, as ONNX files with a `model.json` manifest, reference statistics of the
 * 10,000 test images and a small sample of real test images. Data only: run it with
 * `@flexiffusion/runtime-node` (`loadModel('fashion')`) or `@flexiffusion/runtime-web`.
 *
 * @example
 * ```ts
 * import { fashionModel } from '@flexiffusion/model-fashion';
 * const { dir, manifest } = fashionModel();
 * console.log(dir, manifest.unet.file, manifest.conditioning.classNames);
 * ```
 * @packageDocumentation
 */
export { fashionModel, fashionModelDir, fashionTestSample, MANIFEST_FILE } from './model.js';
export type { FashionManifest, FashionModel, FashionTestSample } from './model.js';
