import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ClipTokenizer } from '../clip-tokenizer.js';
import { RuntimeError, show } from '../errors.js';
import { throwIfAborted, type AbortSignalLike } from '../internal/platform.js';
import { runSession } from '../internal/session.js';
import { floatTensor, intTensor, readFloat32 } from '../internal/tensor.js';
import type { ConditioningRequest, ConditioningStage, SampleConditions } from './stages.js';

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
  /** Prompts already reported as truncated (each is reported once per model). */
  readonly #warned = new Set<string>();
  #shape: readonly number[] = [];

  constructor(init: PromptStageInit) {
    this.#init = init;
  }

  select(request: ConditioningRequest, n: number): SampleConditions {
    const prompts = request.prompts === undefined ? new Array<string>(n).fill('') : checkTexts(request.prompts, 'prompts', 'prompt');
    const { negativePrompt, negativePrompts } = request;
    if (negativePrompt !== undefined && negativePrompts !== undefined) {
      throw new RuntimeError('invalid-option', 'Give negativePrompt (one for every sample) or negativePrompts (one per sample), not both.');
    }
    if (negativePrompt !== undefined && typeof negativePrompt !== 'string') {
      throw new RuntimeError('invalid-option', `Invalid negativePrompt ${show(negativePrompt)}: expected a string.`);
    }
    const negatives =
      negativePrompts === undefined
        ? new Array<string>(n).fill(negativePrompt ?? '')
        : checkTexts(negativePrompts, 'negativePrompts', 'negative prompt');
    if (negatives.length !== n) {
      throw new RuntimeError('invalid-option', `negativePrompts gives ${negatives.length} prompts for ${n} samples: give one per sample.`);
    }
    if (request.onWarning) this.#warnTruncated([...prompts, ...negatives], request.onWarning);
    return { prompts, negativePrompts: negatives };
  }

  #warnTruncated(texts: readonly string[], onWarning: NonNullable<ConditioningRequest['onWarning']>): void {
    const { tokenizer } = this.#init;
    const room = tokenizer.maxLength - 2; // the start and end tokens take two places
    for (const text of new Set(texts)) {
      if (this.#warned.has(text)) continue;
      const count = tokenizer.tokenize(text).length;
      if (count <= room) continue;
      this.#warned.add(text);
      const quoted = JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text);
      onWarning({
        code: 'prompt-truncated',
        message: `Prompt ${quoted} has ${count} tokens; the text encoder reads ${tokenizer.maxLength} with the start and end tokens: it was truncated to its first ${room}.`,
      });
    }
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

/** Check that a list of prompts is an array of strings (a lone string would become one prompt per character). @internal */
export function checkTexts(value: unknown, name: string, what: string): string[] {
  if (typeof value === 'string') {
    throw new RuntimeError(
      'invalid-option',
      `Invalid ${name}: expected an array of strings, one per sample, got the string ${show(value)} (wrap it: [${show(value)}]).`,
    );
  }
  if (!Array.isArray(value))
    throw new RuntimeError('invalid-option', `Invalid ${name} ${show(value)}: expected an array of strings, one per sample.`);
  value.forEach((p, i) => {
    if (typeof p !== 'string')
      throw new RuntimeError('invalid-option', `Invalid ${what} ${show(p)} at index ${i} of ${name}: expected a string.`);
  });
  return [...(value as string[])];
}
