/**
 * A tour of the schedule DSL, run by the repository's `npm start` until the embedded model and
 * the `flexi` CLI are in place. Not exported from the package.
 *
 * @internal
 * @packageDocumentation
 */
import {
  createSearchSpace,
  deepCacheSchedule,
  formatSchedule,
  parseSchedule,
  planSchedule,
  scheduleCost,
  uniformSchedule,
  validateSchedule,
} from './index.js';

// An illustrative cost profile (MACs per sample): NOT measured on a model.
const profile = { fullMacs: 190e6, partialMacs: [50e6, 90e6, 145e6] };

const s = parseSchedule('F P1 P1 N N | F P0 N N N');
console.log(`schedule      ${formatSchedule(s)}`);
console.log('plan (T = 10, 1000 training timesteps, null steps skipped):');
for (const p of planSchedule(s).steps) {
  const cache = p.cacheFrom === null ? '' : `  reads the cache of step ${p.cacheFrom}`;
  console.log(`  step ${p.index}: ${p.kind.padEnd(7)}${p.branch === null ? '  ' : ` b${p.branch}`} t=${p.timestep} -> ${p.nextTimestep}${cache}`);
}
console.log('\nspeed-ups under an illustrative cost profile (full 190M MACs, partial 50M/90M/145M):');
for (const [name, sched] of [
  ['DDIM-25 (of 50)', uniformSchedule(50, 25)],
  ['DDIM-10 (of 50)', uniformSchedule(50, 10)],
  ['DeepCache N=5 b=0', deepCacheSchedule(50, 5, 0)],
  ['segment F P1 P1 N N', parseSchedule(Array(10).fill('F P1 P1 N N').join(' | '))],
] as const) {
  console.log(`  ${name.padEnd(20)} ${scheduleCost(sched, profile).speedup.toFixed(2)}x`);
}
const space = createSearchSpace({ steps: 50, segmentLengths: [2, 5, 10, 25], branches: 3 });
console.log(`\nsegment-wise space for T=50, L in {2,5,10,25}, 3 branches: ${space.size()} schedules (step-wise: 3^50 = ${3n ** 50n})`);
const bad = validateSchedule('F P1 X | F N', { branches: 3 });
if (!bad.ok) console.log(`\nvalidation: ${bad.issues[0]!.message}`);
