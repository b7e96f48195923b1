import { describe, expect, it } from 'vitest';
import { featureStats, frechetDistanceDetails, kernelInceptionDistance, type FeatureStats } from '../src/index.js';
import { frechetCases, loadSet, relErr } from './fixtures.js';

const TOL = 1e-6;
const report: string[] = [];

describe.each(frechetCases())('fixture $name (d = $dim, Na = $a.count, Nb = $b.count)', (c) => {
  const a = loadSet(c.a, c.dim);
  const b = loadSet(c.b, c.dim);
  const heavy = c.dim >= 2048;
  // statistics shared by the tests of a case (the d = 2048 covariances take seconds)
  let shared: { sa: FeatureStats; sb: FeatureStats } | undefined;
  const stats = (): { sa: FeatureStats; sb: FeatureStats } =>
    (shared ??= { sa: featureStats(a, c.dim, { keepFeatures: true }), sb: featureStats(b, c.dim, { keepFeatures: true }) });

  it('statistics match numpy (mean, cov trace/sum/Frobenius)', () => {
    const { sa, sb } = stats();
    expect(
      relErr(
        sa.mean.reduce((s, v) => s + v, 0),
        c.mean_sum_a,
      ),
    ).toBeLessThan(1e-9);
    let tr = 0;
    let sum = 0;
    let fro = 0;
    for (let i = 0; i < c.dim; i++) tr += sa.cov[i * c.dim + i]!;
    for (const v of sa.cov) {
      sum += v;
      fro += v * v;
    }
    expect(relErr(tr, c.trace_a)).toBeLessThan(1e-10);
    expect(relErr(sum, c.cov_sum_a)).toBeLessThan(1e-8);
    expect(relErr(Math.sqrt(fro), c.cov_frob_a)).toBeLessThan(1e-10);
    let trb = 0;
    for (let i = 0; i < c.dim; i++) trb += sb.cov[i * c.dim + i]!;
    expect(relErr(trb, c.trace_b)).toBeLessThan(1e-10);
    if (c.mean_a) c.mean_a.forEach((m, i) => expect(sa.mean[i]!).toBeCloseTo(m, 12));
    if (c.cov_a_diag) c.cov_a_diag.forEach((v, i) => expect(relErr(sa.cov[i * c.dim + i]!, v)).toBeLessThan(1e-10));
  }, 120_000);

  it('full route agrees with the scipy (pytorch-fid) reference', () => {
    const { sa, sb } = stats();
    const t = performance.now();
    const r = frechetDistanceDetails(sa, sb, { route: 'full' });
    const ms = performance.now() - t;
    const e = relErr(r.distance, c.fid_pytorch);
    report.push(
      `${c.name} full: ${r.distance} vs scipy ${c.fid_pytorch} rel ${e.toExponential(2)} (eigh ${relErr(r.distance, c.fid_eigh).toExponential(2)}) ${ms.toFixed(0)} ms`,
    );
    expect(e).toBeLessThan(TOL);
    expect(relErr(r.meanTerm, c.mean_diff_sq)).toBeLessThan(1e-10);
  }, 300_000);

  // at d = 2048 with N > d the low-rank route costs Na·Nb·d and 'auto' never takes it
  it.skipIf(heavy && c.a.count > c.dim)(
    'low-rank route agrees with the reference and the full route',
    () => {
      const { sa, sb } = stats();
      const t = performance.now();
      const low = frechetDistanceDetails(sa, sb, { route: 'low-rank' });
      const ms = performance.now() - t;
      const e = relErr(low.distance, c.fid_pytorch);
      report.push(`${c.name} low-rank: ${low.distance} rel ${e.toExponential(2)} ${ms.toFixed(0)} ms`);
      expect(e).toBeLessThan(TOL);
      const auto = frechetDistanceDetails(sa, sb);
      expect(auto.route).toBe(c.a.count < c.dim && c.b.count < c.dim ? 'low-rank' : auto.route);
      const full = frechetDistanceDetails(sa, sb, { route: 'full' });
      expect(relErr(low.distance, full.distance)).toBeLessThan(1e-8);
      expect(relErr(low.traceSqrt, full.traceSqrt)).toBeLessThan(1e-8);
    },
    300_000,
  );

  it('KID matches the numpy reference on the exported subsets', () => {
    const k = kernelInceptionDistance(a, b, c.dim, { indices: c.kid.subsets });
    c.kid.values.forEach((v, i) => expect(relErr(k.values[i]!, v)).toBeLessThan(1e-9));
    expect(relErr(k.mean, c.kid.mean)).toBeLessThan(1e-9);
    expect(relErr(k.std, c.kid.std)).toBeLessThan(1e-6);
    expect(k.subsetSize).toBe(c.kid.subset_size);
  });
});

describe('fixture report', () => {
  it('prints the agreement', () => {
    console.log(report.join('\n'));
  });
});
