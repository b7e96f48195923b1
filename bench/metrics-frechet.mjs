#!/usr/bin/env node
// Fréchet distance at d = 2048: @flexiffusion/metrics (plain TypeScript, float64) against
// pytorch-fid's numpy/scipy route (np.mean, np.cov, scipy.linalg.sqrtm) on the same features.
//
//   npm run build -w @flexiffusion/metrics
//   node bench/metrics-frechet.mjs                 # N = 1000 (< d) and N = 2500 (> d)
//   node bench/metrics-frechet.mjs --n 500 --dim 2048
//
// Timings cover the statistics (mean, covariance or kept features) of both sets and the
// distance; feature generation and file I/O are excluded. Prints one markdown table row per case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureStats, frechetDistanceDetails } from '../packages/metrics/dist/index.js';
import { writeSection } from './lib-benchmarks-md.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const dim = Number(opt('dim', '2048'));
const sizes = String(opt('n', '1000,2500')).split(',').map(Number);
const python = opt('python', '/usr/bin/python3');

function features(n, d, seed) {
  // seeded normals with a shared factor (correlated, non-trivial covariance)
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const x = new Float32Array(n * d);
  const scale = Float64Array.from({ length: d }, (_, j) => 1 / Math.sqrt(1 + j / 16));
  const shift = Float64Array.from({ length: d }, () => 0.3 * normal());
  for (let r = 0; r < n; r++) {
    const f = normal();
    for (let j = 0; j < d; j++) x[r * d + j] = normal() * scale[j] + shift[j] + 0.5 * f * scale[(j * 7) % d];
  }
  return x;
}

const PY = `
import json, sys, time
import numpy as np
from scipy import linalg
d, na, nb = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
a = np.fromfile(sys.argv[1], dtype='<f4').reshape(na, d)
b = np.fromfile(sys.argv[2], dtype='<f4').reshape(nb, d)
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
print(json.dumps({"fid": fid, "stats_s": t1 - t0, "total_s": t2 - t0}))
`;

const dir = mkdtempSync(join(tmpdir(), 'metrics-bench-'));
const rows = [];
try {
  for (const n of sizes) {
    const a = features(n, dim, 1);
    const b = features(n, dim, 2);
    for (let i = 0; i < b.length; i += 3) b[i] += 0.05;
    writeFileSync(join(dir, 'a.f32'), new Uint8Array(a.buffer));
    writeFileSync(join(dir, 'b.f32'), new Uint8Array(b.buffer));

    const t0 = performance.now();
    const sa = featureStats(a, dim, { keepFeatures: true });
    const sb = featureStats(b, dim, { keepFeatures: true });
    const r = frechetDistanceDetails(sa, sb);
    const tsSeconds = (performance.now() - t0) / 1000;

    const py = spawnSync(python, ['-c', PY, join(dir, 'a.f32'), join(dir, 'b.f32'), String(dim), String(n), String(n)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (py.status !== 0) throw new Error(`python failed: ${py.stderr}`);
    const ref = JSON.parse(py.stdout.trim().split('\n').pop());
    const rel = Math.abs(r.distance - ref.fid) / Math.abs(ref.fid);
    rows.push(
      `| ${dim} | ${n} | ${r.route} | ${tsSeconds.toFixed(2)} | ${ref.total_s.toFixed(2)} | ${(ref.total_s / tsSeconds).toFixed(1)}× | ${rel.toExponential(1)} |`,
    );
    console.error(
      `N = ${n}: TS ${tsSeconds.toFixed(2)} s (${r.route}), scipy ${ref.total_s.toFixed(2)} s (stats ${ref.stats_s.toFixed(2)} s), FD ${r.distance} vs ${ref.fid}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const table = [
  '| d | N (each set) | route | @flexiffusion/metrics (s) | numpy + scipy sqrtm (s) | speed-up | rel. difference |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(table);
if (args.includes('--write')) {
  const body = `Statistics (mean and covariance, or kept features for the low-rank route) of two sets of seeded correlated features plus the distance, single-threaded TypeScript vs numpy/scipy (pytorch-fid's formula) on the same features in the same run.\n\n${table}`;
  await writeSection(
    'metrics-frechet',
    'Fréchet distance at d = 2048: TypeScript vs scipy',
    body,
    `node bench/metrics-frechet.mjs ${args.join(' ')}`,
  );
}
