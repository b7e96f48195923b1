import { RuntimeError } from './errors.js';
import { utf8Decode, utf8Encode } from './internal/platform.js';
import type { TokenizerSpec } from './manifest/types.js';

/** CLIP's pre-tokenizer pattern (case-insensitive). */
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** GPT-2 / CLIP byte → printable unicode character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const table: string[] = new Array<string>(256);
  for (const b of bs) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) {
      table[b] = String.fromCodePoint(256 + n);
      n++;
    }
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();

/**
 * Options of {@link ClipTokenizer}.
 *
 * @public
 */
export interface ClipTokenizerOptions {
  /** Sequence length (CLIP: 77). */
  readonly maxLength?: number;
  /** Padding token (default `<|endoftext|>`, as Stable Diffusion 1.x; SD 2 uses `!`). */
  readonly padToken?: string;
}

/**
 * The CLIP byte-level BPE tokenizer of Stable Diffusion, from the public export's
 * `tokenizer/vocab.json` and `tokenizer/merges.txt`. Text is whitespace-normalised and
 * lower-cased (CLIP's `ftfy` fix-ups are not applied), split with CLIP's pattern, mapped to byte
 * symbols, merged by BPE rank with `</w>` marking word ends, and wrapped as
 * `<|startoftext|> … <|endoftext|>` padded to `maxLength`.
 *
 * @example
 * ```ts
 * const tok = ClipTokenizer.fromFiles(vocabBytes, mergesBytes);
 * tok.encode('a photo of a cat'); // Int32Array(77) [49406, 320, 1125, 539, 320, 2368, 49407, 49407, …] with CLIP's vocab
 * ```
 * @public
 */
export class ClipTokenizer {
  /** Sequence length. */
  readonly maxLength: number;
  /** Id of `<|startoftext|>`. */
  readonly bosId: number;
  /** Id of `<|endoftext|>`. */
  readonly eosId: number;
  /** Id of the padding token. */
  readonly padId: number;
  readonly #vocab: ReadonlyMap<string, number>;
  readonly #ranks: ReadonlyMap<string, number>;
  readonly #cache = new Map<string, string[]>();

  /**
   * @param vocab - Token → id (the parsed vocab.json).
   * @param merges - BPE merges in rank order, each `"a b"` (merges.txt without its `#version` line).
   * @param options - `maxLength` (77), `padToken`.
   * @throws {@link RuntimeError} `invalid-option` when the vocabulary lacks the special tokens.
   */
  constructor(vocab: Readonly<Record<string, number>>, merges: readonly string[], options: ClipTokenizerOptions = {}) {
    this.#vocab = new Map(Object.entries(vocab));
    this.#ranks = new Map(merges.map((m, i) => [m, i] as const));
    this.maxLength = options.maxLength ?? 77;
    const need = (t: string): number => {
      const id = this.#vocab.get(t);
      if (id === undefined)
        throw new RuntimeError('invalid-option', `The tokenizer vocabulary has no ${JSON.stringify(t)} token: expected a CLIP vocab.json.`);
      return id;
    };
    this.bosId = need('<|startoftext|>');
    this.eosId = need('<|endoftext|>');
    this.padId = need(options.padToken ?? '<|endoftext|>');
  }

  /**
   * Build a tokenizer from the bytes (or text) of vocab.json and merges.txt.
   *
   * @param vocabJson - vocab.json.
   * @param mergesTxt - merges.txt.
   * @param options - `maxLength`, `padToken`.
   * @returns The tokenizer.
   * @throws {@link RuntimeError} `invalid-option` for unparsable files.
   */
  static fromFiles(vocabJson: Uint8Array | string, mergesTxt: Uint8Array | string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    let vocab: unknown;
    try {
      vocab = JSON.parse(typeof vocabJson === 'string' ? vocabJson : utf8Decode(vocabJson));
    } catch (cause) {
      throw new RuntimeError('invalid-option', `Invalid tokenizer vocab.json: ${String(cause)}.`, { cause });
    }
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
      throw new RuntimeError('invalid-option', 'Invalid tokenizer vocab.json: expected an object mapping tokens to ids.');
    }
    const text = typeof mergesTxt === 'string' ? mergesTxt : utf8Decode(mergesTxt);
    const merges = text
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l, i) => l !== '' && !(i === 0 && l.startsWith('#version')));
    return new ClipTokenizer(vocab as Record<string, number>, merges, options);
  }

  /**
   * Build a tokenizer from a Hugging Face tokenizers `tokenizer.json` (what transformers'
   * CLIPTokenizerFast saves): its BPE `model.vocab` and `model.merges` (strings `"a b"` or pairs
   * `["a", "b"]`), plus `added_tokens`. The normalizer and pre-tokenizer of a CLIP tokenizer.json
   * are the ones this class applies (NFC, whitespace collapsed, lower case; CLIP's split pattern,
   * byte-level symbols).
   *
   * @param tokenizerJson - tokenizer.json.
   * @param options - `maxLength`, `padToken`.
   * @returns The tokenizer.
   * @throws {@link RuntimeError} `invalid-option` for a file that is not a CLIP BPE tokenizer.json.
   */
  static fromTokenizerJson(tokenizerJson: Uint8Array | string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    const bad = (why: string): RuntimeError => new RuntimeError('invalid-option', `Invalid tokenizer.json: ${why}.`);
    let doc: unknown;
    try {
      doc = JSON.parse(typeof tokenizerJson === 'string' ? tokenizerJson : utf8Decode(tokenizerJson));
    } catch (cause) {
      throw new RuntimeError('invalid-option', `Invalid tokenizer.json: ${String(cause)}.`, { cause });
    }
    const model = (doc as { model?: unknown } | null)?.model as
      | { type?: unknown; vocab?: unknown; merges?: unknown; end_of_word_suffix?: unknown }
      | undefined;
    if (typeof model !== 'object' || model === null) throw bad('no "model" object');
    if (model.type !== 'BPE') throw bad(`its model type is ${JSON.stringify(model.type)}: expected "BPE" (a CLIP tokenizer)`);
    if (model.end_of_word_suffix !== '</w>') {
      throw bad(`its end_of_word_suffix is ${JSON.stringify(model.end_of_word_suffix)}: expected "</w>" (CLIP's BPE)`);
    }
    if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) throw bad('model.vocab is not an object');
    if (!Array.isArray(model.merges)) throw bad('model.merges is not an array');
    const vocab: Record<string, number> = { ...(model.vocab as Record<string, number>) };
    const added = (doc as { added_tokens?: unknown }).added_tokens;
    if (Array.isArray(added)) {
      for (const t of added as { content?: unknown; id?: unknown }[]) {
        if (typeof t?.content === 'string' && typeof t.id === 'number') vocab[t.content] = t.id;
      }
    }
    const merges = (model.merges as unknown[]).map((m, i) => {
      if (typeof m === 'string') return m;
      if (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string')) return `${m[0]} ${m[1]}`;
      throw bad(`model.merges[${i}] is ${JSON.stringify(m)}: expected "a b" or ["a", "b"]`);
    });
    return new ClipTokenizer(vocab, merges, options);
  }

  /**
   * BPE token strings of a text (without special tokens or padding).
   *
   * @param text - Any text.
   * @returns The tokens, e.g. `['a</w>', 'photo</w>']`.
   */
  tokenize(text: string): string[] {
    const clean = text.replace(/\s+/g, ' ').trim().toLowerCase();
    const out: string[] = [];
    for (const m of clean.matchAll(PATTERN)) {
      const word = m[0];
      if (word === '<|startoftext|>' || word === '<|endoftext|>') {
        out.push(word);
        continue;
      }
      let symbols = '';
      for (const b of utf8Encode(word)) symbols += BYTE_CHARS[b]!;
      out.push(...this.#bpe(symbols));
    }
    return out;
  }

  /**
   * Token ids: `<|startoftext|>`, the text's tokens (truncated to `maxLength − 2`),
   * `<|endoftext|>`, then padding up to `maxLength`.
   *
   * @param text - The prompt.
   * @returns An Int32Array of length `maxLength`.
   */
  encode(text: string): Int32Array {
    const ids = this.tokenize(text).map((t) => this.#vocab.get(t) ?? this.eosId);
    const body = ids.slice(0, this.maxLength - 2);
    const out = new Int32Array(this.maxLength).fill(this.padId);
    out[0] = this.bosId;
    out.set(body, 1);
    out[body.length + 1] = this.eosId;
    return out;
  }

  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = chars.map((ch, i) => (i === chars.length - 1 ? `${ch}</w>` : ch));
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best]!;
      const b = word[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(word[i]!);
      }
      word = next;
    }
    if (this.#cache.size < 10000) this.#cache.set(token, word);
    return word;
  }
}

/**
 * The tokenizer a manifest's `tokenizer` block names: `json` (tokenizer.json) or `vocab` + `merges`,
 * with its `padToken`.
 *
 * @param spec - The manifest's tokenizer block.
 * @param read - Reads a file of the model folder (`role` names the field for messages).
 * @param options - `maxLength` (the text encoder's).
 * @returns The tokenizer.
 * @throws {@link RuntimeError} `missing-file` (from `read`), `invalid-option` for unparsable files.
 * @internal
 */
export async function loadClipTokenizer(
  spec: TokenizerSpec,
  read: (file: string, role: string) => Promise<Uint8Array>,
  options: { readonly maxLength?: number } = {},
): Promise<ClipTokenizer> {
  const o: ClipTokenizerOptions = { ...options, ...(spec.padToken !== undefined ? { padToken: spec.padToken } : {}) };
  if (spec.json !== undefined) return ClipTokenizer.fromTokenizerJson(await read(spec.json, 'tokenizer.json'), o);
  const [vocab, merges] = await Promise.all([read(spec.vocab ?? '', 'tokenizer.vocab'), read(spec.merges ?? '', 'tokenizer.merges')]);
  return ClipTokenizer.fromFiles(vocab, merges, o);
}
