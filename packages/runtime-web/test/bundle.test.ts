/**
 * A bundle holds only the onnxruntime-web build of the backends it imports: each subpath pulls in
 * its own build (`onnxruntime-web/webgpu` resp. `/wasm`), the main entry none.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundle } from '../harness/server.mjs';

const src = (f: string) => fileURLToPath(new URL(`../src/${f}`, import.meta.url));

describe('subpath bundles', () => {
  it('main, /wasm, /webgpu and /worker each bundle only the onnxruntime-web build they import', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runtime-web-bundle-'));
    const entry = async (name: string, code: string) => {
      const p = join(dir, `${name}.ts`);
      await writeFile(p, code);
      return p;
    };
    const entries = {
      '/main.js': await entry('main', `import { loadModel } from ${JSON.stringify(src('index.ts'))};\nconsole.log(loadModel);`),
      '/wasm.js': await entry(
        'wasm',
        `import { loadModel } from ${JSON.stringify(src('index.ts'))};\nimport { wasmBackend } from ${JSON.stringify(src('wasm.ts'))};\nconsole.log(loadModel, wasmBackend);`,
      ),
      '/webgpu.js': await entry(
        'webgpu',
        `import { webgpuBackend } from ${JSON.stringify(src('webgpu.ts'))};\nconsole.log(webgpuBackend);`,
      ),
      // the page side of worker mode, and a worker that serves only wasm
      '/page.js': await entry(
        'page',
        `import { createWorkerModel } from ${JSON.stringify(src('index.ts'))};\nconsole.log(createWorkerModel);`,
      ),
      '/worker.js': await entry(
        'worker',
        `import { serveModelWorker } from ${JSON.stringify(src('worker.ts'))};\nimport { wasmBackend } from ${JSON.stringify(src('wasm.ts'))};\nserveModelWorker({ backends: { wasm: wasmBackend } });`,
      ),
    };
    const { metafile } = await bundle(entries);
    const ortFiles = (i: number) =>
      Object.keys(Object.entries(metafile.outputs).find(([k]) => k.endsWith(`bundle/e${i}.js`))?.[1].inputs ?? {})
        .filter((f) => f.includes('onnxruntime-web/dist/'))
        .map((f) => f.slice(f.lastIndexOf('/') + 1));
    expect(ortFiles(0)).toEqual([]);
    expect(ortFiles(1)).toEqual(['ort.wasm.bundle.min.mjs']);
    expect(ortFiles(2)).toEqual(['ort.webgpu.bundle.min.mjs']);
    expect(ortFiles(3)).toEqual([]);
    expect(ortFiles(4)).toEqual(['ort.wasm.bundle.min.mjs']);
  }, 60_000);
});
