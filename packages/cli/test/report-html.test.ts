import { describe, expect, it } from 'vitest';
import { paretoFront, type Trial } from '@flexiffusion/schedule';
import { renderReport } from '../src/internal/report-html.js';

const trials: Trial[] = [
  {
    number: 0,
    schedule: 'F N | F N',
    state: 'complete',
    objective: 2,
    cost: { macs: 2, speedup: 2 },
    durationMs: 1,
    metrics: { psnr: 20 },
  },
  { number: 1, schedule: 'F P0 | F P0', state: 'complete', objective: 1, cost: { macs: 3, speedup: 1.5 }, durationMs: 1 },
  { number: 2, schedule: 'F P1 | F N', state: 'complete', objective: 3, cost: { macs: 2.5, speedup: 1.6 }, durationMs: 1 },
  { number: 3, schedule: 'F <script> | F N', state: 'pruned', cost: { macs: 1, speedup: 4 }, durationMs: 0, reason: 'x' },
];

describe('renderReport', () => {
  const html = renderReport({
    title: 'Test <report>',
    createdAt: '2026-01-01',
    settings: { model: 'fashion' },
    trials,
    pareto: paretoFront(trials),
    best: trials[0],
    baselines: [{ label: 'DDIM-2', schedule: 'F N | F N', speedup: 2, objective: 2.5 }],
    grids: [{ label: 'teacher', schedule: 'F F | F F', png: new Uint8Array([137, 80, 78, 71]) }],
    minSpeedup: 1.8,
  });
  it('is a self-contained page with the plot, the best schedule, the baselines and the grids', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('Test &lt;report&gt;');
    expect((html.match(/class="trial( clipped)?"/g) ?? []).length).toBe(3);
    expect((html.match(/class="pareto"/g) ?? []).length).toBe(2);
    expect((html.match(/class="baseline"/g) ?? []).length).toBe(1);
    expect(html).toContain('class="best"');
    expect(html).toContain('data:image/png;base64,iVBORw');
    expect(html).toContain('1 pruned (never evaluated)');
    // trial 2 (rFID 3) lies below 1.25 × the highest front/baseline value (2.5 × 1.25): it stays on the chart
    expect(html).not.toContain('class="trial clipped"');
  });
});

import { compactSchedule } from '../src/internal/report-html.js';
describe('compactSchedule', () => {
  it('writes runs of identical segments once', () => {
    expect(compactSchedule('F N | F N | F P0 | F N')).toBe('(F N) ×2 | F P0 | F N');
    expect(compactSchedule('F')).toBe('F');
  });
});

describe('the plot', () => {
  it('clips trials far above the Pareto front to the top edge', () => {
    const far: Trial[] = [
      { number: 0, schedule: 'F N | F N', state: 'complete', objective: 1, cost: { macs: 2, speedup: 2 }, durationMs: 1 },
      { number: 1, schedule: 'F P0 | F N', state: 'complete', objective: 50, cost: { macs: 2.5, speedup: 1.6 }, durationMs: 1 },
    ];
    const html = renderReport({
      title: 't',
      createdAt: 'now',
      settings: {},
      trials: far,
      pareto: paretoFront(far),
      best: far[0],
      baselines: [],
      grids: [],
      minSpeedup: 2,
    });
    expect((html.match(/class="trial clipped"/g) ?? []).length).toBe(1);
  });
});

describe('another objective, and prompts', () => {
  it('names the objective, draws negative objectives, and shows the prompts as escaped text', () => {
    const neg: Trial[] = [
      { number: 0, schedule: 'F N | F N', state: 'complete', objective: -20, cost: { macs: 2, speedup: 2 }, durationMs: 1 },
      { number: 1, schedule: 'F P0 | F N', state: 'complete', objective: -25, cost: { macs: 2.5, speedup: 1.6 }, durationMs: 1 },
    ];
    const html = renderReport({
      title: 't',
      createdAt: 'now',
      settings: { prompt: '<b>bold</b>' },
      trials: neg,
      pareto: paretoFront(neg),
      best: neg[1],
      baselines: [],
      grids: [],
      minSpeedup: 1.5,
      objectiveLabel: '−PSNR vs teacher (dB)',
      prompts: ['a <script>alert(1)</script> cat', 'a "dog" & \'owl\''],
    });
    expect(html).toContain('−PSNR vs teacher (dB) (lower is better)');
    expect(html).toContain('<li>a &lt;script&gt;alert(1)&lt;/script&gt; cat</li><li>a &quot;dog&quot; &amp; &#39;owl&#39;</li>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toMatch(/<script|<b>/);
    expect(html).toContain('same seeds and prompts');
    // both points lie inside the plot (the y range extends below 0)
    const ys = [...html.matchAll(/class="trial" cx="[\d.]+" cy="([\d.-]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    for (const y of ys) expect(y).toBeGreaterThanOrEqual(20);
    for (const y of ys) expect(y).toBeLessThanOrEqual(420 - 48);
  });
});

describe('measured wall-clock speed-ups', () => {
  const base = {
    title: 't',
    createdAt: 'now',
    settings: {},
    trials,
    pareto: paretoFront(trials),
    best: trials[0],
    baselines: [
      { label: 'DDIM-2', schedule: 'F N | F N', speedup: 2, objective: 2.5 },
      { label: 'DeepCache-N2-b0', schedule: 'F P0 | F P0', speedup: 1.5, objective: 1 },
    ],
    grids: [],
    minSpeedup: 1.8,
  };
  it('shows them beside the MAC speed-ups, the best schedule first, and a dash for an untimed row', () => {
    const html = renderReport({
      ...base,
      wallClock: { samples: 16, teacherMsPerSample: 200, rows: [{ schedule: 'F N | F N', wallSpeedup: 1.87, msPerSample: 107 }] },
    });
    expect(html).toContain('<th>speed-up (MACs)</th><th>wall-clock speed-up (measured)</th><th>ms / sample</th>');
    expect(html).toContain("1.87× faster in wall-clock time (measured: 107.0 against the teacher's 200.0 ms per sample, 16 samples)");
    const table = html.slice(html.indexOf('<h2>Baselines'));
    const rows = table.slice(0, table.indexOf('</table>')).split('<tr').slice(2);
    expect(rows.map((r) => /<td>([^<]+)<\/td>/.exec(r)?.[1])).toEqual(['search (best)', 'DDIM-2', 'DeepCache-N2-b0']);
    expect(rows[0]).toMatch(/^ class="best"/);
    expect(rows[0]).toContain('<td>1.87×</td><td>107.0</td>');
    expect(rows[2]).toContain('<td>–</td><td>–</td>');
  });
  it('leaves the columns out when nothing was timed', () => {
    const html = renderReport(base);
    expect(html).not.toContain('wall-clock');
    expect(html).toContain('<th>speed-up (MACs)</th><th>rFID vs teacher</th>');
  });
});
