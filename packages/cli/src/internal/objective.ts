/**
 * The search's objective (`--metric`), read from what the rFID evaluator already measures against
 * the teacher on the same seeds and conditions. The search minimises it:
 *
 * - `rfid`: Fréchet distance of the feature network's statistics (candidate vs teacher);
 * - `kid`: the paired kernel inception distance on the same features;
 * - `psnr`: −PSNR in dB of each image against the teacher image of the same seed, averaged (no feature network);
 * - `clip`: the CLIP-score drop, teacher − candidate (100·cos of the prompt and image embeddings, averaged;
 *   0 = as faithful to the prompts as the teacher; negative = more);
 * - `fid`: the Fréchet distance of the candidate's features to the model's reference statistics (real
 *   data) at N, on the same seeds as the teacher (needs the manifest's featureNetwork and referenceStats);
 * - `rfid-fid`: ½·rFID + ½·(fid − the teacher's fid): the distance to the teacher and the change of the
 *   distance to the data, equally weighted (needs what `fid` needs).
 */
import type { EvaluateOptions, EvaluationResult, Evaluator, Schedule } from '@flexiffusion/schedule';

/** The `--metric` values. */
export type MetricName = 'rfid' | 'kid' | 'psnr' | 'clip' | 'fid' | 'rfid-fid';

/** The valid `--metric` values. */
export const METRIC_NAMES: readonly MetricName[] = Object.freeze(['rfid', 'kid', 'psnr', 'clip', 'fid', 'rfid-fid']);

/** The metrics that need the model's reference statistics (real data) in its own feature space. */
export const DATA_METRICS: readonly MetricName[] = Object.freeze(['fid', 'rfid-fid']);

/** What each metric's objective is, in words (the report's axis, the search's summary line). */
export const OBJECTIVE_LABELS: Readonly<Record<MetricName, string>> = Object.freeze({
  rfid: 'rFID vs teacher',
  kid: 'KID vs teacher',
  psnr: '−PSNR vs teacher (dB)',
  clip: 'CLIP-score drop vs teacher',
  fid: 'FID vs data at N',
  'rfid-fid': '½ rFID + ½ FID change vs data',
});

/** The short name of each metric's objective (the progress line). */
export const OBJECTIVE_SHORT: Readonly<Record<MetricName, string>> = Object.freeze({
  rfid: 'rFID',
  kid: 'KID',
  psnr: '-PSNR',
  clip: 'CLIP drop',
  fid: 'FID@N',
  'rfid-fid': 'rFID+FID',
});

/** Options of {@link objectiveEvaluator}. */
export interface ObjectiveOptions {
  readonly metric: MetricName;
  /** Metric keys to drop from every result (`rfid`, `kid`, `kidStd` when they come from the stand-in extractor). */
  readonly drop: readonly string[];
  /** The candidate's CLIP score, recorded when its images were generated (by schedule). */
  readonly clipOf?: (schedule: Schedule) => number | undefined;
  /** The teacher's CLIP score. */
  readonly teacherClip?: () => Promise<number>;
}

/**
 * The objective of `metric` from one result's metrics (see the module's summary), or undefined
 * when a metric it needs is missing.
 *
 * @param metric - the `--metric` value.
 * @param m - the evaluator's metrics of one schedule.
 * @returns the value the search minimises, or undefined.
 */
export function objectiveOf(metric: MetricName, m: Readonly<Record<string, number>>): number | undefined {
  switch (metric) {
    case 'rfid':
      return m['rfid'];
    case 'kid':
      return m['kid'];
    case 'psnr':
      return m['psnr'] === undefined ? undefined : -m['psnr'];
    case 'clip':
      return m['clipDrop'];
    case 'fid':
      return m['fid'];
    case 'rfid-fid':
      return m['rfid'] === undefined || m['fid'] === undefined || m['teacherFid'] === undefined
        ? undefined
        : 0.5 * m['rfid'] + 0.5 * (m['fid'] - m['teacherFid']);
  }
}

/** An evaluator whose objective is `metric`, on top of the rFID evaluator (which measures everything once). */
export function objectiveEvaluator(inner: Evaluator, o: ObjectiveOptions): Evaluator {
  let teacherClip: number | undefined;
  const map = (schedule: Schedule, r: EvaluationResult): EvaluationResult => {
    if (!r.ok) return r;
    const metrics: Record<string, number> = { ...r.metrics };
    for (const k of o.drop) delete metrics[k];
    const clip = o.clipOf?.(schedule);
    if (clip !== undefined) {
      metrics['clip'] = clip;
      if (teacherClip !== undefined) metrics['clipDrop'] = teacherClip - clip;
    }
    const objective = objectiveOf(o.metric, metrics);
    if (objective === undefined || !Number.isFinite(objective)) return { ok: false, reason: `no ${o.metric} for this schedule` };
    return Object.freeze({ ok: true as const, objective, metrics: Object.freeze(metrics) });
  };
  return {
    async evaluate(schedules: readonly Schedule[], opts: EvaluateOptions = {}) {
      if (o.teacherClip && teacherClip === undefined) teacherClip = await o.teacherClip();
      const { onResult, ...rest } = opts;
      const results = await inner.evaluate(schedules, {
        ...rest,
        ...(onResult ? { onResult: (i: number, r: EvaluationResult) => onResult(i, map(schedules[i]!, r)) } : {}),
      });
      return Object.freeze(results.map((r, i) => map(schedules[i]!, r)));
    },
  };
}
