#!/usr/bin/env node
// Fréchet distance at d = 2048: @flexiffusion/metrics (TypeScript, float64, WebAssembly SIMD
// kernels, one thread; and with the covariance products in onnxruntime-node) against
// pytorch-fid's numpy/scipy route (np.mean, np.cov, scipy.linalg.sqrtm) on the same features,
// interleaved in the same run.
//
//   npm run build -w @flexiffusion/metrics
//   node bench/metrics-frechet.mjs                          # N = 1000, 2500, 5000, 10000, 50000
//   node bench/metrics-frechet.mjs --n 5000,10000 --reps 3 --batch 500 --ort-threads 2
//   node bench/metrics-frechet.mjs --write                  # also writes docs/benchmarks.md
//
// Each case runs each side as a separate child process, rotating which goes first, `--reps`
// times; the table gives the median time of each and the median of the per-repetition ratios
// (with their range). Timings cover the statistics of both sets and the
// distance; feature generation and file reading are excluded. Peak memory is each child's
// resident-set high-water mark (process.resourceUsage().maxRSS, resource.getrusage).
//
// N ≥ d: the TypeScript side streams the features in batches of `--batch` rows (never holding
// N×d) into createStatsAccumulator (WebAssembly products) or createOnnxStatsAccumulator
// (onnxruntime-node float64 MatMul, `--ort-threads` intra-op threads, default: every core, like numpy), then takes the
// full route (the same WebAssembly distance for both). N < d: it keeps the features
// (featureStats(..., { keepFeatures: true })) and takes the low-rank route. The Python side holds
// all the features in memory, as pytorch-fid does.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const dim = Number(opt('dim', '2048'));
const sizes = String(opt('n', '1000,2500,5000,10000,50000')).split(',').map(Number);
const reps = Number(opt('reps', '2'));
const batch = Number(opt('batch', '500'));
const python = opt('python', '/usr/bin/python3');
const ortThreads = Number(opt('ort-threads', String(cpus().length)));
const SELF = fileURLToPath(import.meta.url);

/** Seeded correlated features, generated row by row (any prefix of the stream is the smaller set). */
function featureStream(d, seed, shifted) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const scale = Float64Array.from({ length: d }, (_, j) => 1 / Math.sqrt(1 + j / 16));
  // a common offset of 2 (Inception pool3 features are non-negative, means ~0.3–1) plus a
  // per-feature one: the centring has to be careful
  const shift = Float64Array.from({ length: d }, () => 2 + 0.3 * normal());
  let row = 0;
  return (rows) => {
    const x = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++, row++) {
      const f = normal();
      for (let j = 0; j < d; j++) {
        let v = normal() * scale[j] + shift[j] + 0.5 * f * scale[(j * 7) % d];
        if (shifted && (row * d + j) % 3 === 0) v += 0.05;
        x[r * d + j] = v;
      }
    }
    return x;
  };
}

/** Write `rows` rows of a stream to a file of little-endian float32, in chunks. */
function writeFeatures(path, d, rows, seed, shifted) {
  const next = featureStream(d, seed, shifted);
  const fd = openSync(path, 'w');
  try {
    for (let r = 0; r < rows; r += 1000) {
      const x = next(Math.min(1000, rows - r));
      writeSync(fd, new Uint8Array(x.buffer));
    }
  } finally {
    closeSync(fd);
  }
}

/** Read rows [r0, r0 + rows) of a float32 feature file. */
function readRows(fd, d, r0, rows) {
  const x = new Float32Array(rows * d);
  const buf = new Uint8Array(x.buffer);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, r0 * d * 4 + got);
    if (n === 0) throw new Error('short read');
    got += n;
  }
  return x;
}

// --- child: the TypeScript side of one case ---------------------------------------------------
if (args[0] === '--child') {
  const [, mode, fileA, fileB, dStr, nStr, bStr, thStr] = args;
  const d = Number(dStr);
  const n = Number(nStr);
  const b = Number(bStr);
  const { createOnnxStatsAccumulator, createStatsAccumulator, featureStats, frechetDistanceDetails } = await import(
    '../packages/metrics/dist/index.js'
  );
  const fa = openSync(fileA, 'r');
  const fb = openSync(fileB, 'r');
  let statsMs = 0;
  let sa;
  let sb;
  if (n < d) {
    // low-rank route: keep the features (N×d, small here)
    const xa = readRows(fa, d, 0, n);
    const xb = readRows(fb, d, 0, n);
    const t0 = performance.now();
    sa = featureStats(xa, d, { keepFeatures: true });
    sb = featureStats(xb, d, { keepFeatures: true });
    statsMs = performance.now() - t0;
  } else if (mode === 'onnx') {
    const { createRequire } = await import('node:module');
    const ort = createRequire(SELF)('onnxruntime-node');
    // one session serves both accumulators (same d): one thread pool, no idle pool spinning while the other runs
    let session;
    const createSession = (model) =>
      (session ??= ort.InferenceSession.create(model, {
        intraOpNumThreads: Number(thStr),
        interOpNumThreads: 1,
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      }));
    let t0 = performance.now();
    const acc = [await createOnnxStatsAccumulator(d, { createSession }), await createOnnxStatsAccumulator(d, { createSession })];
    statsMs += performance.now() - t0;
    for (let r = 0; r < n; r += b) {
      const rows = Math.min(b, n - r);
      const xa = readRows(fa, d, r, rows);
      const xb = readRows(fb, d, r, rows);
      t0 = performance.now();
      await acc[0].add(xa);
      await acc[1].add(xb);
      statsMs += performance.now() - t0;
    }
    t0 = performance.now();
    sa = await acc[0].result();
    sb = await acc[1].result();
    statsMs += performance.now() - t0;
  } else {
    const acc = [createStatsAccumulator(d), createStatsAccumulator(d)];
    for (let r = 0; r < n; r += b) {
      const rows = Math.min(b, n - r);
      const xa = readRows(fa, d, r, rows);
      const xb = readRows(fb, d, r, rows);
      const t0 = performance.now();
      acc[0].add(xa);
      acc[1].add(xb);
      statsMs += performance.now() - t0;
    }
    const t0 = performance.now();
    sa = acc[0].result();
    sb = acc[1].result();
    statsMs += performance.now() - t0;
  }
  closeSync(fa);
  closeSync(fb);
  const t1 = performance.now();
  const r = frechetDistanceDetails(sa, sb);
  const distMs = performance.now() - t1;
  const out = {
    fid: r.distance,
    route: r.route,
    stats_s: statsMs / 1000,
    total_s: (statsMs + distMs) / 1000,
    maxrss_mb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

// --- parent -----------------------------------------------------------------------------------
const PY = `
import json, resource, sys, time
import numpy as np
from scipy import linalg
d, n = int(sys.argv[3]), int(sys.argv[4])
a = np.fromfile(sys.argv[1], dtype='<f4', count=n * d).reshape(n, d)
b = np.fromfile(sys.argv[2], dtype='<f4', count=n * d).reshape(n, d)
t0 = time.perf_counter()
mu1, s1 = np.mean(a, axis=0, dtype=np.float64), np.cov(a.astype(np.float64), rowvar=False)
mu2, s2 = np.mean(b, axis=0, dtype=np.float64), np.cov(b.astype(np.float64), rowvar=False)
t1 = time.perf_counter()
diff = mu1 - mu2
covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
if not np.isfinite(covmean).all():
    off = np.eye(d) * 1e-6
    covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
if np.iscomplexobj(covmean):
    covmean = covmean.real
fid = float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
t2 = time.perf_counter()
print(json.dumps({"fid": fid, "stats_s": t1 - t0, "total_s": t2 - t0,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function runJson(cmd, argv) {
  const p = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
};

const dir = mkdtempSync(join(tmpdir(), 'metrics-bench-'));
const rows = [];
const loadBefore = loadavg();
try {
  const nMax = Math.max(...sizes);
  const fileA = join(dir, 'a.f32');
  const fileB = join(dir, 'b.f32');
  console.error(`writing ${nMax} × ${dim} features per set to ${dir} ...`);
  writeFeatures(fileA, dim, nMax, 1, false);
  writeFeatures(fileB, dim, nMax, 2, true);
  for (const n of sizes) {
    const sides = { wasm: [], onnx: [], py: [] };
    const names = n < dim ? ['wasm', 'py'] : ['wasm', 'onnx', 'py'];
    const load = loadavg()[0];
    const run = {
      wasm: () => runJson(process.execPath, [SELF, '--child', 'wasm', fileA, fileB, String(dim), String(n), String(batch), '1']),
      onnx: () =>
        runJson(process.execPath, [SELF, '--child', 'onnx', fileA, fileB, String(dim), String(n), String(batch), String(ortThreads)]),
      py: () => runJson(python, ['-c', PY, fileA, fileB, String(dim), String(n)]),
    };
    for (let rep = 0; rep < reps; rep++) {
      // rotate which side goes first
      for (let q = 0; q < names.length; q++) {
        const name = names[(q + rep) % names.length];
        sides[name].push(run[name]());
      }
      const line = names.map((name) => {
        const r = sides[name][rep];
        return `${name} ${r.total_s.toFixed(2)} s (stats ${r.stats_s.toFixed(2)} s, ${r.maxrss_mb.toFixed(0)} MB, FD ${r.fid})`;
      });
      console.error(`N = ${n} rep ${rep + 1}: ${line.join('; ')}`);
    }
    const py = sides.py;
    const fmt = (x) => `${x.toFixed(2)}×`;
    const cell = (ts) => {
      if (ts.length === 0) return { time: '—', ratio: '—', rss: '—', rel: 0 };
      const ratios = ts.map((t, i) => py[i].total_s / t.total_s);
      return {
        time: `${median(ts.map((t) => t.total_s)).toFixed(2)} (${median(ts.map((t) => t.stats_s)).toFixed(2)})`,
        ratio: `**${fmt(median(ratios))}** (${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))})`,
        rss: median(ts.map((t) => t.maxrss_mb)).toFixed(0),
        rel: Math.max(...ts.map((t, i) => Math.abs(t.fid - py[i].fid) / Math.abs(py[i].fid))),
      };
    };
    const w = cell(sides.wasm);
    const o = cell(sides.onnx);
    const route = n < dim ? `${sides.wasm[0].route} (kept features)` : `${sides.wasm[0].route} (streamed, batches of ${batch})`;
    rows.push(
      `| ${n} | ${route} | ${w.time} | ${o.time} | ${median(py.map((p) => p.total_s)).toFixed(2)} (${median(py.map((p) => p.stats_s)).toFixed(2)}) | ` +
        `${w.ratio} | ${o.ratio} | ${Math.max(w.rel, o.rel).toExponential(1)} | ${w.rss} / ${o.rss} | ${median(py.map((p) => p.maxrss_mb)).toFixed(0)} | ${load.toFixed(2)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAfter = loadavg();
const table = [
  '| N (each set) | TypeScript route | TS s (stats) | TS + onnxruntime s (stats) | numpy + scipy s (stats) | speed-up TS | speed-up TS + onnxruntime | rel. difference | TS / TS + ort peak RSS MB | Python peak RSS MB | load at start |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(table);
console.error(
  `load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`,
);
if (args.includes('--write')) {
  const { writeSection } = await import('./lib-benchmarks-md.mjs');
  const note = opt('note', '');
  const body = [
    `d = ${dim}. Statistics (mean and covariance; kept features for the low-rank route when N < d) of two sets of seeded correlated features (offset ~2, like non-negative Inception features) plus the distance. **TS**: \`createStatsAccumulator\` + \`frechetDistanceDetails\`, one thread, float64, WebAssembly SIMD kernels; N ≥ d streamed in batches of ${batch} rows (memory O(d²) whatever N). **TS + onnxruntime**: the same with \`createOnnxStatsAccumulator\` (covariance products as float64 MatMul in one onnxruntime-node session shared by both sets, ${ortThreads} intra-op thread${ortThreads === 1 ? '' : 's'}, no spinning; the distance as in TS). **numpy + scipy**: pytorch-fid's formula (np.mean, np.cov on float64, scipy.linalg.sqrtm) on all features in memory, numpy's OpenBLAS on every core. Each case ran every side as a child process, rotating which went first, ${reps} times: median seconds (statistics part in parentheses), speed-up = scipy time / TypeScript time per repetition (median and range). Rel. difference: the largest |FD_TS − FD_scipy| / FD_scipy over the repetitions and both TypeScript variants. Peak RSS: each child's resident-set high-water mark, runtime included (~50 MB for Node, ~30 MB for Python with numpy). Load at start: the 1-minute load average when the case began (this benchmark alone keeps it near 1; more means other jobs were running).`,
    `Load average (1, 5, 15 min) before the run ${loadBefore.map((x) => x.toFixed(2)).join(', ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(', ')}${note ? `: ${note}` : ''}.`,
    table,
  ].join('\n\n');
  await writeSection(
    'metrics-frechet',
    `Fréchet distance at d = ${dim}: TypeScript vs scipy`,
    body,
    `node bench/metrics-frechet.mjs ${args.map((a) => (/^[\w.,=/-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')}`,
  );
}
