// A tiny static server for the browser tests, the bench and the demo: folders mounted under URL
// prefixes, TypeScript entry points bundled in memory with esbuild, pages from strings. Listens on
// 127.0.0.1 (a secure context, so WebGPU and Web Crypto are available) on a random port.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** onnxruntime-web's dist folder (wasm and mjs files), served at /ort/ so that no CDN is needed. */
export const ORT_DIST = fileURLToPath(new URL('.', import.meta.resolve('onnxruntime-web/wasm')));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Bundle TypeScript entry points for the browser, in memory.
 * @param {Record<string, string>} entries URL path ('/app/page.js') → entry file.
 * @returns {Promise<{ files: Map<string, Uint8Array>, metafile: import('esbuild').Metafile }>}
 */
export async function bundle(entries) {
  const names = Object.keys(entries);
  const entryPoints = names.map((url, i) => ({ in: entries[url], out: `e${i}` }));
  const result = await esbuild.build({
    entryPoints,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: '/bundle',
    sourcemap: false,
    metafile: true,
    logLevel: 'error',
  });
  const files = new Map();
  names.forEach((url, i) => {
    const out = result.outputFiles.find((f) => f.path === `/bundle/e${i}.js`);
    if (!out) throw new Error(`esbuild produced no output for ${entries[url]}`);
    files.set(url, out.contents);
  });
  return { files, metafile: result.metafile };
}

/**
 * Start the server.
 * @param {{ mounts?: Record<string, string>, bundles?: Record<string, string>, pages?: Record<string, string>, crossOriginIsolated?: boolean, log?: (line: string) => void }} options
 * @returns {Promise<{ url: string, port: number, requests: string[], fault(path: string, kind: number | 'cut'): void, close(): Promise<void> }>}
 */
export async function startServer(options = {}) {
  const mounts = Object.entries(options.mounts ?? {}).sort((a, b) => b[0].length - a[0].length);
  const memory = new Map();
  for (const [path, text] of Object.entries(options.pages ?? {})) memory.set(path, new TextEncoder().encode(text));
  if (options.bundles && Object.keys(options.bundles).length > 0) {
    const { files } = await bundle(options.bundles);
    for (const [path, bytes] of files) memory.set(path, bytes);
  }
  const requests = [];
  /** One-shot faults by URL path: an HTTP status, or 'cut' (half the body, then the connection drops). */
  const faults = new Map();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(path);
    const fault = faults.get(path);
    if (fault !== undefined) faults.delete(path);
    if (typeof fault === 'number') {
      res.writeHead(fault, { 'Content-Type': 'text/plain' });
      res.end(`fault ${fault}: ${path}`);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    if (options.crossOriginIsolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const mem = memory.get(path);
    if (mem) {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': mem.length });
      res.end(req.method === 'HEAD' ? undefined : mem);
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const root = resolve(dir);
      const file = resolve(join(root, path.slice(prefix.length)));
      if (file !== root && !file.startsWith(root + sep)) break;
      try {
        const st = await stat(file);
        if (!st.isFile()) break;
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size });
        if (req.method === 'HEAD') return void res.end();
        if (fault === 'cut') {
          // send the first half, then drop the connection (a download that breaks off mid-way)
          createReadStream(file, { start: 0, end: Math.max(0, Math.floor(st.size / 2) - 1) })
            .on('end', () => setTimeout(() => res.destroy(), 50))
            .pipe(res, { end: false });
          return;
        }
        createReadStream(file).pipe(res);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end(`not found: ${path}`);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    fault(path, kind) {
      faults.set(path, kind);
    },
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}
