#!/usr/bin/env node
// Serve the demo: `npm run demo -w @flexiffusion/runtime-web` (or `node demo/serve.mjs [port]`),
// then open the printed URL. Everything comes from this repository: the page's code is bundled
// with esbuild at start, onnxruntime-web's wasm files come from node_modules, the models from
// packages/model-fashion/model/ and packages/model-fashion-sd/model/ (or FLEXI_FASHION_MODEL_DIR,
// FLEXI_FASHION_SD_MODEL_DIR).
import { fileURLToPath } from 'node:url';
import { fashionModel, fashionSdModel } from '../harness/model.mjs';
import { ORT_DIST, startServer } from '../harness/server.mjs';

/**
 * Start the demo server: the class-conditional page (index.html, the Fashion-MNIST pixel model) and
 * the text-to-image page (t2i.html, fashion-sd in a Web Worker; docs/benchmarks.json at ./docs/).
 * @returns {Promise<import('../harness/server.mjs').TestServer & { page: string, t2iPage: string }>}
 */
export async function startDemo() {
  const [model, sd] = await Promise.all([fashionModel(), fashionSdModel()]);
  const here = fileURLToPath(new URL('.', import.meta.url));
  const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));
  const server = await startServer({
    mounts: {
      '/demo/ort/': ORT_DIST,
      '/demo/model/': model.dir,
      '/demo/models/fashion-sd/': sd.dir,
      '/demo/docs/': docs,
      '/demo/': here,
    },
    bundles: {
      '/demo/main.js': fileURLToPath(new URL('./main.ts', import.meta.url)),
      '/demo/t2i.js': fileURLToPath(new URL('./t2i.ts', import.meta.url)),
      '/demo/t2i-worker.js': fileURLToPath(new URL('./t2i-worker.ts', import.meta.url)),
    },
    pages: { '/favicon.ico': '' },
  });
  return { ...server, page: `${server.url}/demo/index.html`, t2iPage: `${server.url}/demo/t2i.html` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const demo = await startDemo();
  console.log(`Flexiffusion demo: ${demo.t2iPage} (text to image, in a worker)`);
  console.log(`                   ${demo.page} (class-conditional)  (Ctrl-C to stop)`);
}
