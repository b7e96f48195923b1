import type { InferenceSession } from 'onnxruntime-common';
import { runSession } from '../internal/session.js';
import { floatTensor, readFloat32 } from '../internal/tensor.js';
import type { DecodingStage } from './stages.js';

/**
 * The identity decoding stage of pixel models: the final samples are the images.
 *
 * @param sampleShape - [C, H, W] of one sample.
 * @returns The stage.
 * @internal
 */
export function identityDecoding(sampleShape: readonly [number, number, number]): DecodingStage {
  const [C, H, W] = sampleShape;
  return Object.freeze({
    latent: false,
    decode: (samples: Float32Array, count: number) => Promise.resolve({ images: samples, shape: [count, C, H, W] as const }),
    dispose: () => Promise.resolve(),
  });
}

/** What the VAE stage needs. @internal */
export interface VaeStageInit {
  /** The VAE decoder's session. */
  readonly session: InferenceSession;
  /** Its latent input. */
  readonly input: string;
  /** Its image output. */
  readonly output: string;
  /** Latents are divided by this before decoding (SD: 0.18215). */
  readonly scalingFactor: number;
  /** [C, h, w] of one latent. */
  readonly sampleShape: readonly [number, number, number];
}

/**
 * The VAE decoding stage of latent models: `vae(latents / scalingFactor)`.
 *
 * @param init - Session, names, scaling factor, latent shape.
 * @returns The stage.
 * @internal
 */
export function vaeDecoding(init: VaeStageInit): DecodingStage {
  const { session, input, output, scalingFactor } = init;
  return Object.freeze({
    latent: true,
    async decode(latents: Float32Array, count: number) {
      const scaled = new Float32Array(latents.length);
      for (let i = 0; i < scaled.length; i++) scaled[i] = latents[i]! / scalingFactor;
      const type = session.inputMetadata?.find((x) => x.name === input);
      const t = floatTensor(type?.isTensor ? type.type : 'float32', scaled, [count, ...init.sampleShape]);
      const out = (await runSession(session, { [input]: t }, [output], 'the VAE decoder'))[output]!;
      const dims = out.dims.map(Number);
      return { images: await readFloat32(out), shape: [dims[0]!, dims[1]!, dims[2]!, dims[3]!] as const };
    },
    dispose: () => session.release(),
  });
}
