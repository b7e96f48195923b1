#!/usr/bin/env node
// Compares settings of the evolutionary searcher (@flexiffusion/search-evo) on a SYNTHETIC
// objective, to choose its defaults for small budgets (tens to a few hundred evaluations).
//
//   npx turbo run build --filter=@flexiffusion/search-evo --filter=@flexiffusion/search-random
//   node bench/search-evo-defaults.mjs [--seeds 20] [--seed-offset 0] [--budget 192] [--only REGEX] [--quick]
//
// (A few minutes for all settings with the defaults on two cores: 3 to 8 measured here.) --only keeps the settings
// whose name matches REGEX; --seed-offset runs other seeds (to confirm a choice on fresh seeds).
//
// THE OBJECTIVE IS SYNTHETIC. It is not rFID and no model runs: it is a deterministic function
// of the schedule built from the cost profile's structure, meant to have the shape we expect of
// rFID against the teacher — skipping steps (nulls) costs more the longer the jump, a partial
// step costs more the shallower its branch and the older its cache, some timesteps matter more
// than others, errors compound, and a small deterministic "sampling noise" (±3%) is added. Its
// figures say which search settings find low values of such a function quickly, nothing about
// image quality.
import { randomSearcher } from '@flexiffusion/search-random';
import { createSearchSpace, formatSchedule, runSearch, scheduleCost, scheduleSteps } from '@flexiffusion/schedule';
import { baselineSeeds, evolutionarySearcher, EVOLUTION_DEFAULTS } from '@flexiffusion/search-evo';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const only = args.includes('--only') ? new RegExp(args[args.indexOf('--only') + 1]) : null;
const SEED0 = arg('seed-offset', 0);
const SEEDS = arg('seeds', quick ? 5 : 20);
const BUDGET = arg('budget', 192);
const CHECKPOINTS = [48, 96, 192].filter((c) => c <= BUDGET);
if (!CHECKPOINTS.includes(BUDGET)) CHECKPOINTS.push(BUDGET);

// ---- the synthetic problem -------------------------------------------------------------------
const T = 50;
// DeepCache-like cost ratios: partial step at branch 0/1/2 = 15% / 32% / 60% of a full step
// (DeepCache's SD figures: N=3, b=0 → 2.3×; N=5, b=0 → 3.2×; N=5, b=1 → 2.2×).
const costProfile = { fullMacs: 1000, partialMacs: [150, 320, 600] };
const space = createSearchSpace({ steps: T, segmentLengths: [2, 5, 10], branches: 3, form: 'paper' });
// error of a partial step per branch (shallower branch = more of the network reused = worse)
const PARTIAL_ERROR = [0.3, 0.12, 0.04];
const sensitivity = (i) => {
  const u = i / (T - 1);
  return 0.6 + 1.6 * Math.exp(-(((u - 0.25) / 0.18) ** 2)) + 0.8 * u ** 4;
};
function hash32(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
/** SYNTHETIC stand-in for rFID (lower is better). */
function syntheticRfid(schedule) {
  const steps = scheduleSteps(schedule);
  const evaluated = [];
  steps.forEach((s, i) => s.kind !== 'null' && evaluated.push(i));
  let lastFull = 0;
  let drift = 0;
  let total = 0;
  let next = 0;
  for (let i = 0; i < T; i++) {
    const st = steps[i];
    let e = 0;
    if (st.kind === 'full') lastFull = i;
    if (st.kind === 'partial') e += sensitivity(i) * PARTIAL_ERROR[st.branch] * (1 + 0.35 * (i - lastFull - 1));
    if (st.kind !== 'null') {
      next++;
      const gap = (evaluated[next] ?? T) - i; // DDIM jump to the next evaluated step
      e += sensitivity(i) * 0.25 * (gap - 1) ** 1.5;
    }
    drift = 0.7 * drift + e; // errors compound
    total += e * (1 + 0.5 * drift);
  }
  const noise = (hash32(formatSchedule(schedule)) / 2 ** 32) * 2 - 1;
  return total * (1 + 0.03 * noise);
}
const evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => ({ ok: true, objective: syntheticRfid(s) }));
  },
};

// ---- the settings compared -------------------------------------------------------------------
const evo = (o) => () => evolutionarySearcher(o);
const allSettings = [
  ['random search', randomSearcher],
  ['AutoDiffusion P50 k10 25m+15c p.25', evo({ populationSize: 50, topK: 10, mutants: 25, crossovers: 15, mutationProbability: 0.25 })],
  ['P24 k6 12m+6c p.25', evo({ populationSize: 24, topK: 6, mutants: 12, crossovers: 6, mutationProbability: 0.25 })],
  ['P24 k6 12m+6c p0', evo({ populationSize: 24, topK: 6, mutants: 12, crossovers: 6, mutationProbability: 0 })],
  ['P16 k4 8m+4c p.25', evo({ populationSize: 16, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0.25 })],
  ['P16 k4 8m+4c p.1', evo({ populationSize: 16, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0.1 })],
  ['P16 k4 8m+4c p0', evo({ populationSize: 16, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0 })],
  ['P16 k8 8m+4c p0', evo({ populationSize: 16, topK: 8, mutants: 8, crossovers: 4, mutationProbability: 0 })],
  ['P16 k4 12m+0c p0', evo({ populationSize: 16, topK: 4, mutants: 12, crossovers: 0, mutationProbability: 0 })],
  ['P12 k4 8m+4c p0', evo({ populationSize: 12, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0 })],
  ['P8 k4 6m+2c p0', evo({ populationSize: 8, topK: 4, mutants: 6, crossovers: 2, mutationProbability: 0 })],
  ['P8 k4 6m+2c p.1', evo({ populationSize: 8, topK: 4, mutants: 6, crossovers: 2, mutationProbability: 0.1 })],
  ['P8 k4 8m+0c p0', evo({ populationSize: 8, topK: 4, mutants: 8, crossovers: 0, mutationProbability: 0 })],
  ['P8 k2 6m+2c p0', evo({ populationSize: 8, topK: 2, mutants: 6, crossovers: 2, mutationProbability: 0 })],
  [
    'P16 k4 8m+4c p0 seedBaselines',
    evo({ populationSize: 16, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0, seedBaselines: true }),
  ],
  [
    'P8 k4 6m+2c p0 seedBaselines',
    evo({ populationSize: 8, topK: 4, mutants: 6, crossovers: 2, mutationProbability: 0, seedBaselines: true }),
  ],
  [
    'P16 k4 8m+4c p0 repair=reject',
    evo({ populationSize: 16, topK: 4, mutants: 8, crossovers: 4, mutationProbability: 0, repair: 'reject' }),
  ],
  ['defaults (EVOLUTION_DEFAULTS)', evo({})],
];
const settings = only ? allSettings.filter(([name]) => only.test(name)) : allSettings;

// ---- run -------------------------------------------------------------------------------------
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sem = (xs) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1 || 1) / xs.length);
};

const overall = new Map(); // minSpeedup -> best trial seen
async function runOne(make, seed, minSpeedup) {
  const best = new Map();
  let cur = Infinity;
  let n = 0;
  await runSearch({
    space,
    searcher: make(),
    evaluator,
    costProfile,
    trials: BUDGET,
    minSpeedup,
    seed,
    batchSize: 8,
    onProgress: ({ trial }) => {
      if (trial.state === 'pruned') return;
      n++;
      if (trial.objective < cur) cur = trial.objective;
      if (trial.objective < (overall.get(minSpeedup)?.objective ?? Infinity)) overall.set(minSpeedup, trial);
      if (CHECKPOINTS.includes(n)) best.set(n, cur);
    },
  });
  for (const c of CHECKPOINTS) if (!best.has(c)) best.set(c, cur);
  return best;
}

console.log(`search-evo defaults bench — SYNTHETIC objective (not rFID; see the header of this file)`);
console.log(
  `space: T=${T}, L in {${space.segmentLengths.join(', ')}}, B=3, paper form, ${space.size()} members; cost profile ${JSON.stringify(costProfile)}`,
);
console.log(`EVOLUTION_DEFAULTS = ${JSON.stringify(EVOLUTION_DEFAULTS)}`);
console.log(
  `${SEEDS} seeds (${SEED0}..${SEED0 + SEEDS - 1}) per setting, budget ${BUDGET} evaluations, batch 8; figures: best objective found after n evaluations, mean ± s.e.m. over seeds (lower is better)\n`,
);

for (const minSpeedup of [2, 2.5, 3]) {
  const rows = [];
  for (const [name, make] of settings) {
    const t0 = performance.now();
    const per = [];
    for (let seed = SEED0; seed < SEED0 + SEEDS; seed++) per.push(await runOne(make, seed, minSpeedup));
    const ms = performance.now() - t0;
    rows.push({ name, per, ms });
  }
  // ranks at the final checkpoint, per seed
  const finalC = CHECKPOINTS[CHECKPOINTS.length - 1];
  for (const r of rows) r.rankSum = 0;
  for (let seed = 0; seed < SEEDS; seed++) {
    // rank 1 = best; ties share their mean rank
    const v = (r) => r.per[seed].get(finalC);
    for (const r of rows) {
      const below = rows.filter((o) => v(o) < v(r)).length;
      const equal = rows.filter((o) => v(o) === v(r)).length;
      r.rankSum += below + (equal + 1) / 2;
    }
  }
  const bestKnown = Math.min(...rows.flatMap((r) => r.per.map((p) => p.get(finalC))));
  const top = overall.get(minSpeedup);
  console.log(
    `minSpeedup ${minSpeedup}   (best value seen by any run: ${bestKnown.toFixed(3)}, ${top.cost.speedup.toFixed(2)}x: ${top.schedule})`,
  );
  const header = [
    'setting'.padEnd(36),
    ...CHECKPOINTS.map((c) => `best@${c}`.padStart(15)),
    'mean rank'.padStart(10),
    'ms/run'.padStart(8),
  ];
  console.log(header.join(' '));
  for (const r of rows) {
    const cells = CHECKPOINTS.map((c) => {
      const xs = r.per.map((p) => p.get(c));
      return `${mean(xs).toFixed(3)} ± ${sem(xs).toFixed(3)}`.padStart(15);
    });
    console.log(
      [r.name.padEnd(36), ...cells, (r.rankSum / SEEDS).toFixed(2).padStart(10), (r.ms / SEEDS).toFixed(0).padStart(8)].join(' '),
    );
  }
  // reference points: the classic baselines of the space that meet the constraint
  const seeds = baselineSeeds(space)
    .map((b) => ({ text: formatSchedule(b), speedup: scheduleCost(b, costProfile).speedup, value: syntheticRfid(b) }))
    .filter((b) => b.speedup >= minSpeedup)
    .sort((a, b) => a.value - b.value);
  const shortText = (t) => (t.length > 40 ? `${t.slice(0, 37)}...` : t);
  console.log(
    `baselines in the space meeting it: ${seeds.map((b) => `${shortText(b.text)} (${b.speedup.toFixed(2)}x) ${b.value.toFixed(3)}`).join('; ')}`,
  );
  console.log('');
}
