/**
 * What a search folder holds, shared by `flexi search` (which writes it) and the report (which reads it).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { SamplerName } from '@flexiffusion/runtime';
import { EMBEDDED_MODELS } from '@flexiffusion/runtime-node';
import type { NullMode, SpaceForm } from '@flexiffusion/schedule';
import type { StoredConditioning } from './conditions.js';
import type { FeaturePreset } from './features.js';
import type { MetricName } from './objective.js';

/** Names of the searchers `flexi search --searcher` offers. */
export type SearcherName = 'evo' | 'grid' | 'random' | 'autodiffusion';

/** The valid `--searcher` values. */
export const SEARCHER_NAMES: readonly SearcherName[] = Object.freeze(['evo', 'grid', 'random', 'autodiffusion']);

/**
 * The settings a search is identified by (stored in OUT/settings.json and in the trial store's header, so a
 * folder resumes only with the same ones). The field names are a file format: they stay as they are so that
 * existing search folders resume, and the newer optional ones are written only when they differ from what
 * older searches did (no prompts, `rfid`, the manifest's feature network, the native size).
 */
export interface SearchSettings {
  /** An embedded model's name, or the model folder's absolute path (searches before 0.x stored it as typed). */
  readonly model: string;
  readonly searcher: SearcherName;
  readonly speedup: number;
  readonly samples: number;
  readonly teacherSteps: number;
  readonly segmentLengths: readonly number[];
  readonly form: SpaceForm;
  readonly sampler: SamplerName;
  /** The teacher's sampler, when it differs from the candidates' (absent: the same). */
  readonly teacherSampler?: SamplerName;
  readonly nullMode: NullMode;
  readonly guidance: number | null;
  readonly seed: number;
  /** Candidates asked for and evaluated per search round (`--round-size`; `runSearch`'s `batchSize`). */
  readonly batchSize: number;
  /** Samples per network batch (`--batch-size`). */
  readonly genBatch: number;
  /** The objective (`--metric`; absent: `rfid`). */
  readonly metric?: MetricName;
  /** The prompts themselves (not the file they came from) and the negative prompt. */
  readonly conditioning?: StoredConditioning;
  readonly height?: number;
  readonly width?: number;
  /** `--features`: the file's absolute path, its SHA-256 (checked on resume) and the preset. */
  readonly features?: { readonly file: string; readonly sha256: string; readonly preset: FeaturePreset };
  /** `--clip`: the CLIP export's absolute path. */
  readonly clip?: string;
  /** `--cost latency`: the speed-ups count the profile measured into OUT/cost-profile.json (absent: the model's MACs). */
  readonly cost?: 'latency';
  /** `--start-from`: the earlier search folder and the schedules read from it when this search started. */
  readonly startFrom?: { readonly dir: string; readonly schedules: readonly string[] };
}

/**
 * Where to open a search's stored model: a name or an absolute path as it is; a relative path (stored by
 * searches before paths were made absolute) against the working folder, the search folder's parent or the
 * search folder, the first that exists.
 */
export function storedModelLocation(model: string, out: string): string {
  if (Object.hasOwn(EMBEDDED_MODELS, model) || isAbsolute(model)) return model;
  for (const base of [process.cwd(), dirname(out), out]) {
    const p = resolve(base, model);
    if (existsSync(p)) return p;
  }
  return model;
}

/** A labelled baseline result (OUT/baselines.json). */
export interface BaselineResult {
  readonly label: string;
  readonly schedule: string;
  readonly speedup: number;
  /** The search's objective (`rfid` in folders written before `--metric`: then it was always rFID). */
  readonly objective?: number;
  readonly rfid?: number;
  readonly metrics: Readonly<Record<string, number>>;
}
