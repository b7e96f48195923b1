import { planSchedule, type Plan } from '@flexiffusion/schedule';
import { RuntimeError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { checkTexts } from '../pipeline/prompts.js';
import type { ConditioningStage, SampleConditions } from '../pipeline/stages.js';
import { getSampler, type SamplerDefinition } from '../samplers.js';
import { planSettings } from '../scheduler-settings.js';
import type { GenerateOptions } from './generate-options.js';

/** A validated request: everything the loop needs, checked before any network runs. @internal */
export interface ResolvedRequest {
  readonly n: number;
  readonly plan: Plan;
  readonly sampler: SamplerDefinition<unknown>;
  readonly batchSize: number;
  readonly seeds: readonly number[] | undefined;
  readonly guidanceScale: number | null;
  readonly conditions: SampleConditions;
}

function sampleCount(o: GenerateOptions, size: number): number {
  const counts: [string, number][] = [];
  if (o.labels) counts.push(['labels', o.labels.length]);
  if (o.prompts) counts.push(['prompts', checkTexts(o.prompts, 'prompts', 'prompt').length]);
  if (o.seeds) counts.push(['seeds', o.seeds.length]);
  if (o.initialNoise) {
    if (o.initialNoise.length % size !== 0) {
      throw new RuntimeError(
        'shape-mismatch',
        `initialNoise has ${o.initialNoise.length} values: ` + `expected a multiple of C·H·W = ${size}.`,
      );
    }
    counts.push(['initialNoise', o.initialNoise.length / size]);
  }
  if (o.count !== undefined) counts.push(['count', o.count]);
  const first = counts[0];
  if (!first) throw new RuntimeError('invalid-option', 'How many samples? Give labels, prompts, seeds, initialNoise or count.');
  for (const [k, v] of counts) {
    if (v !== first[1]) {
      throw new RuntimeError('invalid-option', `${k} gives ${v} samples but ${first[0]} gives ${first[1]}: they must agree.`);
    }
  }
  if (!Number.isSafeInteger(first[1]) || first[1] < 1) {
    throw new RuntimeError('invalid-option', `Invalid sample count ${first[1]} (from ${first[0]}): expected an integer >= 1.`);
  }
  return first[1];
}

function guidance(o: GenerateOptions, manifest: ModelManifest, conditioned: boolean): number | null {
  const w = o.guidanceScale ?? manifest.conditioning?.defaultGuidanceScale ?? 1;
  if (typeof w !== 'number' || !Number.isFinite(w)) {
    throw new RuntimeError('invalid-option', `Invalid guidanceScale ${String(w)}: expected a finite number (1 = no guidance).`);
  }
  if (!conditioned) {
    if (o.guidanceScale !== undefined && o.guidanceScale !== 1) {
      throw new RuntimeError(
        'invalid-option',
        `Model ${JSON.stringify(manifest.name)} is unconditional: guidanceScale must be 1 or left out, got ${o.guidanceScale}.`,
      );
    }
    return null;
  }
  return w === 1 ? null : w;
}

function conditions(o: GenerateOptions, manifest: ModelManifest, stages: readonly ConditioningStage[], n: number): SampleConditions {
  const has = (kind: ConditioningStage['kind']): boolean => stages.some((s) => s.kind === kind);
  if (o.labels && !has('class-labels')) {
    throw new RuntimeError('invalid-option', `Model ${JSON.stringify(manifest.name)} takes no class labels (family ${manifest.family}).`);
  }
  if ((o.prompts || o.negativePrompts || o.negativePrompt !== undefined) && !has('prompts')) {
    throw new RuntimeError('invalid-option', `Model ${JSON.stringify(manifest.name)} takes no prompts (family ${manifest.family}).`);
  }
  let out: SampleConditions = {};
  for (const stage of stages) out = { ...out, ...stage.select(o, n) };
  return out;
}

/**
 * Check a request against the model and resolve its defaults, in a fixed order (so the first
 * problem reported is always the same one): sample count, schedule, branches, sampler, batch size,
 * seeds, guidance, conditions.
 *
 * @internal
 */
export function resolveRequest(
  o: GenerateOptions,
  model: {
    readonly manifest: ModelManifest;
    readonly sampleShape: readonly [number, number, number];
    readonly branches: number;
    readonly conditioning: readonly ConditioningStage[];
  },
): ResolvedRequest {
  const m = model.manifest;
  const [C, H, W] = model.sampleShape;
  const n = sampleCount(o, C * H * W);
  const plan = planSchedule(o.schedule, {
    trainTimesteps: m.scheduler.trainTimesteps,
    nullMode: o.nullMode ?? 'skip',
    ...planSettings(m.scheduler, o.sampler),
  });
  for (const st of plan.steps) {
    if (st.branch !== null && st.branch >= model.branches) {
      throw new RuntimeError(
        'invalid-option',
        `The schedule uses cache branch ${st.branch} but model ${JSON.stringify(m.name)} has ${model.branches} (0..${model.branches - 1}).`,
      );
    }
  }
  const sampler = getSampler(o.sampler ?? 'ddim');
  const batchSize = o.batchSize ?? 16;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RuntimeError('invalid-option', `Invalid batchSize ${String(batchSize)}: expected an integer >= 1.`);
  }
  const seeds = o.seeds ?? (o.initialNoise ? undefined : Array.from({ length: n }, (_, i) => i));
  if ((o.eta ?? 0) > 0 && !seeds) {
    throw new RuntimeError(
      'invalid-option',
      'eta > 0 needs seeds (the per-step noise is keyed by seed and step); initialNoise alone is not enough.',
    );
  }
  const w = guidance(o, m, model.conditioning.length > 0);
  return { n, plan, sampler, batchSize, seeds, guidanceScale: w, conditions: conditions(o, m, model.conditioning, n) };
}

/**
 * The conditions of samples [offset, offset + count).
 *
 * @internal
 */
export function sliceConditions(c: SampleConditions, offset: number, count: number): SampleConditions {
  const out: { -readonly [K in keyof SampleConditions]: SampleConditions[K] } = {};
  if (c.labels) out.labels = c.labels.slice(offset, offset + count);
  if (c.prompts) out.prompts = c.prompts.slice(offset, offset + count);
  if (c.negativePrompts) out.negativePrompts = c.negativePrompts.slice(offset, offset + count);
  return out;
}
