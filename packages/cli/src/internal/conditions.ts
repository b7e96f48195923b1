/**
 * What each sample is conditioned on: class labels or prompts (with negative prompts), checked
 * against the model's pipeline. Samples cycle through the prompts with their seeds (sample i:
 * prompt i mod P, seed seed + i), so the teacher and every candidate see the same pairs.
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CliError, parseIntList } from './args.js';
import type { CliModel } from './model.js';
import { sha256Hex } from './features.js';

/** One prompt of `--prompt` or `--prompts`, with its own negative prompt when the file gives one. */
export interface PromptEntry {
  readonly prompt: string;
  readonly negativePrompt?: string;
}

/** The conditioning of a command's samples, one entry per sample where given. */
export interface SampleConditioning {
  readonly labels?: readonly number[];
  readonly prompts?: readonly string[];
  /** One negative prompt per sample (only when they differ; otherwise {@link negativePrompt}). */
  readonly negativePrompts?: readonly string[];
  /** The negative prompt of every sample. */
  readonly negativePrompt?: string;
}

/** The conditioning as a search stores it (settings.json): the prompts themselves, not the file they came from. */
export interface StoredConditioning {
  readonly prompts?: readonly PromptEntry[];
  readonly negativePrompt?: string;
}

/**
 * Read a prompts file: one prompt a line (blank lines skipped), or JSONL (`.jsonl`, or a first
 * non-blank character `{`) with `prompt` and optional `negative_prompt` on each line.
 *
 * @throws {@link CliError} (exit 2) naming the file, and `file:line` for a bad line.
 */
export async function readPromptsFile(command: string, file: string): Promise<PromptEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const why = (e as { code?: string }).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    throw new CliError('bad-prompts', `flexi ${command}: cannot read --prompts "${file}": ${why}.`, { cause: e });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const jsonl = extname(file).toLowerCase() === '.jsonl' || text.trimStart().startsWith('{');
  const out: PromptEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (!jsonl) {
      out.push({ prompt: line.trim() });
      return;
    }
    const at = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new CliError('bad-prompts', `flexi ${command}: ${at}: invalid JSON (${e instanceof Error ? e.message : String(e)}).`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new CliError('bad-prompts', `flexi ${command}: ${at}: expected an object {"prompt": "...", "negative_prompt"?: "..."}.`);
    }
    const { prompt, negative_prompt: negative } = v as Record<string, unknown>;
    if (typeof prompt !== 'string') {
      throw new CliError('bad-prompts', `flexi ${command}: ${at}: "prompt" must be a string, got ${JSON.stringify(prompt) ?? 'nothing'}.`);
    }
    if (negative !== undefined && typeof negative !== 'string') {
      throw new CliError('bad-prompts', `flexi ${command}: ${at}: "negative_prompt" must be a string, got ${JSON.stringify(negative)}.`);
    }
    out.push(negative === undefined ? { prompt } : { prompt, negativePrompt: negative });
  });
  if (out.length === 0) throw new CliError('bad-prompts', `flexi ${command}: --prompts "${file}" holds no prompts.`);
  return out;
}

/** What the model's pipeline takes. */
export function modelTakes(model: CliModel): { labels: boolean; prompts: boolean } {
  const kinds = new Set(model.pipeline.conditioning.map((s) => s.kind));
  return { labels: kinds.has('class-labels'), prompts: kinds.has('prompts') };
}

function describeModel(model: CliModel): string {
  return `model "${model.manifest.name}" (${model.manifest.family})`;
}

/** The conditioning options as typed. */
export interface ConditioningValues {
  readonly prompt: readonly string[];
  readonly prompts: string | undefined;
  readonly 'negative-prompt': string | undefined;
  /** `flexi sample --labels` only. */
  readonly labels?: string | undefined;
}

/**
 * Read `--prompt`, `--prompts` and `--negative-prompt` into what a search stores (no model needed:
 * a search compares them with its stored settings before it opens the model).
 */
export async function readPromptOptions(command: string, v: ConditioningValues): Promise<StoredConditioning> {
  const entries: PromptEntry[] = v.prompt.map((prompt) => ({ prompt }));
  if (v.prompts !== undefined) entries.push(...(await readPromptsFile(command, v.prompts)));
  return {
    ...(entries.length > 0 ? { prompts: entries } : {}),
    ...(v['negative-prompt'] !== undefined ? { negativePrompt: v['negative-prompt'] } : {}),
  };
}

/**
 * Check conditioning against the model: prompts on a model that takes none, or labels on one that
 * takes none, are an error (exit 2) that says what the model takes.
 */
export function checkConditioning(command: string, model: CliModel, c: StoredConditioning, labels?: string): void {
  const takes = modelTakes(model);
  if ((c.prompts || c.negativePrompt !== undefined) && !takes.prompts) {
    const which = c.prompts ? 'prompts (--prompt, --prompts)' : '--negative-prompt';
    const instead = takes.labels ? ' It takes class labels.' : ' It takes no conditioning.';
    throw new CliError('bad-option', `flexi ${command}: ${which} given, but ${describeModel(model)} takes no prompts.${instead}`);
  }
  if (labels !== undefined && !takes.labels) {
    const instead = takes.prompts ? ' It takes prompts (--prompt, --prompts).' : ' It takes no conditioning.';
    throw new CliError('bad-option', `flexi ${command}: --labels given, but ${describeModel(model)} takes no class labels.${instead}`);
  }
}

/** {@link readPromptOptions} then {@link checkConditioning}. */
export async function readConditioning(command: string, model: CliModel, v: ConditioningValues): Promise<StoredConditioning> {
  const c = await readPromptOptions(command, v);
  checkConditioning(command, model, c, v.labels);
  return c;
}

/**
 * The per-sample conditioning of samples seed + 0 .. seed + n − 1: class labels in turn (or
 * `labels` as given, in turn) for class-conditional models, prompts in turn for text-to-image
 * models, nothing for unconditional ones.
 */
export function sampleConditioning(
  command: string,
  model: CliModel,
  stored: StoredConditioning,
  n: number,
  labelsText?: string,
): SampleConditioning {
  const takes = modelTakes(model);
  let out: SampleConditioning = {};
  if (takes.labels) {
    const c = model.manifest.conditioning?.numClasses ?? 0;
    const given = labelsText === undefined ? undefined : parseIntList(command, 'labels', labelsText, 0, Math.max(0, c - 1));
    out = { labels: Array.from({ length: n }, (_, i) => (given ? given[i % given.length]! : c > 0 ? i % c : 0)) };
  }
  if (!takes.prompts) return out;
  const entries = stored.prompts ?? [{ prompt: '' }];
  const pick = Array.from({ length: n }, (_, i) => entries[i % entries.length]!);
  const prompts = pick.map((e) => e.prompt);
  const negatives = pick.map((e) => e.negativePrompt ?? stored.negativePrompt ?? '');
  if (negatives.every((x) => x === negatives[0])) return { ...out, prompts, ...(negatives[0] ? { negativePrompt: negatives[0] } : {}) };
  return { ...out, prompts, negativePrompts: negatives };
}

/** The conditioning of samples [offset, offset + count). */
export function sliceConditioning(c: SampleConditioning, offset: number, count: number): SampleConditioning {
  const cut = <T>(xs: readonly T[] | undefined) => xs?.slice(offset, offset + count);
  const labels = cut(c.labels);
  const prompts = cut(c.prompts);
  const negativePrompts = cut(c.negativePrompts);
  return {
    ...(labels ? { labels } : {}),
    ...(prompts ? { prompts } : {}),
    ...(negativePrompts ? { negativePrompts } : {}),
    ...(c.negativePrompt !== undefined ? { negativePrompt: c.negativePrompt } : {}),
  };
}

/**
 * The prompts of a text-to-image model given none: the model's default prompt set
 * (`evaluation.prompts` of its manifest, hash-checked) when it has one, else the empty prompt for
 * every sample. Returns the conditioning to use and the note for stderr that says which.
 */
export async function withDefaultPrompts(
  command: string,
  model: CliModel,
  stored: StoredConditioning,
): Promise<{ readonly stored: StoredConditioning; readonly note: string | undefined }> {
  if (!modelTakes(model).prompts || stored.prompts) return { stored, note: undefined };
  const spec = model.manifest.evaluation?.prompts;
  if (!spec) {
    return { stored, note: `flexi ${command}: no --prompt or --prompts: every sample uses the empty prompt (unconditional generation).` };
  }
  const file = join(model.location, spec.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    throw new CliError(
      'bad-model',
      `flexi ${command}: the model's default prompt set ${file} (evaluation.prompts.file) cannot be read: ${why}.`,
    );
  }
  if (spec.sha256 && sha256Hex(bytes) !== spec.sha256) {
    throw new CliError('bad-model', `flexi ${command}: ${file} does not match the SHA-256 in evaluation.prompts.sha256 of the manifest.`);
  }
  let list: unknown;
  try {
    list = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new CliError(
      'bad-model',
      `flexi ${command}: ${file} (evaluation.prompts.file) is not JSON: ${e instanceof Error ? e.message : e}.`,
    );
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string')) {
    throw new CliError('bad-model', `flexi ${command}: ${file} (evaluation.prompts.file) must be a non-empty JSON array of strings.`);
  }
  const note = `flexi ${command}: no --prompt or --prompts: using the model's default prompt set (${list.length} prompts, ${spec.file}).`;
  return { stored: { ...stored, prompts: list.map((prompt: string) => ({ prompt })) }, note };
}
