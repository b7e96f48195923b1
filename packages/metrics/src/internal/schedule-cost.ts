import { type CostProfile, type Schedule, ScheduleError, scheduleCost } from '@flexiffusion/schedule';
import { MetricsError } from '../errors.js';

/**
 * MACs of a schedule under a cost profile (its `fixedMacs` included), and its speed-up over all
 * full steps of the same length: the schedule package's {@link scheduleCost}, with its errors as
 * metrics errors.
 *
 * @throws {@link MetricsError} `invalid-option` when the schedule uses a branch the profile has no
 *   cost for, or the profile is invalid.
 * @internal
 */
export function costOf(schedule: Schedule, p: CostProfile): { macs: number; speedup: number } {
  try {
    const { macs, speedup } = scheduleCost(schedule, p);
    return { macs, speedup };
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    throw new MetricsError('invalid-option', `Invalid costProfile for this schedule: ${e.message}`, { cause: e });
  }
}
