/**
 * The model worker of the browser tests (bundled as /app/t2i-worker.js, started as a module
 * worker): serves both web backends.
 */
import { wasmBackend } from '../../src/wasm.js';
import { webgpuBackend } from '../../src/webgpu.js';
import { serveModelWorker } from '../../src/worker.js';

serveModelWorker({ backends: { webgpu: webgpuBackend, wasm: wasmBackend } });
