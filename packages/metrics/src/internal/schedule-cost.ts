import type { CostProfile, Schedule } from '@flexiffusion/schedule';
import { MetricsError } from '../errors.js';

/**
 * MACs of a schedule under a cost profile, and its speedup over all full steps of the same length.
 *
 * @throws {@link MetricsError} `invalid-option` when the schedule uses a branch the profile has no cost for.
 * @internal
 */
export function costOf(schedule: Schedule, p: CostProfile): { macs: number; speedup: number } {
  let macs = 0;
  let t = 0;
  for (const seg of schedule.segments) {
    for (const st of seg) {
      t++;
      if (st.kind === 'full') macs += p.fullMacs;
      else if (st.kind === 'partial') {
        const m = p.partialMacs[st.branch];
        if (m === undefined) {
          throw new MetricsError(
            'invalid-option',
            `The schedule uses cache branch ${st.branch} but the cost profile has ${p.partialMacs.length} branch costs ` +
              `(valid: 0..${p.partialMacs.length - 1}).`,
          );
        }
        macs += m;
      }
    }
  }
  return { macs, speedup: macs === 0 ? Number.POSITIVE_INFINITY : (t * p.fullMacs) / macs };
}
