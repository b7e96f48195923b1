/**
 * runtime-web in real headless Chromium (Debian's `chromium`, driven by playwright-core), on a
 * node:http server on 127.0.0.1 started here:
 *
 * - the conformance suite: every case of conformance/cases.ts computed by runtime-node in this
 *   process and by the browser page on wasm and WebGPU (SwiftShader), compared within TOLERANCE;
 * - the WebGPU cache tensors staying in GPU memory; the WebGPU → wasm fallback and the combined
 *   error; fetch loading with byte progress; the demo page.
 *
 * Without Chromium (no /usr/bin/chromium, no $CHROMIUM_PATH) the suite fails under CI=true and is
 * skipped with a message elsewhere; without the Fashion-MNIST model it is skipped (as
 * runtime-node's fashion tests are).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel as loadNodeModel, type Model as NodeModel } from '@flexiffusion/runtime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../demo/serve.mjs';
import { chromiumPath, hasChromium, launchChromium } from '../harness/chromium.mjs';
import { fashionModel } from '../harness/model.mjs';
import { ORT_DIST, startServer, type TestServer } from '../harness/server.mjs';
import type { Harness } from './browser/page.js';
import { CASES, TOLERANCE, type ConformanceCase, type WebKind } from './conformance/cases.js';

declare const harness: Harness;

const CI = /^(1|true)$/i.test(process.env['CI'] ?? '');
const chromiumFound = hasChromium();
const model = await fashionModel();
const MISSING_CHROMIUM =
  `Chromium was not found at ${chromiumPath()}: the browser tests need it. ` +
  'Install it with `apt-get install -y chromium` (Debian) or set CHROMIUM_PATH.';

if (!chromiumFound && CI) {
  describe('runtime-web in headless Chromium', () => {
    it('needs Chromium in CI', () => {
      throw new Error(MISSING_CHROMIUM);
    });
  });
} else if (!chromiumFound) {
  console.warn(`[runtime-web] Skipping the browser tests. ${MISSING_CHROMIUM} (Under CI=true this fails instead.)`);
} else if (!model) {
  console.warn(
    '[runtime-web] Skipping the browser tests: no Fashion-MNIST model (packages/model-fashion/model/ or FLEXI_FASHION_MODEL_DIR).',
  );
}

const TEST_PAGE = '<!doctype html><meta charset="utf-8"><title>runtime-web tests</title><script type="module" src="/app/page.js"></script>';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.skipIf(!chromiumFound || !model)('runtime-web in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let node: NodeModel;
  let outDir: string;
  const reference = new Map<string, Float32Array>();
  const pageErrors: string[] = [];

  async function openPage(): Promise<Page> {
    const p = await browser.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.goto(`${server.url}/index.html`);
    await p.waitForFunction(() => 'harness' in globalThis);
    return p;
  }

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'runtime-web-test-'));
    [server, browser, node] = await Promise.all([
      startServer({
        mounts: { '/ort/': ORT_DIST, '/model/': model!.dir },
        bundles: { '/app/page.js': fileURLToPath(new URL('./browser/page.ts', import.meta.url)) },
        pages: { '/index.html': TEST_PAGE, '/favicon.ico': '' },
      }),
      launchChromium(),
      loadNodeModel(model!.dir, { threads: 1 }),
    ]);
    // The reference side of the conformance suite: runtime-node on the CPU, in this process.
    for (const c of CASES) reference.set(c.name, (await node.generate(generateOptions(c))).samples);
    page = await openPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await node?.dispose();
  });

  function generateOptions(c: ConformanceCase) {
    return {
      schedule: c.schedule,
      labels: c.labels,
      seeds: c.seeds,
      guidanceScale: c.guidanceScale,
      sampler: c.sampler,
      ...(c.batchSize ? { batchSize: c.batchSize } : {}),
    };
  }

  it('loads the model over fetch on wasm, reporting bytes received against Content-Length', async () => {
    const r = await page.evaluate(() => harness.load('wasm'));
    expect(r.backend).toBe('wasm');
    expect(r.deviceResident).toBe(false);
    expect(r.costProfile).toEqual(node.costProfile);
    const { first, last, events, monotonic } = r.unetDownload;
    expect(events).toBeGreaterThan(2);
    expect(monotonic).toBe(true);
    expect(first).toMatchObject({ loaded: 0, done: false });
    expect(last!.done).toBe(true);
    expect(last!.loaded).toBe(last!.total);
    expect(last!.fraction).toBe(1);
  }, 60_000);

  const kinds: WebKind[] = ['wasm', 'webgpu'];
  for (const kind of kinds) {
    for (const c of CASES.filter((x) => x.on.includes(kind))) {
      it(`conformance: ${c.name} on ${kind} matches runtime-node within ${TOLERANCE[kind]}`, async () => {
        const r = await page.evaluate(([k, cc]) => harness.generate(k, cc), [kind, c] as const);
        const ref = reference.get(c.name)!;
        expect(r.shape).toEqual([c.labels.length, 1, 32, 32]);
        const diff = maxAbsDiff(r.samples, ref);
        console.log(
          `[conformance] ${kind} | ${c.name} | max |web − node| = ${diff.toExponential(2)} (tolerance ${TOLERANCE[kind]}) | ${r.ms.toFixed(0)} ms`,
        );
        expect(diff).toBeLessThanOrEqual(TOLERANCE[kind]);
      }, 120_000);
    }
  }

  it('WebGPU keeps the cache tensors in GPU memory and the partial graph reads them there', async () => {
    const r = await page.evaluate(() => harness.load('webgpu'));
    expect(r.backend).toBe('webgpu');
    expect(r.description).toMatch(/^webgpu/);
    expect(r.deviceResident).toBe(true);
    const loc = await page.evaluate(() => harness.cacheLocations('webgpu'));
    expect(loc.caches).toEqual(['gpu-buffer', 'gpu-buffer', 'gpu-buffer']);
    expect(loc.output).toBe('cpu');
    // The partial graph fed the full step's own (GPU) cache reproduces the full step exactly.
    expect(loc.partialVsFull).toBe(0);
  }, 120_000);

  it('falls back to wasm when WebGPU is unavailable', async () => {
    const p = await openPage();
    try {
      const r = await p.evaluate((ort) => harness.fallbackWithoutWebGpu(ort), '/ort/');
      expect(r.chosen).toBe('wasm');
      expect(r.failed).toEqual(['webgpu']);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('lists every backend failure in one error when none starts ([webgpu] …, [wasm] …)', async () => {
    const p = await openPage();
    try {
      const r = await p.evaluate((ort) => harness.fallbackWithoutWebGpu(ort), '/nowhere/');
      expect(r.chosen).toBeNull();
      expect(r.error).toMatchObject({ name: 'RuntimeError', code: 'unsupported', aggregated: 2 });
      expect(r.error!.message).toMatch(/^No execution backend could be started: \[webgpu\] navigator\.gpu is undefined.*, \[wasm\] .+/);
      expect((r.error!.issues as { path: string }[]).map((i) => i.path)).toEqual(['webgpu', 'wasm']);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('demo: generates with the teacher and a found schedule and shows the images', async () => {
    const demo = await startDemo();
    const p = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    try {
      await p.goto(`${demo.page}?backend=wasm&count=4`);
      await p.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
      await p.click('#generate');
      await p.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 110_000 });
      expect(await p.textContent('#status')).toMatch(/^Done/);
      const rows = await p.$$eval('#results .row', (els) =>
        els.map((row) => {
          const c = row.querySelector('canvas')!;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let bright = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i]! > 40) bright++;
          return {
            title: row.querySelector('h2')!.textContent,
            meta: row.querySelector('.meta')!.textContent,
            width: c.width,
            height: c.height,
            bright: bright / (d.length / 4),
          };
        }),
      );
      expect(rows.map((r) => r.title)).toEqual(['Teacher — DDIM-50, all full', 'Found schedule']);
      for (const r of rows) {
        expect(r.width).toBeGreaterThan(4 * 28);
        expect(r.meta).toMatch(/\d+ ms per image on wasm/);
        // Fashion-MNIST on a black background: some garment pixels must be lit.
        expect(r.bright).toBeGreaterThan(0.05);
      }
      console.log(`[demo] ${rows.map((r) => `${r.title}: ${r.meta}`).join(' | ')}`);
      await mkdir(outDir, { recursive: true });
      const shot = await p.screenshot({ fullPage: true });
      await writeFile(join(outDir, 'demo.png'), shot);
      if (process.env['FLEXI_UPDATE_SCREENSHOT']) await writeFile(fileURLToPath(new URL('../demo/screenshot.png', import.meta.url)), shot);
      console.log(`[demo] screenshot: ${join(outDir, 'demo.png')}`);
    } finally {
      await p.close();
      await demo.close();
    }
  }, 180_000);

  it('raised no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
