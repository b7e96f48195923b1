import { describe, expect, it } from 'vitest';
import { RuntimeError, resolveBackend } from '@flexiffusion/runtime';
import { STAND_INS } from './model-path.js';
import { cpuBackend, createSessionFactory, cudaBackend, isCudaInstalled, loadModel, nodeBackends } from '../src/index.js';

describe('createSessionFactory', () => {
  it('names the valid execution providers', () => {
    expect(() => createSessionFactory({ executionProvider: 'webgpu' as never })).toThrow(
      'Unsupported executionProvider: "webgpu". Should be one of: "cpu", "cuda".',
    );
    expect(() => createSessionFactory({ threads: 0 })).toThrow(/Invalid threads 0/);
  });

  it.skipIf(isCudaInstalled())('says how to install the CUDA provider when it is missing', () => {
    try {
      createSessionFactory({ executionProvider: 'cuda' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      expect((e as RuntimeError).code).toBe('unsupported');
      expect((e as Error).message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node/);
      expect((e as Error).message).toMatch(/onnxruntime-node-install cuda12/);
    }
  });
});

describe('node backends', () => {
  it('cpu starts, proves itself on a graph and describes itself', async () => {
    const b = await cpuBackend({ threads: 1 }).init();
    expect(b).toMatchObject({ name: 'cpu', deviceResident: false });
    expect(b.description).toBe('cpu (onnxruntime-node, 1 thread)');
    expect(() => cpuBackend({ threads: 0 })).toThrow(/Invalid threads 0/);
  });

  it('names the valid devices', () => {
    expect(() => nodeBackends('tpu' as never)).toThrow('Unsupported device: "tpu". Should be one of: "cpu", "cuda", "auto".');
    expect(nodeBackends('auto').map((b) => b.name)).toEqual(['cuda', 'cpu']);
  });

  it.skipIf(isCudaInstalled())('auto falls back to cpu, saying why; cuda alone fails with one combined error', async () => {
    const failed: string[] = [];
    const model = await loadModel(`${STAND_INS}tiny-unet`, { device: 'auto', threads: 1, onFallback: (f) => failed.push(f.name) });
    try {
      expect(model.backend.name).toBe('cpu');
      expect(failed).toEqual(['cuda']);
    } finally {
      await model.dispose();
    }
    const err = await resolveBackend([cudaBackend()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: 'unsupported', issues: [{ path: 'cuda' }] });
    expect((err as Error).message).toMatch(/^No execution backend could be started: \[cuda\] The CUDA execution provider is not installed/);
  });
});
