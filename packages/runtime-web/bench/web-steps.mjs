#!/usr/bin/env node
// Time per full and partial step of the Fashion-MNIST UNet in headless Chromium — WebGPU with the
// cache tensors kept on the GPU, WebGPU with them read back every full step, wasm — and in
// runtime-node on the CPU in the same run; prints a markdown table.
//
//   node packages/runtime-web/bench/web-steps.mjs [--quick] [--batch N] [--repeats R] [--no-webgpu]
//
// Needs the workspace built (npm run build) and Chromium (/usr/bin/chromium or $CHROMIUM_PATH).
// Every backend runs on one thread (wasm numThreads 1, onnxruntime-node threads 1); WebGPU here is
// whatever adapter Chromium finds (SwiftShader, i.e. the CPU, on a machine without a GPU). Warm-up:
// 3 untimed runs per step kind on node, an untimed profile pass on wasm (V8 tiers the wasm code up
// in the background while it runs), one untimed round on WebGPU (shader compilation).
import { fileURLToPath } from 'node:url';
import { loadModel } from '@flexiffusion/runtime-node';
import { launchChromium } from '../harness/chromium.mjs';
import { fashionModel } from '../harness/model.mjs';
import { ORT_DIST, startServer } from '../harness/server.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const batch = opt('--batch', 1);
const repeats = opt('--repeats', quick ? 1 : 3);
const withWebGpu = !args.includes('--no-webgpu');
const SCHEDULE = 'F P0 P0 P0 P0'; // DeepCache-style segment: one full step, four partial steps of branch 0

const model = await fashionModel();
if (!model) throw new Error('No Fashion-MNIST model: expected packages/model-fashion/model/ (or FLEXI_FASHION_MODEL_DIR).');
const log = (s) => process.stderr.write(`${s}\n`);
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

log(`model: ${model.dir} (${model.source}); batch ${batch} (network batch ${2 * batch} with guidance); ${repeats} timed repeats, medians`);
const node = await loadModel(model.dir, { threads: 1 });
const rows = [];
const nodeProfile = await node.profile({ batchSize: batch, repeats, warmup: 3 });
const labels = Array.from({ length: batch }, (_, i) => i % 10);
const seeds = Array.from({ length: batch }, (_, i) => i);
const ref = await node.generate({ schedule: SCHEDULE, labels, seeds, guidanceScale: 2 });
const nodeRuns = [];
for (let i = 0; i < repeats; i++) nodeRuns.push((await node.generate({ schedule: SCHEDULE, labels, seeds, guidanceScale: 2 })).durationMs);
nodeRuns.sort((a, b) => a - b);
rows.push({
  name: 'runtime-node, CPU (1 thread)',
  p: nodeProfile.latencyMs,
  perStep: nodeRuns[Math.floor(nodeRuns.length / 2)] / 5,
  diff: 0,
});
log(`node done: full ${fmt(nodeProfile.latencyMs.full)} ms`);

const server = await startServer({
  mounts: { '/ort/': ORT_DIST, '/model/': model.dir },
  bundles: { '/app/page.js': fileURLToPath(new URL('../test/browser/page.ts', import.meta.url)) },
  pages: {
    '/index.html': '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/app/page.js"></script>',
    '/favicon.ico': '',
  },
});
const browser = await launchChromium();
let readback = null;
let adapter = '';
const openPage = async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => 'harness' in globalThis);
  return page;
};
try {
  {
    const page = await openPage();
    const t0 = Date.now();
    const loaded = await page.evaluate(() => harness.load('wasm'));
    log(`wasm: loaded in ${Date.now() - t0} ms (${loaded.description})`);
    // V8 runs a new wasm module on its baseline tier first and tiers hot functions up in the
    // background: one untimed profile pass first, or the first kinds measured look slow.
    await page.evaluate(([b]) => harness.profile('wasm', b, 5, 3), [batch]);
    const p = await page.evaluate(([b, r]) => harness.profile('wasm', b, r, 3), [batch, repeats]);
    const s = await page.evaluate(([sch, b, r]) => harness.perStep('wasm', sch, b, r), [SCHEDULE, batch, repeats]);
    rows.push({ name: `onnxruntime-web wasm (1 thread)`, p: p.latencyMs, perStep: s.msPerStep, diff: maxDiff(s.samples, ref.samples) });
    log(`wasm: full ${fmt(p.latencyMs.full)} ms`);
    await page.close();
  }
  if (withWebGpu) {
    const page = await openPage();
    const t0 = Date.now();
    const loaded = await page.evaluate(() => Promise.all([harness.load('webgpu'), harness.load('webgpu-host')]));
    adapter = loaded[0].description;
    log(`webgpu: loaded both variants in ${Date.now() - t0} ms (${adapter})`);
    const c = await page.evaluate(([b, r, sch]) => harness.compareResidency(b, r, sch), [batch, repeats, SCHEDULE]);
    rows.push({
      name: 'WebGPU, caches kept on the GPU',
      p: { full: c.keep.full, partial: c.keep.partial },
      perStep: c.keep.perStep,
      diff: maxDiff(c.samples.keep, ref.samples),
    });
    rows.push({
      name: 'WebGPU, caches read back to JS',
      p: { full: c.host.full, partial: c.host.partial },
      perStep: c.host.perStep,
      diff: maxDiff(c.samples.host, ref.samples),
    });
    readback = await page.evaluate(([b, r]) => harness.cacheReadback('webgpu', b, r), [2 * batch, Math.max(3, repeats)]);
    log(`webgpu: full ${fmt(c.keep.full)} / ${fmt(c.host.full)} ms`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  await node.dispose();
}

const out = [];
out.push(
  `Per-step latency, Fashion-MNIST UNet (${model.source} model), batch ${batch} with guidance (network batch ${2 * batch}), median ms` +
    (adapter ? `; WebGPU adapter: ${adapter}` : '') +
    '.',
);
out.push('');
out.push(
  `| backend | full step | partial, branch 0 | partial, branch 1 | partial, branch 2 | \`${SCHEDULE}\` per step | max abs diff vs node |`,
);
out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  out.push(
    `| ${r.name} | ${fmt(r.p.full)} | ${r.p.partial.map(fmt).join(' | ')} | ${fmt(r.perStep)} | ${r.diff === 0 && r.name.startsWith('runtime-node') ? '—' : r.diff.toExponential(1)} |`,
  );
const keep = rows.find((r) => r.name.startsWith('WebGPU, caches kept'));
const host = rows.find((r) => r.name.startsWith('WebGPU, caches read'));
if (keep && host) {
  const d = (a, b) => `${fmt(a - b)} (${(((a - b) / a) * 100).toFixed(1)}%)`;
  out.push(
    `| saved by keeping caches on the GPU | ${d(host.p.full, keep.p.full)} | ${host.p.partial.map((h, i) => d(h, keep.p.partial[i])).join(' | ')} | ${d(host.perStep, keep.perStep)} | |`,
  );
}
if (keep && host)
  out.push(
    '',
    'The two WebGPU rows are measured alternately in one page (same device and compiled shaders). Partial steps are timed fed the cache from where the full step left it.',
  );
if (readback)
  out.push(
    '',
    `Reading a full step's three cache tensors (${(readback.bytes / 1024).toFixed(0)} KiB at network batch ${2 * batch}) back from the GPU, timed alone: ${fmt(readback.ms)} ms (median).`,
  );
console.log(out.join('\n'));
