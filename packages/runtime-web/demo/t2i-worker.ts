/**
 * The demo's model worker (bundled as /demo/t2i-worker.js by serve.mjs): loading, sessions and the
 * denoising loop of the text-to-image page run here, off the page's main thread.
 */
import { wasmBackend } from '../src/wasm.js';
import { webgpuBackend } from '../src/webgpu.js';
import { serveModelWorker } from '../src/worker.js';

serveModelWorker({ backends: { webgpu: webgpuBackend, wasm: wasmBackend } });
