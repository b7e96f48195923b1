import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { loadManifest, readModelFolder } from '@flexiffusion/runtime';
import { cpuBackend, fileSource } from '@flexiffusion/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, loadModel } from '../src/index.js';

/** The diffusers-layout export stand-ins of @flexiffusion/runtime's tests. */
const EXPORTS = new URL('../../runtime/test/fixtures/exports/', import.meta.url).pathname;

describe('the web loader imports a diffusers export folder over HTTP with the same code', () => {
  let server: Server;
  let base: string;
  const requested: string[] = [];

  beforeAll(async () => {
    // a static file server for the exports folder (and nothing above it)
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requested.push(path);
      const file = normalize(join(EXPORTS, path));
      if (!file.startsWith(EXPORTS)) {
        res.writeHead(403).end();
        return;
      }
      readFile(file).then(
        (body) => res.writeHead(200, { 'Content-Length': body.length }).end(body),
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

  it('a path that leaves the folder is refused before any request', async () => {
    requested.length = 0;
    const source = fetchSource(`${base}/sd15/`);
    await expect(source.readFile('../uncond/model.json')).rejects.toMatchObject({ code: 'invalid-manifest' });
    expect(requested).toEqual([]);
  });
});
