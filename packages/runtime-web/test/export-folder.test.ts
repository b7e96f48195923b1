import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { RuntimeError, loadManifest, readModelFolder } from '@flexiffusion/runtime';
import { cpuBackend, fileSource } from '@flexiffusion/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, loadModel } from '../src/index.js';

/** The diffusers-layout export stand-ins of @flexiffusion/runtime's tests. */
const EXPORTS = new URL('../../runtime/test/fixtures/exports/', import.meta.url).pathname;
/** The trained text-to-image model (optimum layout + a model.json overlay), served at /fashion-sd/. */
const FASHION_SD = new URL('../../model-fashion-sd/model/', import.meta.url).pathname;

describe('the web loader imports a diffusers export folder over HTTP with the same code', () => {
  let server: Server;
  let base: string;
  const requested: string[] = [];
  /** One-shot faults by path: 503, or 'cut' (half the body, then the connection drops). */
  const faults = new Map<string, 503 | 'cut'>();

  beforeAll(async () => {
    // a static file server for the exports folder (and nothing above it)
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requested.push(path);
      const fault = faults.get(path);
      if (fault) faults.delete(path);
      if (fault === 503) {
        res.writeHead(503, 'Service Unavailable').end();
        return;
      }
      const sd = path.startsWith('/fashion-sd/');
      const root = sd ? FASHION_SD : EXPORTS;
      const file = normalize(join(root, sd ? path.slice('/fashion-sd/'.length) : path));
      if (!file.startsWith(root)) {
        res.writeHead(403).end();
        return;
      }
      readFile(file).then(
        (body) => {
          res.writeHead(200, { 'Content-Length': body.length });
          // 'cut': send half the body, then drop the connection
          if (fault === 'cut') res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 20));
          else res.end(body);
        },
        () => res.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('derives the same manifest from fetched files as from the files on disk', async () => {
    for (const name of ['sd15', 'sd2', 'uncond']) {
      const web = await readModelFolder(fetchSource(`${base}/${name}/`));
      const disk = await loadManifest(fileSource(join(EXPORTS, name)));
      expect(web.manifest).toEqual(disk);
      expect(web.kind).toBe('export');
    }
  });

  it('loadModel(url) generates from the sd15 export, fetching each network once', async () => {
    requested.length = 0;
    const model = await loadModel(`${base}/sd15/`, { backend: cpuBackend({ threads: 1 }) });
    try {
      const r = await model.generate({ schedule: 'F P0 N', prompts: ['a photo of a dog'], seeds: [1] });
      expect(r.shape).toEqual([1, 3, 16, 16]);
    } finally {
      await model.dispose();
    }
    const onnx = requested.filter((p) => p.endsWith('.onnx'));
    expect(onnx.sort()).toEqual(['/sd15/text_encoder/model.onnx', '/sd15/unet/model.onnx', '/sd15/vae_decoder/model.onnx']);
  });

  it('fashion-sd (optimum layout + model.json overlay): the same manifest over HTTP as from disk', async () => {
    const web = await readModelFolder(fetchSource(`${base}/fashion-sd/`));
    expect(web.kind).toBe('export');
    expect(web.manifest).toEqual(await loadManifest(fileSource(FASHION_SD)));
    expect(web.manifest.unet.cache.map((c) => c.branch)).toEqual([0, 1, 2]);
    expect(web.manifest.conditioning?.defaultGuidanceScale).toBe(3);
  });

  it('a model.json overlay the server fails to send (503) fails the load instead of being skipped', async () => {
    faults.set('/fashion-sd/model.json', 503);
    await expect(readModelFolder(fetchSource(`${base}/fashion-sd/`))).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining(`${base}/fashion-sd/model.json: the server answered 503 Service Unavailable`),
    });
  });

  it('a UNet download cut off mid-way: missing-file naming the URL; loading again works', async () => {
    const url = `${base}/fashion-sd/`;
    faults.set('/fashion-sd/unet/model.onnx', 'cut');
    const bytes: number[] = [];
    const err = await loadModel(url, {
      backend: cpuBackend({ threads: 1 }),
      onDownload: (p) => p.path === 'unet/model.onnx' && bytes.push(p.loaded),
    }).then(
      () => null,
      (e: unknown) => e as RuntimeError,
    );
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err!.code).toBe('missing-file');
    expect(err!.message).toContain(`Downloading ${url}unet/model.onnx failed after `);
    expect(Math.max(...bytes)).toBeGreaterThan(0);
    const model = await loadModel(url, { backend: cpuBackend({ threads: 1 }) });
    try {
      expect(model.manifest.name).toBe('fashion-sd');
      const r = await model.generate({ schedule: 'F P0 N', prompts: ['a photo of a dark sneaker'], seeds: [1] });
      expect(r.shape).toEqual([1, 1, 32, 32]);
    } finally {
      await model.dispose();
    }
  }, 60_000);

  it('a path that leaves the folder is refused before any request', async () => {
    requested.length = 0;
    const source = fetchSource(`${base}/sd15/`);
    await expect(source.readFile('../uncond/model.json')).rejects.toMatchObject({ code: 'invalid-manifest' });
    expect(requested).toEqual([]);
  });
});
