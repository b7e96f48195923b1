import type { Trial } from '@flexiffusion/schedule';

/** A baseline point on the report's plot. */
export interface ReportBaseline {
  readonly label: string;
  readonly schedule: string;
  readonly speedup: number;
  /** The search's objective (rFID unless the search chose another `--metric`). */
  readonly objective: number;
}

/** An image grid shown in the report (PNG bytes). */
export interface ReportGrid {
  readonly label: string;
  readonly schedule: string;
  readonly png: Uint8Array;
  readonly note?: string;
}

/** Wall-clock times measured in the search's run (OUT/wall-clock.json), by schedule. */
export interface ReportWallClock {
  /** Samples per timed generation. */
  readonly samples: number;
  readonly teacherMsPerSample: number;
  readonly rows: readonly { readonly schedule: string; readonly wallSpeedup: number; readonly msPerSample: number }[];
}

/** Everything the report shows. */
export interface ReportData {
  readonly title: string;
  readonly createdAt: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly trials: readonly Trial[];
  readonly pareto: readonly Trial[];
  readonly best: Trial | undefined;
  readonly baselines: readonly ReportBaseline[];
  readonly grids: readonly ReportGrid[];
  readonly minSpeedup: number;
  /** What the objective is, e.g. `rFID vs teacher` (the default) or `−PSNR vs teacher (dB)`. */
  readonly objectiveLabel?: string;
  /** The prompts the samples cycle through (text-to-image models); shown as text, escaped. */
  readonly prompts?: readonly string[];
  /** What the speed-ups count: `MACs` (the default) or `measured latency`. */
  readonly costLabel?: string;
  /** The measured wall-clock speed-ups of the best schedule and the baselines, when they were timed. */
  readonly wallClock?: ReportWallClock;
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A shorter display of a schedule: runs of identical segments written once with a count. */
export function compactSchedule(schedule: string): string {
  const segs = schedule.split(' | ');
  const out: string[] = [];
  for (let i = 0; i < segs.length; ) {
    let j = i + 1;
    while (j < segs.length && segs[j] === segs[i]) j++;
    out.push(j - i > 1 ? `(${segs[i]}) ×${j - i}` : segs[i]!);
    i = j;
  }
  return out.join(' | ');
}

function code(schedule: string): string {
  return `<code title="${escapeHtml(schedule)}">${escapeHtml(compactSchedule(schedule))}</code>`;
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The Pareto plot (speed-up vs the objective) as an inline SVG. */
export function paretoSvg(data: ReportData): string {
  const label = escapeHtml(data.objectiveLabel ?? 'rFID vs teacher');
  const W = 720;
  const H = 420;
  const m = { l: 64, r: 20, t: 20, b: 48 };
  const done = data.trials.filter((t) => t.state === 'complete' && Number.isFinite(t.objective));
  const xs = [...done.map((t) => t.cost.speedup), ...data.baselines.map((b) => b.speedup), 1, data.minSpeedup];
  // the y range follows the Pareto front and the baselines; trials far above are drawn clipped at the top
  const focus = [...data.pareto.map((t) => t.objective!), ...data.baselines.map((b) => b.objective)].filter(Number.isFinite);
  const ys = focus.length > 0 ? [...focus.map((v) => v * 1.25), 0] : [...done.map((t) => t.objective!), 0];
  const x0 = Math.min(...xs) * 0.95;
  const x1 = Math.max(...xs) * 1.05;
  // objectives below 0 (−PSNR, a CLIP-score gain) extend the range downwards
  const y0 = Math.min(0, ...ys) * 1.08;
  const y1 = Math.max(...ys, 1e-9) * 1.08;
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
      `role="img" aria-label="Pareto front: speed-up versus ${label}">`,
  );
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  for (const t of niceTicks(x0, x1)) {
    parts.push(
      `<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>` +
        `<text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${t}×</text>`,
    );
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>` +
        `<text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>` +
      `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`,
  );
  parts.push(
    `<text x="${(W + m.l) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">speed-up (${escapeHtml(data.costLabel ?? 'MACs')}, × over the teacher)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(H - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">` +
      `${label} (lower is better)</text>`,
  );
  if (data.minSpeedup > 1) {
    parts.push(
      `<line x1="${X(data.minSpeedup)}" x2="${X(data.minSpeedup)}" y1="${m.t}" y2="${H - m.b}" stroke="#c00" stroke-dasharray="4 3"/>` +
        `<text x="${X(data.minSpeedup) + 4}" y="${m.t + 12}" font-size="11" fill="#c00">target ${data.minSpeedup}×</text>`,
    );
  }
  for (const t of done) {
    const title =
      `<title>#${t.number} ${escapeHtml(t.schedule)}: ` + `${t.cost.speedup.toFixed(2)}×, ${label} ${t.objective!.toFixed(4)}</title>`;
    const x = X(t.cost.speedup);
    if (t.objective! > y1) {
      // off the chart: a small triangle at the top edge
      parts.push(
        `<path class="trial clipped" d="M${(x - 4).toFixed(1)} ${m.t + 6} L${(x + 4).toFixed(1)} ${m.t + 6} L${x.toFixed(1)} ${m.t} Z" ` +
          `fill="#9aa">${title}</path>`,
      );
    } else {
      parts.push(
        `<circle class="trial" cx="${x.toFixed(1)}" cy="${Y(t.objective!).toFixed(1)}" r="3" fill="#9aa" ` +
          `fill-opacity="0.7">${title}</circle>`,
      );
    }
  }
  if (data.pareto.length > 0) {
    const path = data.pareto.map((t, i) => `${i === 0 ? 'M' : 'L'}${X(t.cost.speedup).toFixed(1)} ${Y(t.objective!).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>`);
    for (const t of data.pareto)
      parts.push(
        `<circle class="pareto" cx="${X(t.cost.speedup).toFixed(1)}" cy="${Y(t.objective!).toFixed(1)}" r="4.5" fill="#1f5fbf">` +
          `<title>Pareto #${t.number} ${escapeHtml(t.schedule)}</title></circle>`,
      );
  }
  for (const b of data.baselines) {
    const x = X(b.speedup);
    if (!Number.isFinite(b.objective)) continue;
    const y = Y(b.objective);
    parts.push(
      [
        `<rect class="baseline" x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" fill="#e08a00">`,
        `<title>${escapeHtml(b.label)}: ${escapeHtml(b.schedule)}</title></rect>`,
        `<text x="${(x + 6).toFixed(1)}" y="${(y - 6).toFixed(1)}" font-size="10" fill="#a65f00">${escapeHtml(b.label)}</text>`,
      ].join(''),
    );
  }
  if (data.best) {
    parts.push(
      `<circle class="best" cx="${X(data.best.cost.speedup).toFixed(1)}" cy="${Y(data.best.objective!).toFixed(1)}" r="8" ` +
        `fill="none" stroke="#c00" stroke-width="2.5"><title>best: ${escapeHtml(data.best.schedule)}</title></circle>`,
    );
  }
  parts.push(
    [
      `<g font-size="11" transform="translate(${W - m.r - 170} ${m.t + 6})">`,
      '<rect width="166" height="62" fill="#fff" stroke="#ccc"/>',
      '<circle cx="12" cy="12" r="3" fill="#9aa"/><text x="22" y="16">searched schedule</text>',
      '<circle cx="12" cy="27" r="4.5" fill="#1f5fbf"/><text x="22" y="31">Pareto front</text>',
      '<rect x="8" y="38" width="8" height="8" fill="#e08a00"/><text x="22" y="46">baseline</text>',
      '<circle cx="12" cy="56" r="5" fill="none" stroke="#c00" stroke-width="2"/><text x="22" y="60">best at target</text>',
      '</g>',
    ].join(''),
  );
  parts.push('</svg>');
  return parts.join('');
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The whole self-contained report page. */
export function renderReport(data: ReportData): string {
  const fmt = (n: number | undefined, d = 4) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
  const objective = escapeHtml(data.objectiveLabel ?? 'rFID vs teacher');
  // the rFID column only when the objective is something else (and the search measured it)
  const otherRfid = data.objectiveLabel !== undefined && !data.objectiveLabel.startsWith('rFID');
  const withClip = data.pareto.some((t) => t.metrics?.['clip'] !== undefined);
  const rows = data.pareto
    .map((t) =>
      [
        `<tr${data.best && t.number === data.best.number ? ' class="best"' : ''}>`,
        `<td>${t.number}</td><td>${code(t.schedule)}</td><td>${t.cost.speedup.toFixed(2)}×</td><td>${fmt(t.objective)}</td>`,
        otherRfid ? `<td>${fmt(t.metrics?.['rfid'])}</td>` : '',
        `<td>${fmt(t.metrics?.['kid'], 5)}</td><td>${fmt(t.metrics?.['psnr'], 2)}</td>`,
        withClip ? `<td>${fmt(t.metrics?.['clip'], 2)}</td>` : '',
        `<td>${fmt(t.metrics?.['latencyMs'], 0)}</td></tr>`,
      ].join(''),
    )
    .join('\n');
  const wall = data.wallClock;
  const wallCells = (schedule: string) => {
    if (!wall) return '';
    const w = wall.rows.find((r) => r.schedule === schedule);
    return `<td>${w ? `${w.wallSpeedup.toFixed(2)}×` : '–'}</td><td>${fmt(w?.msPerSample, 1)}</td>`;
  };
  // the search's best first, so that the gain over each baseline reads off one table
  const tableRows = [
    ...(data.best && data.baselines.length > 0
      ? [
          {
            label: 'search (best)',
            schedule: data.best.schedule,
            speedup: data.best.cost.speedup,
            objective: data.best.objective!,
            best: true,
          },
        ]
      : []),
    ...data.baselines.map((b) => ({ ...b, best: false })),
  ];
  const baseRows = tableRows
    .map((b) =>
      [
        `<tr${b.best ? ' class="best"' : ''}><td>${escapeHtml(b.label)}</td><td>${code(b.schedule)}</td>`,
        `<td>${b.speedup.toFixed(2)}×</td>${wallCells(b.schedule)}<td>${fmt(b.objective)}</td></tr>`,
      ].join(''),
    )
    .join('\n');
  const settings = Object.entries(data.settings)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  const grids = data.grids
    .map(
      (g) =>
        `<figure><img alt="${escapeHtml(g.label)}" src="data:image/png;base64,${base64(g.png)}"/>` +
        `<figcaption><b>${escapeHtml(g.label)}</b><br/>${code(g.schedule)}` +
        `${g.note ? `<br/>${escapeHtml(g.note)}` : ''}</figcaption></figure>`,
    )
    .join('\n');
  const counts = {
    complete: data.trials.filter((t) => t.state === 'complete').length,
    failed: data.trials.filter((t) => t.state === 'failed').length,
    pruned: data.trials.filter((t) => t.state === 'pruned').length,
  };
  const generated =
    `<p>Generated ${escapeHtml(data.createdAt)}. ` +
    `Trials: ${counts.complete} complete, ${counts.failed} failed, ${counts.pruned} pruned (never evaluated).</p>`;
  const bestWall = data.best && wall ? wall.rows.find((r) => r.schedule === data.best!.schedule) : undefined;
  const bestP = data.best
    ? `<p id="best">Best schedule at ≥ ${data.minSpeedup}×: ${code(data.best.schedule)} — ` +
      `${data.best.cost.speedup.toFixed(2)}× ${data.costLabel === undefined || data.costLabel === 'MACs' ? 'fewer MACs' : `faster (${escapeHtml(data.costLabel)})`}` +
      (bestWall && wall
        ? `, ${bestWall.wallSpeedup.toFixed(2)}× faster in wall-clock time (measured: ${bestWall.msPerSample.toFixed(1)} against the teacher's ${wall.teacherMsPerSample.toFixed(1)} ms per sample, ${wall.samples} samples)`
        : '') +
      `, ${objective} ${fmt(data.best.objective)}.</p>`
    : `<p id="best">No complete trial reached the ${data.minSpeedup}× target.</p>`;
  const speedHead =
    data.costLabel === undefined || data.costLabel === 'MACs' ? 'speed-up (MACs)' : `speed-up (${escapeHtml(data.costLabel)})`;
  const wallHead = wall ? '<th>wall-clock speed-up (measured)</th><th>ms / sample</th>' : '';
  const baselinesSection = data.baselines.length
    ? `<h2>Baselines, judged on the same samples${wall ? `; wall-clock timed here against the teacher on ${wall.samples} samples` : ''}</h2>` +
      `<table><tr><th>baseline</th><th>schedule</th><th>${speedHead}</th>${wallHead}<th>${objective}</th></tr>${baseRows}</table>`
    : '';
  const promptsSection = data.prompts?.length
    ? `<h2>Prompts (sample i uses prompt i mod ${data.prompts.length})</h2><ol class="prompts">` +
      `${data.prompts.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ol>`
    : '';
  const heads = [
    '<th>#</th><th>schedule</th><th>speed-up</th>',
    `<th>${objective}</th>`,
    otherRfid ? '<th>rFID</th>' : '',
    '<th>KID</th><th>PSNR vs teacher (dB)</th>',
    withClip ? '<th>CLIP score</th>' : '',
    '<th>latency (ms)</th>',
  ].join('');
  const same = data.prompts?.length ? 'same seeds and prompts' : 'same seeds and labels';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"/><title>${escapeHtml(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
tr.best{background:#fff3f3}code{font-size:12px}
.grids{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figure img{image-rendering:pixelated;width:520px;border:1px solid #ccc}
figcaption{font-size:12px;max-width:520px;word-break:break-word}ol.prompts{font-size:13px;white-space:pre-wrap}
</style></head><body>
<h1>${escapeHtml(data.title)}</h1>
${generated}
${bestP}
<h2>Pareto front: speed-up vs ${objective}</h2>
${paretoSvg(data)}
<h2>Teacher and best schedules, ${same}</h2>
<div class="grids">${grids}</div>
<h2>Pareto-optimal schedules</h2>
<table><tr>${heads}</tr>
${rows}</table>
${baselinesSection}
${promptsSection}
<h2>Settings</h2><table>${settings}</table>
</body></html>
`;
}
