#!/usr/bin/env node
// Matched-cost summary (issue 19, item 3). At each MAC cost c of --levels, it compares the best
// FID@5000 among our searched rows at least c× faster with the best row of each peer family
// (DDIM-k, DPM-Solver++-k, UniPC-k, DeepCache, AutoDiffusion's search, GITS-k, GITS-k +
// DPM-Solver++) that is also at least c× faster. It reads the benchmarks JSON files that
// bench/headline.mjs and bench/headline-t2i.mjs wrote and generates nothing. FID@5000 is a
// deterministic function of (schedule, sampler), because every row uses the same seeds, so rows
// from different sections can be compared. Their timings cannot, so the cost here is MACs only.
//
//   node bench/matched-cost.mjs [--model fashion|fashion-sd] [--levels 2,3,4,5,6]
//                               [--tolerance 0.03] [--write]
//
// --tolerance: a row counts as c× when its MAC speed-up is at least c·(1 − tolerance). The
// default 3% lets DDIM-17 (2.94×) stand for 3×, the same for us and for the peers.
// ± is the two rows' bootstrap standard deviations (each of the row's FID change against the
// teacher) combined as if independent, sqrt(a² + b²). The rows come from different runs, so no
// paired bootstrap is possible here: take ± as a scale. Where a section has the paired
// difference of the same two rows it is of similar size (the warm-started ≥ 2× row against
// DDIM-25: ± 0.047 paired in section headline-v2-warm, ± 0.051 here).
// --write writes section matched-cost-MODEL of docs/benchmarks.md.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shellQuote, writeSection } from './lib-benchmarks-md.mjs';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'fashion' },
    levels: { type: 'string', default: '2,3,4,5,6' },
    tolerance: { type: 'string', default: '0.03' },
    write: { type: 'boolean', default: false },
  },
});
const MODELS = ['fashion', 'fashion-sd'];
if (!MODELS.includes(args.model)) throw new Error(`--model "${args.model}": expected one of ${MODELS.join(', ')}`);
const levels = args.levels.split(',').map(Number);
for (const c of levels)
  if (!Number.isFinite(c) || c < 1) throw new Error(`--levels entry "${c}": expected MAC speed-ups ≥ 1, e.g. 2,3,4,5,6`);
const tolerance = Number(args.tolerance);
if (!(tolerance >= 0 && tolerance < 0.5)) throw new Error(`--tolerance "${args.tolerance}": expected a fraction in [0, 0.5)`);

/** Peer families, in the issue's order: a name and a test on a row's method. */
const FAMILIES = [
  { name: 'DDIM-k', test: (m) => /^DDIM-\d+$/.test(m) },
  { name: 'DPM-Solver++-k', test: (m) => /^DPM-Solver\+\+-\d+$/.test(m) },
  { name: 'UniPC-k', test: (m) => /^UniPC-\d+$/.test(m) },
  { name: 'DeepCache (uniform)', test: (m) => /^DeepCache-/.test(m) },
  { name: "AutoDiffusion's search", test: (m) => /^AutoDiffusion/.test(m) },
  { name: 'GITS-k', test: (m) => /^GITS-\d+$/.test(m) },
  { name: 'GITS-k + DPM-Solver++', test: (m) => /^GITS-\d+ \+ DPM-Solver\+\+$/.test(m) },
];
const isOurs = (m) => m.startsWith('Flexiffusion');

const docs = join(import.meta.dirname, '..', 'docs');
const files = (await readdir(docs)).filter((f) => /^benchmarks(-.+)?\.json$/.test(f)).sort();
/** Every row of the model, once per (sampler, schedule), with the files it appears in. */
const rows = new Map();
const conflicts = [];
const used = new Set();
let teacherFid;
let maxRel = 0;
/** Same FID up to float noise: the sections ran on different machines (relative 1e-6). */
const same = (a, b) => {
  maxRel = Math.max(maxRel, Math.abs(a - b) / Math.abs(b));
  return Math.abs(a - b) <= 1e-6 * Math.abs(b);
};
for (const f of files) {
  const j = JSON.parse(await readFile(join(docs, f), 'utf8'));
  if (!Array.isArray(j.rows)) continue;
  for (const r of j.rows) {
    if ((r.model ?? 'fashion') !== args.model || typeof r.fid !== 'number') continue;
    used.add(f);
    if (r.method === 'teacher DDIM-50') {
      if (teacherFid !== undefined && !same(r.fid, teacherFid)) conflicts.push(`teacher: ${teacherFid} in one file, ${r.fid} in ${f}`);
      teacherFid ??= r.fid;
      continue;
    }
    const key = `${r.sampler} ${r.schedule}`;
    const seen = rows.get(key);
    if (seen) {
      if (!same(r.fid, seen.fid)) conflicts.push(`${r.method}: FID ${seen.fid} (${seen.files[0]}) vs ${r.fid} (${f})`);
      seen.files.push(f);
      // the same schedule under another name (the grid's DDIM-10, a search that returned a
      // baseline): a baseline's name wins, so the row is counted in its family too
      if (!FAMILIES.some((x) => x.test(seen.method)) && FAMILIES.some((x) => x.test(r.method))) seen.alias = r.method;
      continue;
    }
    rows.set(key, { ...r, files: [f] });
  }
}
if (teacherFid === undefined) throw new Error(`no teacher row for model "${args.model}" in docs/benchmarks*.json`);
const all = [...rows.values()];
/** A family's rows: its own names, and rows of other names with the same schedule (`alias`). */
const membersOf = (fam) => all.filter((r) => fam.test(r.method) || (r.alias !== undefined && fam.test(r.alias)));
const sdOf = (r) => ((r.fidChangeSdPct ?? 0) / 100) * teacherFid;
const pct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}%`;
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const cell = (r) => `${r.method} (${r.macSpeedup.toFixed(2)}×, ${r.fid.toFixed(3)}, ${pct(r.fidDegradationPct)})`;
const best = (list) => list.reduce((a, b) => (b.fid < a.fid ? b : a), list[0]);

const lines = [];
const out = [];
for (const c of levels) {
  const floor = c * (1 - tolerance);
  const ours = all.filter((r) => isOurs(r.method) && r.macSpeedup >= floor);
  const oursBest = ours.length > 0 ? best(ours) : undefined;
  for (const fam of FAMILIES) {
    const members = membersOf(fam);
    const peers = members.filter((r) => r.macSpeedup >= floor);
    const peer = peers.length > 0 ? best(peers) : undefined;
    const fastest = members.length > 0 ? Math.max(...members.map((r) => r.macSpeedup)) : undefined;
    let diff = '–';
    let verdict;
    if (!oursBest) verdict = 'no searched row';
    else if (!peer) verdict = members.length === 0 ? 'family not measured' : `no row at ≥ ${c}× (fastest measured: ${fastest.toFixed(2)}×)`;
    else {
      const d = oursBest.fid - peer.fid;
      const sd = Math.hypot(sdOf(oursBest), sdOf(peer));
      diff = `${signed(d)} ± ${sd.toFixed(3)}`;
      verdict = d < -2 * sd ? 'ours lower' : d > 2 * sd ? '**peer lower**' : 'within 2 sd';
      out.push({ level: c, family: fam.name, ours: oursBest.method, peer: peer.method, difference: d, sd });
    }
    lines.push(`| ${c}× | ${fam.name} | ${peer ? cell(peer) : '–'} | ${oursBest ? cell(oursBest) : '–'} | ${diff} | ${verdict} |`);
  }
}

const kList = (fam) =>
  membersOf(fam)
    .map((r) => r.macSpeedup)
    .sort((a, b) => a - b)
    .map((s) => `${s.toFixed(2)}×`)
    .join(', ') || 'none';
const body = [
  `Model \`${args.model}\`, teacher DDIM-50 (FID@5000 ${teacherFid.toFixed(3)}). Read from ${used.size} files (docs/${[...used].join(', docs/')}); ${all.length} distinct (schedule, sampler) rows of this model. Nothing is generated: FID@5000 uses the same 5,000 seeds in every section, so a row's FID is a function of its schedule and sampler. Where a schedule appears in several files the FIDs ${conflicts.length > 0 ? `differ: ${conflicts.join('; ')}` : `agree to a relative ${maxRel.toExponential(1)} (float noise across machines)`}.`,
  '',
  `At each MAC cost c: our best row is the lowest FID among the searched rows (any Flexiffusion variant, any section) with a MAC speed-up of at least c·(1 − ${tolerance}); each family's best row is the lowest FID among its rows at that speed-up or more. Difference = ours − peer, lower is better for us; ± = the two rows' bootstrap standard deviations (of each row's FID change against the teacher) combined as if independent: a scale, not a paired bootstrap, which rows from different runs cannot have. Where a section holds the paired difference of the same two rows, that one is the sharper figure. Verdict: "ours lower" or "peer lower" when the difference exceeds 2 sd, otherwise "within 2 sd".`,
  '',
  '| cost | peer family | its best row at ≥ c (MACs, FID, change) | our best row at ≥ c | difference (FID) | verdict |',
  '| ---: | --- | --- | --- | ---: | --- |',
  ...lines,
  '',
  'MAC speed-ups measured per family (a family is only as strong here as the rows it has):',
  '',
  ...FAMILIES.map((f) => `- ${f.name}: ${kList(f)}`),
].join('\n');

console.log(body);
const wins = out.filter((o) => o.difference < -2 * o.sd).length;
const losses = out.filter((o) => o.difference > 2 * o.sd);
console.log(
  `\n${out.length} comparisons: ${wins} ours lower, ${losses.length} peer lower${losses.length ? ` (${losses.map((l) => `${l.level}× ${l.family}`).join(', ')})` : ''}, ${out.length - wins - losses.length} within 2 sd.`,
);
if (args.write) {
  const cmd = ['node', 'bench/matched-cost.mjs', ...process.argv.slice(2)].map(shellQuote).join(' ');
  await writeSection(
    `matched-cost-${args.model}`,
    `Matched MAC cost on ${args.model === 'fashion' ? 'the pixel model' : 'the text-to-image model'}: our best searched row against each peer family`,
    body,
    cmd,
  );
  console.log(`wrote docs/benchmarks.md (matched-cost-${args.model})`);
}
