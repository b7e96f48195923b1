/**
 * `@flexiffusion/model-fashion-sd` — a small text-to-image **latent** diffusion model with Stable
 * Diffusion's architecture and the optimum ONNX export layout (`model_index.json`, `unet/`,
 * `text_encoder/`, `tokenizer/`, `vae_decoder/`, `vae_encoder/`, `scheduler/`), trained on
 * Fashion-MNIST with captions that carry checkable attributes ("a photo of a dark sneaker").
 * Its `model.json` holds only what the layout cannot say (cut points, guidance, the FID feature
 * network, evaluation data); the runtime derives the rest from the export files, exactly as for a
 * user's export. Also here: a judge CLIP (`clip/`), the attribute rules (`attributes.json`) and a
 * default prompt set (`prompts.json`). Data only: run it with `@flexiffusion/runtime-node`
 * (`loadModel('fashion-sd')`) or `@flexiffusion/runtime-web`.
 *
 * @example
 * ```ts
 * import { fashionSdModelDir, fashionSdPrompts } from '@flexiffusion/model-fashion-sd';
 * import { loadModel } from '@flexiffusion/runtime-node';
 * const model = await loadModel(fashionSdModelDir()); // or loadModel('fashion-sd')
 * const images = await model.generate({ schedule: 'F F F F F F F F F F', seeds: [1, 2], prompts: fashionSdPrompts().slice(0, 2) });
 * ```
 * @packageDocumentation
 */
export { fashionSdModelDir, fashionSdPrompts, fashionSdAttributes, fashionSdProvenance, FASHION_SD_CLASS_NAMES } from './model.js';
export type { FashionSdAttributesDoc, FashionSdProvenance } from './model.js';
