/**
 * What a search folder holds, shared by `flexi search` (which writes it) and the report (which reads it).
 */
import type { SamplerName } from '@flexiffusion/runtime';
import type { NullMode, SpaceForm } from '@flexiffusion/schedule';

/** Names of the searchers `flexi search --searcher` offers. */
export type SearcherName = 'evo' | 'grid' | 'random';

/** The valid `--searcher` values. */
export const SEARCHER_NAMES: readonly SearcherName[] = Object.freeze(['evo', 'grid', 'random']);

/**
 * The settings a search is identified by (stored in OUT/settings.json and in the trial store's header, so a
 * folder resumes only with the same ones). The field names are a file format: they stay as they are so that
 * existing search folders resume.
 */
export interface SearchSettings {
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
}

/** A labelled baseline result (OUT/baselines.json). */
export interface BaselineResult {
  readonly label: string;
  readonly schedule: string;
  readonly speedup: number;
  readonly rfid: number;
  readonly metrics: Readonly<Record<string, number>>;
}
