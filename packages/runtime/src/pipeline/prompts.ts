import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ClipTokenizer } from '../clip-tokenizer.js';
import { throwIfAborted, type AbortSignalLike } from '../internal/platform.js';
import { runSession } from '../internal/session.js';
import { floatTensor, intTensor, readFloat32 } from '../internal/tensor.js';
import type { ConditioningStage, SampleConditions } from './stages.js';

/** What the prompt stage needs. @internal */
export interface PromptStageInit {
  /** The tokenizer. */
  readonly tokenizer: ClipTokenizer;
  /** The text encoder's session. */
  readonly session: InferenceSession;
  /** The text encoder's input (token ids) and output (hidden states) names. */
  readonly input: string;
  /** Output name. */
  readonly output: string;
  /** Element type of the token-id input (`int32` or `int64`). */
  readonly inputType: string;
  /** The UNet's text-embedding input and its element type. */
  readonly unetInput: string;
  /** Element type of the UNet's text-embedding input. */
  readonly unetInputType: string;
}

/** Text embeddings [N, L, d] of prompts. @public */
export interface PromptEmbeddings {
  /** Row-major values. */
  readonly embeddings: Float32Array;
  /** [N, L, d]. */
  readonly shape: readonly number[];
}

/** Most prompts whose embeddings are remembered before the memory is cleared. */
const MAX_CACHED_PROMPTS = 256;

/**
 * The prompt conditioning stage (Stable Diffusion): tokenize, run the text encoder, feed the
 * embeddings as the UNet's `encoder_hidden_states`; with guidance the unconditional half gets the
 * negative prompts. Embeddings are computed once per distinct prompt and remembered.
 *
 * @internal
 */
export class PromptStage implements ConditioningStage {
  readonly kind = 'prompts' as const;
  readonly #init: PromptStageInit;
  readonly #memory = new Map<string, Float32Array>();
  #shape: readonly number[] = [];

  constructor(init: PromptStageInit) {
    this.#init = init;
  }

  select(request: { readonly prompts?: readonly string[]; readonly negativePrompt?: string }, n: number): SampleConditions {
    const prompts = request.prompts ? [...request.prompts] : new Array<string>(n).fill('');
    return { prompts, negativePrompts: new Array<string>(n).fill(request.negativePrompt ?? '') };
  }

  async feeds(
    conditions: SampleConditions,
    guidance: boolean,
    options: { readonly cache?: boolean; readonly signal?: AbortSignalLike } = {},
  ): Promise<Record<string, Tensor>> {
    throwIfAborted(options.signal, 'Generation');
    const prompts = conditions.prompts ?? [];
    const all = guidance ? [...(conditions.negativePrompts ?? new Array<string>(prompts.length).fill('')), ...prompts] : prompts;
    const { embeddings, shape } = options.cache === false ? await this.#encodeFresh(all) : await this.encode(all);
    return { [this.#init.unetInput]: floatTensor(this.#init.unetInputType, embeddings, shape) };
  }

  /**
   * Text embeddings of prompts, computed once per distinct prompt.
   *
   * @param prompts - Prompts.
   * @returns [N, L, d] embeddings.
   */
  async encode(prompts: readonly string[]): Promise<PromptEmbeddings> {
    const missing = [...new Set(prompts.filter((p) => !this.#memory.has(p)))];
    if (missing.length > 0) {
      const { embeddings, shape } = await this.#encodeFresh(missing);
      const per = embeddings.length / missing.length;
      this.#shape = shape.slice(1);
      missing.forEach((p, i) => {
        if (this.#memory.size > MAX_CACHED_PROMPTS) this.#memory.clear();
        this.#memory.set(p, embeddings.slice(i * per, (i + 1) * per));
      });
    }
    const per = this.#shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(prompts.length * per);
    prompts.forEach((p, i) => out.set(this.#memory.get(p)!, i * per));
    return { embeddings: out, shape: [prompts.length, ...this.#shape] };
  }

  async #encodeFresh(prompts: readonly string[]): Promise<PromptEmbeddings> {
    const { tokenizer, session, input, output, inputType } = this.#init;
    const L = tokenizer.maxLength;
    const ids = new Int32Array(prompts.length * L);
    prompts.forEach((p, i) => ids.set(tokenizer.encode(p), i * L));
    const out = (await runSession(session, { [input]: intTensor(inputType, ids, [prompts.length, L]) }, [output], 'the text encoder'))[
      output
    ]!;
    return { embeddings: await readFloat32(out), shape: out.dims.map(Number) };
  }

  dispose(): Promise<void> {
    return this.#init.session.release();
  }
}
