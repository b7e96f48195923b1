import { describe, expect, it } from 'vitest';
import { RuntimeError } from '@flexiffusion/runtime';
import { createSessionFactory, isCudaInstalled } from '../src/index.js';

describe('createSessionFactory', () => {
  it('names the valid execution providers', () => {
    expect(() => createSessionFactory({ executionProvider: 'webgpu' as never })).toThrow('Unsupported executionProvider: "webgpu". Should be one of: "cpu", "cuda".');
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
