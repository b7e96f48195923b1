import { createServer, type Server } from 'node:http';
import { RuntimeError } from '@flexiffusion/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, type DownloadProgress } from '../src/index.js';

const BODY = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 255);

describe('fetchSource', () => {
  let server: Server;
  let base: string;
  let flaky = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/m/sized.bin') {
        res.writeHead(200, { 'Content-Length': BODY.length });
        res.end(BODY);
      } else if (path === '/m/chunked.bin') {
        res.writeHead(200); // no Content-Length: chunked transfer
        res.write(BODY.subarray(0, 100_000));
        setTimeout(() => res.end(BODY.subarray(100_000)), 5);
      } else if (path === '/m/dir/a%20b.json') {
        res.writeHead(200, { 'Content-Length': 2 });
        res.end('{}');
      } else if (path === '/m/flaky.bin') {
        // the first request breaks off half-way; the next ones are whole
        flaky++;
        res.writeHead(200, { 'Content-Length': BODY.length });
        if (flaky === 1) {
          res.write(BODY.subarray(0, 100_000), () => setTimeout(() => res.destroy(), 20));
        } else {
          res.end(BODY);
        }
      } else if (path === '/m/busy.json') {
        res.writeHead(503, 'Service Unavailable');
        res.end();
      } else if (path === '/m/short.bin') {
        res.writeHead(200, { 'Content-Length': 10 });
        res.socket?.end(); // promise 10 bytes, send none
        res.destroy();
      } else {
        res.writeHead(404, 'Not Found');
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/m`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('reads a file and reports bytes received against Content-Length', async () => {
    const events: DownloadProgress[] = [];
    const src = fetchSource(base, { onDownload: (p) => events.push(p) });
    expect(src.location).toBe(`${base}/`);
    const bytes = await src.readFile('sized.bin');
    expect(bytes).toEqual(BODY);
    expect(events[0]).toMatchObject({
      path: 'sized.bin',
      url: `${base}/sized.bin`,
      loaded: 0,
      total: BODY.length,
      fraction: 0,
      done: false,
    });
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ loaded: BODY.length, total: BODY.length, fraction: 1, done: true });
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
  });

  it('reports a null total without Content-Length, and the size at the end', async () => {
    const events: DownloadProgress[] = [];
    const bytes = await fetchSource(`${base}/`, { onDownload: (p) => events.push(p) }).readFile('chunked.bin');
    expect(bytes).toEqual(BODY);
    expect(events.slice(0, -1).every((e) => e.total === null && e.fraction === null)).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ loaded: BODY.length, total: BODY.length, fraction: 1, done: true });
  });

  it('encodes path segments', async () => {
    expect(new TextDecoder().decode(await fetchSource(base).readFile('dir/a b.json'))).toBe('{}');
  });

  it('fails with missing-file naming the URL and the status', async () => {
    const err = (await fetchSource(base)
      .readFile('nope.onnx')
      .then(
        () => null,
        (e: unknown) => e,
      )) as RuntimeError;
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.code).toBe('missing-file');
    expect(err.message).toBe(`Could not fetch ${base}/nope.onnx: the server answered 404 Not Found.`);
  });

  it('fails with missing-file when the body ends early or the host is unreachable', async () => {
    await expect(fetchSource(base).readFile('short.bin')).rejects.toMatchObject({ code: 'missing-file' });
    await expect(fetchSource('http://127.0.0.1:1/').readFile('x')).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringMatching(/^Could not fetch http:\/\/127\.0\.0\.1:1\/x: /),
    });
  });

  it('a download that breaks off mid-way fails with missing-file naming the URL (cause ERR_NETWORK), and a retry reads it whole', async () => {
    const events: DownloadProgress[] = [];
    const src = fetchSource(base, { onDownload: (p) => events.push(p) });
    const err = (await src.readFile('flaky.bin').then(
      () => null,
      (e: unknown) => e,
    )) as RuntimeError;
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.code).toBe('missing-file');
    expect(err.message).toMatch(new RegExp(`^Downloading ${base}/flaky\\.bin failed after \\d+ of 200000 bytes: `));
    expect(err.cause).toMatchObject({ name: 'DownloadFailure', code: 'ERR_NETWORK', url: `${base}/flaky.bin`, status: 200 });
    expect(events.some((e) => e.loaded > 0 && !e.done)).toBe(true);
    expect(await src.readFile('flaky.bin')).toEqual(BODY);
    expect(flaky).toBe(2);
  });

  it('an HTTP 404 has no cause (absent); another status has cause ERR_HTTP_STATUS (there, unreadable)', async () => {
    const notFound = (await fetchSource(base)
      .readFile('nope.json')
      .catch((e: unknown) => e)) as RuntimeError;
    expect(notFound.cause).toBeUndefined();
    const busy = (await fetchSource(base)
      .readFile('busy.json')
      .catch((e: unknown) => e)) as RuntimeError;
    expect(busy).toMatchObject({
      code: 'missing-file',
      message: `Could not fetch ${base}/busy.json: the server answered 503 Service Unavailable.`,
    });
    expect(busy.cause).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 503 });
    const unreachable = (await fetchSource('http://127.0.0.1:1/')
      .readFile('x')
      .catch((e: unknown) => e)) as RuntimeError;
    expect(unreachable.cause).toMatchObject({ code: 'ERR_NETWORK', status: null });
  });

  it('stops with aborted', async () => {
    const ctrl = new AbortController();
    const src = fetchSource(base, { signal: ctrl.signal, onDownload: (p) => p.loaded > 0 && ctrl.abort(new Error('enough')) });
    await expect(src.readFile('sized.bin')).rejects.toMatchObject({ code: 'aborted', message: expect.stringMatching(/enough/) });
    await expect(src.readFile('sized.bin')).rejects.toMatchObject({ code: 'aborted' });
  });

  it('uses an injected fetch, and rejects URLs that do not parse', async () => {
    const seen: string[] = [];
    const src = fetchSource('https://models.example/fashion', {
      fetch: async (url) => {
        seen.push(url);
        return new Response(new Uint8Array([1, 2, 3]), { headers: { 'Content-Length': '3' } });
      },
    });
    expect(await src.readFile('unet.onnx')).toEqual(new Uint8Array([1, 2, 3]));
    expect(seen).toEqual(['https://models.example/fashion/unet.onnx']);
    expect(() => fetchSource('not a url')).toThrow(/Invalid model URL "not a url": expected an absolute URL/);
  });
});
