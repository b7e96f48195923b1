// The one valibot schema of model.json. Its output type is proven identical to the hand-written
// interfaces of ./types.ts at the end of this file (why both exist: see there); model.schema.json
// is generated from it (scripts/write-schema.mjs). Checks that span fields are part of the schema:
// the cache branches' numbering (cacheRules), conditioning's label range (in `conditioning`) and
// the family's required blocks (familyRules).
import { TIMESTEP_GRIDS, TIMESTEP_SPACINGS } from '@flexiffusion/schedule';
import * as v from 'valibot';
import { show } from '../errors.js';
import { BETA_SCHEDULES } from '../noise-schedule.js';
import { FINAL_SIGMAS_TYPES, PREDICTION_TYPES } from '../samplers.js';
import { above, atLeast, between, block, choice, closedBlock, flag, integer, relativeFile, sha256, text, whole } from './fields.js';
import { AT, expected, invalid, isRecord, missingMessage, pathTo, schemaAt } from './issues.js';
import {
  MODEL_FAMILIES,
  TIMESTEP_TYPES,
  type CacheBranch,
  type EvaluationSpec,
  type ConditioningSpec,
  type FeatureNetworkSpec,
  type ImageSpec,
  type ModelFamily,
  type ModelManifest,
  type ReferenceStatsSpec,
  type SchedulerSpec,
  type TextEncoderSpec,
  type TokenizerSpec,
  type UnetSpec,
  type VaeSpec,
} from './types.js';

const branchIndex = integer(0, 'a non-negative integer (branches are numbered 0..B−1 in order)');
const cutPoint = text();
const dimension = integer(1, 'a positive integer');
const cacheBranch = block({ branch: branchIndex, tensor: cutPoint }, '{ branch, tensor }');

const cacheList = v.array(cacheBranch, expected('an array of { branch, tensor } (may be empty)'));

/** Branch i is numbered i; each branch has its own cut point. A bad field is skipped: its own issue says why. */
const cacheRules = v.rawCheck<v.InferOutput<typeof cacheList>>(({ dataset, addIssue }) => {
  const cache: unknown = dataset.value;
  if (!Array.isArray(cache)) return;
  const seen = new Set<string>();
  cache.forEach((entry: unknown, i) => {
    if (!isRecord(entry)) return;
    const { branch, tensor } = entry;
    if (v.is(branchIndex, branch) && branch !== i) {
      const message = invalid(branch, `${i} (branches are numbered 0..${cache.length - 1} in order)`);
      addIssue({ message, path: pathTo(cache, [i, 'branch']) });
    }
    if (v.is(cutPoint, tensor)) {
      if (seen.has(tensor)) {
        const message = `Cache tensor ${JSON.stringify(tensor)} is listed twice: each branch needs its own cut point.`;
        addIssue({ message, path: pathTo(cache, [i, 'tensor']) });
      }
      seen.add(tensor);
    }
  });
});

const unet = block({
  file: relativeFile(),
  sha256: sha256(),
  inputs: closedBlock(
    { sample: text(), timestep: text(), classLabels: v.optional(text()), encoderHiddenStates: v.optional(text()) },
    'input role',
  ),
  output: text(),
  sampleShape: whole(
    v.pipe(v.strictTuple([dimension, dimension, dimension]), v.readonly()),
    '[channels, height, width], positive integers',
  ),
  prediction: v.optional(choice(PREDICTION_TYPES)),
  timestepType: v.optional(choice(TIMESTEP_TYPES)),
  cache: v.pipe(cacheList, cacheRules, v.readonly()),
});

const trainedBetas = whole(v.pipe(v.array(v.pipe(v.number(), v.minValue(0), v.ltValue(1))), v.readonly()), 'an array of numbers in [0, 1)');

const scheduler = v.pipe(
  block({
    trainTimesteps: integer(1, 'a positive integer (e.g. 1000)'),
    betaSchedule: choice(BETA_SCHEDULES),
    betaStart: between(0, 1),
    betaEnd: between(0, 1),
    trainedBetas: v.optional(trainedBetas),
    rescaleBetasZeroSnr: v.optional(flag()),
    timestepSpacing: v.optional(choice(TIMESTEP_SPACINGS)),
    stepsOffset: v.optional(integer(0, 'an integer >= 0 (SD-1.x: 1)')),
    setAlphaToOne: v.optional(flag()),
    finalSigmasType: v.optional(choice(FINAL_SIGMAS_TYPES)),
    lowerOrderFinal: v.optional(flag()),
    dpmSolverTimesteps: v.optional(choice(TIMESTEP_GRIDS)),
  }),
  v.forward(
    v.partialCheck(
      [['trainTimesteps'], ['trainedBetas']],
      (s) => s.trainedBetas === undefined || s.trainedBetas.length === s.trainTimesteps,
      (issue) => {
        const { trainTimesteps: n, trainedBetas: b } = issue.input as { trainTimesteps: number; trainedBetas: readonly number[] };
        return `Invalid ${AT}: it has ${b.length} betas; expected ${n} (trainTimesteps).`;
      },
    ),
    ['trainedBetas'],
  ),
);

const conditioning = v.pipe(
  block({
    // required for class-conditional models: familyRules
    numClasses: v.optional(integer(1, 'a positive integer')),
    unconditionalLabel: v.optional(integer(0, 'a non-negative integer')),
    classNames: v.optional(whole(v.pipe(v.array(v.string()), v.readonly()), 'numClasses strings')),
    defaultGuidanceScale: v.optional(atLeast(0, 'a number >= 0')),
  }),
  // rules on two valid fields: partialCheck runs when the fields it names have no issue
  v.forward(
    v.partialCheck(
      [['numClasses'], ['unconditionalLabel']],
      (c) => c.numClasses === undefined || c.unconditionalLabel === undefined || c.unconditionalLabel >= c.numClasses,
      (issue) => {
        const { numClasses: n, unconditionalLabel: u } = issue.input as { numClasses: number; unconditionalLabel: number };
        return `Invalid ${AT} ${u}: it is one of the classes 0..${n - 1}; expected a label >= numClasses (${n}).`;
      },
    ),
    ['unconditionalLabel'],
  ),
  v.forward(
    v.partialCheck(
      [['numClasses'], ['classNames']],
      (c) => c.numClasses === undefined || c.classNames === undefined || c.classNames.length === c.numClasses,
      (issue) => {
        const { numClasses: n, classNames } = issue.input as { numClasses: number; classNames: readonly string[] };
        return invalid(classNames, `${n} strings`);
      },
    ),
    ['classNames'],
  ),
);

const image = block({
  range: whole(
    v.pipe(
      v.strictTuple([v.number(), v.number()]),
      v.check(([low, high]) => low < high),
      v.readonly(),
    ),
    '[low, high] with low < high',
  ),
  crop: v.optional(
    block({
      top: integer(0, 'a non-negative integer'),
      left: integer(0, 'a non-negative integer'),
      height: integer(1, 'a positive integer'),
      width: integer(1, 'a positive integer'),
    }),
  ),
});

const vae = block({
  file: relativeFile(),
  sha256: sha256(),
  input: text(),
  output: text(),
  scalingFactor: above(0, 'a number > 0 (SD: 0.18215)'),
});

const textEncoder = block({
  file: relativeFile(),
  sha256: sha256(),
  input: text(),
  output: text(),
  maxLength: integer(2, 'an integer >= 2 (CLIP: 77)'),
});

const tokenizerFiles = block({
  vocab: v.optional(relativeFile()),
  merges: v.optional(relativeFile()),
  json: v.optional(relativeFile()),
  padToken: v.optional(text()),
});

/** Either vocab.json + merges.txt or tokenizer.json; a missing half names itself. */
const tokenizerRules = v.rawCheck<v.InferOutput<typeof tokenizerFiles>>(({ dataset, addIssue }) => {
  const t: unknown = dataset.value;
  if (!isRecord(t)) return;
  const has = (k: string): boolean => t[k] !== undefined;
  if (has('json') && (has('vocab') || has('merges'))) {
    const message = `Invalid ${AT}: give either json (tokenizer.json) or vocab and merges (vocab.json, merges.txt), not both.`;
    addIssue({ message, path: pathTo(t, ['json']) });
  } else if (!has('json')) {
    for (const k of ['vocab', 'merges'] as const) {
      const message = `Missing ${AT}: expected the path of ${k === 'vocab' ? 'vocab.json' : 'merges.txt'}, or json: the path of tokenizer.json.`;
      if (!has(k)) addIssue({ message, path: pathTo(t, [k]) });
    }
  }
});

const tokenizer = v.pipe(tokenizerFiles, tokenizerRules);

const featureNetwork = block({
  file: relativeFile(),
  sha256: sha256(),
  input: text(),
  features: text(),
  logits: v.optional(text()),
  dim: integer(1, 'a positive integer'),
});

const referenceStats = block({
  file: relativeFile(),
  sha256: sha256(),
  count: integer(1, 'a positive integer'),
  description: v.optional(text()),
});

const evaluation = block({
  prompts: v.optional(block({ file: relativeFile(), sha256: sha256(), count: integer(1, 'a positive integer') })),
  clip: v.optional(relativeFile()),
  attributes: v.optional(block({ file: relativeFile(), sha256: sha256() })),
});

const family = choice(MODEL_FAMILIES);

const manifestFields = {
  format: v.literal(1, (issue) => `Unsupported manifest format ${show(issue.input)}. Should be one of: 1.`),
  name: text(),
  description: v.optional(text()),
  family,
  unet,
  scheduler,
  conditioning: v.optional(conditioning),
  image: v.optional(image),
  vae: v.optional(vae),
  textEncoder: v.optional(textEncoder),
  tokenizer: v.optional(tokenizer),
  featureNetwork: v.optional(featureNetwork),
  referenceStats: v.optional(referenceStats),
  evaluation: v.optional(evaluation),
  provenance: v.optional(
    v.pipe(v.custom<Record<string, unknown>>(isRecord, expected('an object')), v.record(v.string(), v.unknown()), v.readonly()),
  ),
  testSample: v.optional(
    v.pipe(v.custom<Record<string, unknown>>(isRecord, expected('an object')), v.record(v.string(), v.unknown()), v.readonly()),
  ),
  $schema: v.optional(v.string(expected('a string (the JSON Schema URL editors read)'))),
};

// Keys the format does not define are reported (fields.ts' closedBlock), here and in every block.
const manifestObject = closedBlock(manifestFields, 'manifest field');

/**
 * What a family requires or forbids: the UNet inputs it feeds, the blocks its pipeline runs. The
 * missing block or field gets the message of its own schema (`Missing vae: expected an object.`).
 * A rule stays silent while the family is invalid (its issue says so) or the block it reads is
 * not an object.
 */
const familyRules = v.rawCheck<v.InferOutput<typeof manifestObject>>(({ dataset, addIssue }) => {
  const m: unknown = dataset.value;
  if (!isRecord(m) || !v.is(family, m.family)) return;
  const f: ModelFamily = m.family;
  const need = (...keys: [string, ...string[]]): void => {
    addIssue({ message: missingMessage(schemaAt(manifestObject, keys)), path: pathTo(m, keys) });
  };
  const inputs = isRecord(m.unet) && isRecord(m.unet.inputs) ? m.unet.inputs : undefined;
  if (inputs) {
    if (f === 'class-conditional' && inputs.classLabels === undefined) need('unet', 'inputs', 'classLabels');
    if (f === 'stable-diffusion' && inputs.encoderHiddenStates === undefined) need('unet', 'inputs', 'encoderHiddenStates');
    if (f === 'unconditional' && inputs.classLabels !== undefined) {
      const message = 'An unconditional model has no classLabels input: use family "class-conditional".';
      addIssue({ message, path: pathTo(m, ['unet', 'inputs', 'classLabels']) });
    }
  }
  // a latent model may be class-conditional: a classLabels input makes it need the class fields
  const latentWithClasses = f === 'latent' && inputs?.classLabels !== undefined;
  if (m.conditioning === undefined) {
    if (f === 'class-conditional') need('conditioning');
    else if (latentWithClasses) {
      const message = 'Missing conditioning: a latent model with a classLabels input needs numClasses and unconditionalLabel.';
      addIssue({ message, path: pathTo(m, ['conditioning']) });
    }
  } else if (isRecord(m.conditioning) && (f === 'class-conditional' || latentWithClasses)) {
    if (m.conditioning.numClasses === undefined) need('conditioning', 'numClasses');
    if (m.conditioning.unconditionalLabel === undefined) need('conditioning', 'unconditionalLabel');
  }
  if ((f === 'latent' || f === 'stable-diffusion') && m.vae === undefined) need('vae');
  if (f === 'stable-diffusion' && m.textEncoder === undefined) need('textEncoder');
  if (f === 'stable-diffusion' && m.tokenizer === undefined) need('tokenizer');
});

/**
 * The schema of `model.json` (format 1). Validate through `validateManifest`, which turns the
 * issues into RuntimeIssues (JSON paths, document order) and returns the input itself.
 *
 * @internal
 */
export const manifestSchema = v.pipe(
  v.custom<Record<string, unknown>>(isRecord, (issue) => `Invalid manifest ${show(issue.input)}: expected a JSON object.`),
  manifestObject,
  familyRules,
  v.readonly(),
);

/**
 * Top-level keys whose issues the hand-written validator reported as `manifest.<key>` (kept: tests
 * and users may match on them).
 *
 * @internal
 */
export const PREFIXED_KEYS: ReadonlySet<string> = new Set(['name', 'description', 'family']);

// ---- compile-time proof: the schema's output is the interfaces, field for field --------------
// Equal is type identity, stricter than assignability both ways: it also fails on a field that is
// optional, or readonly, on one side only. A failing line names the block that drifted.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Out<S extends v.GenericSchema> = v.InferOutput<S>;
true satisfies Equal<Out<typeof cacheBranch>, CacheBranch>;
true satisfies Equal<Out<typeof unet>, UnetSpec>;
true satisfies Equal<Out<typeof scheduler>, SchedulerSpec>;
true satisfies Equal<Out<typeof conditioning>, ConditioningSpec>;
true satisfies Equal<Out<typeof image>, ImageSpec>;
true satisfies Equal<Out<typeof vae>, VaeSpec>;
true satisfies Equal<Out<typeof textEncoder>, TextEncoderSpec>;
true satisfies Equal<Out<typeof tokenizer>, TokenizerSpec>;
true satisfies Equal<Out<typeof featureNetwork>, FeatureNetworkSpec>;
true satisfies Equal<Out<typeof referenceStats>, ReferenceStatsSpec>;
true satisfies Equal<Out<typeof evaluation>, EvaluationSpec>;
true satisfies Equal<Out<typeof manifestSchema>, ModelManifest>;
true satisfies Equal<ModelManifest, Out<typeof manifestSchema>>;
