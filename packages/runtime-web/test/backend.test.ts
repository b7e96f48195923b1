import { RuntimeError, type SessionFactory } from '@flexiffusion/runtime';
import { describe, expect, it } from 'vitest';
import { resolveBackend, type ActiveBackend, type WebBackend } from '../src/index.js';
import { wasmBackend } from '../src/wasm.js';
import { webgpuBackend } from '../src/webgpu.js';

const sessions: SessionFactory = { create: () => Promise.reject(new Error('not used')) };

function fake(name: string, behaviour: 'ok' | Error, calls: string[]): WebBackend {
  return {
    name,
    async init(): Promise<ActiveBackend> {
      calls.push(name);
      if (behaviour instanceof Error) throw behaviour;
      return { name, description: `${name} (fake)`, sessions, deviceResident: false };
    },
  };
}

describe('resolveBackend', () => {
  it('returns the first backend that starts and does not try the rest', async () => {
    const calls: string[] = [];
    const fallbacks: string[] = [];
    const b = await resolveBackend([fake('webgpu', new Error('no adapter'), calls), fake('wasm', 'ok', calls), fake('other', 'ok', calls)], {
      onFallback: (f) => fallbacks.push(`${f.name}: ${(f.error as Error).message}`),
    });
    expect(b.name).toBe('wasm');
    expect(calls).toEqual(['webgpu', 'wasm']);
    expect(fallbacks).toEqual(['webgpu: no adapter']);
  });

  it('throws one RuntimeError listing every failure in order, onnxruntime style', async () => {
    const e1 = new Error('navigator.gpu is undefined');
    const e2 = new Error('failed to fetch ort-wasm-simd-threaded.wasm');
    const err = await resolveBackend([fake('webgpu', e1, []), fake('wasm', e2, [])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    const re = err as RuntimeError;
    expect(re.code).toBe('unsupported');
    expect(re.message).toBe('No execution backend could be started: [webgpu] navigator.gpu is undefined, [wasm] failed to fetch ort-wasm-simd-threaded.wasm');
    expect(re.issues).toEqual([
      { path: 'webgpu', message: e1.message },
      { path: 'wasm', message: e2.message },
    ]);
    expect(re.cause).toBeInstanceOf(AggregateError);
    expect((re.cause as AggregateError).errors).toEqual([e1, e2]);
  });

  it('rejects an empty list and non-backends with clear messages', async () => {
    await expect(resolveBackend([])).rejects.toMatchObject({ code: 'invalid-option', message: expect.stringMatching(/webgpuBackend\(\), wasmBackend\(\)/) });
    await expect(resolveBackend([{} as WebBackend])).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/^No execution backend could be started: \[#0\] not a backend/) });
  });

  it('stops at an aborted signal', async () => {
    const ctrl = new AbortController();
    ctrl.abort(new Error('user left'));
    await expect(resolveBackend([fake('wasm', 'ok', [])], { signal: ctrl.signal })).rejects.toMatchObject({ code: 'aborted', message: expect.stringMatching(/user left/) });
  });

  it('the real WebGPU backend fails with a clear message where there is no navigator.gpu (Node)', async () => {
    const err = (await resolveBackend([webgpuBackend()]).then(
      () => null,
      (e: unknown) => e,
    )) as RuntimeError;
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(/^No execution backend could be started: \[webgpu\] navigator\.gpu is undefined/);
  });
});

describe('backend options', () => {
  it('are checked when the backend is made, naming the bad value and the valid ones', () => {
    expect(() => wasmBackend({ numThreads: 0 })).toThrow(/Invalid numThreads 0: expected an integer >= 1/);
    expect(() => webgpuBackend({ logLevel: 'loud' as never })).toThrow(/Invalid logLevel "loud". Should be one of: "verbose", "info", "warning", "error", "fatal"/);
    expect(() => webgpuBackend({ powerPreference: 'fast' as never })).toThrow(/Invalid powerPreference "fast". Should be one of: "low-power", "high-performance"/);
    expect(() => wasmBackend({ wasmPaths: 5 as never })).toThrow(/Invalid wasmPaths 5/);
  });

  it('importing a backend registers nothing: it is a plain object with a name and init()', () => {
    const b = wasmBackend();
    expect(Object.keys(b).sort()).toEqual(['init', 'name']);
    expect(b.name).toBe('wasm');
    expect(webgpuBackend().name).toBe('webgpu');
  });
});
