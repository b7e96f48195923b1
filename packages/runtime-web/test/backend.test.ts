import { RuntimeError } from '@flexiffusion/runtime';
import { describe, expect, it } from 'vitest';
import { resolveBackend } from '../src/index.js';
import { wasmBackend } from '../src/wasm.js';
import { webgpuBackend } from '../src/webgpu.js';

describe('resolveBackend with the web backends', () => {
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
    expect(() => webgpuBackend({ logLevel: 'loud' as never })).toThrow(
      /Invalid logLevel "loud". Should be one of: "verbose", "info", "warning", "error", "fatal"/,
    );
    expect(() => webgpuBackend({ powerPreference: 'fast' as never })).toThrow(
      /Invalid powerPreference "fast". Should be one of: "low-power", "high-performance"/,
    );
    expect(() => wasmBackend({ wasmPaths: 5 as never })).toThrow(/Invalid wasmPaths 5/);
  });

  it('importing a backend registers nothing: it is a plain object with a name and init()', () => {
    const b = wasmBackend();
    expect(Object.keys(b).sort()).toEqual(['init', 'name']);
    expect(b.name).toBe('wasm');
    expect(webgpuBackend().name).toBe('webgpu');
  });
});
