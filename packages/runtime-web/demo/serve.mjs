#!/usr/bin/env node
// Serve the demo: `npm run demo -w @flexiffusion/runtime-web` (or `node demo/serve.mjs [port]`),
// then open the printed URL. Everything comes from this repository: the page's code is bundled
// with esbuild at start, onnxruntime-web's wasm files come from node_modules, the model from
// packages/model-fashion/model/ (or FLEXI_FASHION_MODEL_DIR).
import { fileURLToPath } from 'node:url';
import { fashionModel } from '../harness/model.mjs';
import { ORT_DIST, startServer } from '../harness/server.mjs';

/**
 * Start the demo server.
 * @returns {Promise<import('../harness/server.mjs').TestServer & { page: string }>}
 */
export async function startDemo() {
  const model = await fashionModel();
  if (!model)
    throw new Error('No Fashion-MNIST model found: expected packages/model-fashion/model/model.json (or FLEXI_FASHION_MODEL_DIR).');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const server = await startServer({
    mounts: { '/demo/ort/': ORT_DIST, '/demo/model/': model.dir, '/demo/': here },
    bundles: { '/demo/main.js': fileURLToPath(new URL('./main.ts', import.meta.url)) },
    pages: { '/favicon.ico': '' },
  });
  return { ...server, page: `${server.url}/demo/index.html` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const demo = await startDemo();
  console.log(`Flexiffusion demo: ${demo.page}  (Ctrl-C to stop)`);
}
