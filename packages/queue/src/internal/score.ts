import { type FeatureStats, type FrechetRoute, frechetDistance, kernelInceptionDistance } from '@flexiffusion/metrics';
import { type CostProfile, type EvaluationResult, type Schedule, ScheduleError, scheduleCost } from '@flexiffusion/schedule';
import { QueueError } from '../errors.js';
import type { JobTimings } from '../result.js';
import { describe } from './describe.js';

/** KID settings with defaults applied (those of metrics' rFID evaluator). @internal */
export interface KidSettings {
  readonly subsetSize: number;
  readonly subsets: number;
  readonly seed: number;
}

/** How a candidate is scored from its statistics: the local rFID evaluator's settings. @internal */
export interface ScoreSettings {
  readonly route: FrechetRoute;
  readonly kid: KidSettings | undefined;
  readonly paired: boolean;
  readonly dataRange: number;
  readonly maxPsnrDb: number;
  readonly costProfile: CostProfile | undefined;
  /** Statistics of real data: with them, `fid` and `teacherFid` as the local evaluator reports. */
  readonly reference: FeatureStats | undefined;
}

const int = (v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new QueueError('invalid-option', `Invalid ${what} ${describe(v)}: expected an integer in [${min}, ${max}].`);
  }
  return v;
};

/**
 * Resolve KID and paired-metric defaults exactly as `createRfidEvaluator` of
 * `@flexiffusion/metrics` does, so that a queued search scores like a local one.
 *
 * @internal
 */
export function resolveScoreSettings(
  o: {
    readonly kid?: { readonly subsets?: number; readonly subsetSize?: number; readonly seed?: number } | false | undefined;
    readonly paired?: boolean | undefined;
    readonly dataRange?: number | undefined;
    readonly maxPsnrDb?: number | undefined;
    readonly frechetRoute?: FrechetRoute | undefined;
    readonly costProfile?: CostProfile | undefined;
    readonly reference?: FeatureStats | undefined;
  },
  n: number,
): ScoreSettings {
  let kid: KidSettings | undefined;
  if (o.kid !== false) {
    const k = o.kid ?? {};
    const subsetSize = k.subsetSize === undefined ? Math.min(1000, n) : int(k.subsetSize, 'kid.subsetSize', 2, n);
    kid = {
      subsetSize,
      subsets: k.subsets === undefined ? (subsetSize === n ? 1 : 100) : int(k.subsets, 'kid.subsets', 1),
      seed: k.seed === undefined ? 0 : int(k.seed, 'kid.seed', Number.MIN_SAFE_INTEGER),
    };
  }
  const dataRange = o.dataRange ?? 2;
  if (typeof dataRange !== 'number' || !Number.isFinite(dataRange) || dataRange <= 0) {
    throw new QueueError('invalid-option', `Invalid dataRange ${describe(dataRange)}: expected a finite number > 0.`);
  }
  const maxPsnrDb = o.maxPsnrDb ?? 100;
  if (typeof maxPsnrDb !== 'number' || Number.isNaN(maxPsnrDb)) {
    throw new QueueError('invalid-option', `Invalid maxPsnrDb ${describe(maxPsnrDb)}: expected a number.`);
  }
  const route = o.frechetRoute ?? 'auto';
  if (route !== 'auto' && route !== 'full' && route !== 'low-rank') {
    throw new QueueError('invalid-option', `Invalid frechetRoute ${describe(route)}: expected "auto", "full" or "low-rank".`);
  }
  const reference = o.reference;
  if (
    reference !== undefined &&
    (typeof reference !== 'object' ||
      reference === null ||
      !(reference.mean instanceof Float64Array) ||
      !(reference.cov instanceof Float64Array))
  ) {
    throw new QueueError(
      'invalid-option',
      `Invalid reference ${describe(reference)}: expected FeatureStats (featureStats() or deserializeStats()).`,
    );
  }
  return { route, kid, paired: o.paired !== false, dataRange, maxPsnrDb, costProfile: o.costProfile, reference };
}

/**
 * MACs (the profile's `fixedMacs` included) and speed-up over all-full of the same length: the
 * schedule package's `scheduleCost`, as the local rFID evaluator reports them, with its errors as
 * queue errors. @internal
 */
export function costOf(schedule: Schedule, p: CostProfile): { macs: number; speedup: number } {
  try {
    const { macs, speedup } = scheduleCost(schedule, p);
    return { macs, speedup };
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    throw new QueueError('invalid-option', `Invalid costProfile for this schedule: ${e.message}`, { cause: e });
  }
}

/** The teacher's distance to the reference, once per teacher statistics. */
const teacherFids = new WeakMap<FeatureStats, number>();

/**
 * Score a candidate from its statistics and per-sample MSE, with the computations and the metric
 * order of the local rFID evaluator: `macs`, `speedup`, `latencyMs`, `extractMs`, `rfid`, `fid`,
 * `teacherFid` (with a reference), `kid`, `kidStd`, `mse`, `psnr`. The timings are the worker's.
 *
 * @internal
 */
export function scoreCandidate(
  schedule: Schedule,
  stats: FeatureStats,
  mse: readonly number[] | undefined,
  teacher: FeatureStats,
  timings: JobTimings,
  s: ScoreSettings,
): EvaluationResult {
  const metrics: Record<string, number> = {};
  if (s.costProfile !== undefined) Object.assign(metrics, costOf(schedule, s.costProfile));
  metrics['latencyMs'] = timings.generateMs;
  metrics['extractMs'] = timings.extractMs;
  const rfid = frechetDistance(stats, teacher, { route: s.route });
  metrics['rfid'] = rfid;
  if (s.reference !== undefined) {
    metrics['fid'] = frechetDistance(stats, s.reference, { route: s.route });
    let t = teacherFids.get(teacher);
    if (t === undefined) teacherFids.set(teacher, (t = frechetDistance(teacher, s.reference, { route: s.route })));
    metrics['teacherFid'] = t;
  }
  if (s.kid !== undefined) {
    const k = kernelInceptionDistance(stats.features!, teacher.features!, stats.dim, { ...s.kid, paired: true });
    metrics['kid'] = k.mean;
    metrics['kidStd'] = k.std;
  }
  if (s.paired && mse !== undefined) {
    let total = 0;
    for (const m of mse) total += m;
    metrics['mse'] = total / mse.length;
    let sum = 0;
    const r2 = s.dataRange * s.dataRange;
    for (const m of mse) sum += m === 0 ? s.maxPsnrDb : Math.min(s.maxPsnrDb, 10 * Math.log10(r2 / m));
    metrics['psnr'] = sum / mse.length;
  }
  return Object.freeze({ ok: true as const, objective: rfid, metrics: Object.freeze(metrics) });
}
