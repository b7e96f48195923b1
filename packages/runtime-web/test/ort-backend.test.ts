/**
 * The shared onnxruntime-web backend code on a fake onnxruntime module: the session options it
 * passes (device outputs → gpu-buffer only where the backend is device-resident), the smoke test
 * that proves a backend before it is chosen, serial session creation, error wrapping.
 */
import { RuntimeError } from '@flexiffusion/runtime';
import { describe, expect, it } from 'vitest';
import { ortBackend, type OrtModule } from '../src/internal/ort-backend.js';

interface Created {
  options: Record<string, unknown>;
  start: number;
  end: number;
}

function fakeOrt(opts: { result?: number[]; failCreate?: (bytes: Uint8Array) => boolean; delayMs?: number } = {}) {
  const created: Created[] = [];
  let clock = 0;
  let active = 0;
  let maxActive = 0;
  const ort = {
    env: { wasm: {} as Record<string, unknown>, webgpu: {} as Record<string, unknown>, logLevel: 'warning' },
    Tensor: class {
      constructor(
        readonly type: string,
        readonly data: Float32Array,
        readonly dims: number[],
      ) {}
    },
    InferenceSession: {
      async create(bytes: Uint8Array, options: Record<string, unknown>) {
        active++;
        maxActive = Math.max(maxActive, active);
        const rec: Created = { options, start: clock++, end: -1 };
        await new Promise((r) => setTimeout(r, opts.delayMs ?? 2));
        rec.end = clock++;
        active--;
        created.push(rec);
        if (opts.failCreate?.(bytes)) throw new Error('cannot create');
        const where = (options['preferredOutputLocation'] as Record<string, string> | undefined)?.['y'] ?? 'cpu';
        const data = Float32Array.from(opts.result ?? [2, 4, 6, 8]);
        return {
          inputNames: ['x'],
          outputNames: ['y'],
          run: async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await new Promise((r) => setTimeout(r, opts.delayMs ?? 2));
            active--;
            return { y: { location: where, data, getData: async () => data, dispose() {} } };
          },
          release: async () => undefined,
        };
      },
    },
  };
  return { ort: ort as unknown as OrtModule, env: ort.env, created, maxActive: () => maxActive };
}

const model = new Uint8Array([1, 2, 3]);

describe('ortBackend', () => {
  it('a device-resident backend asks for gpu-buffer outputs for exactly the device outputs', async () => {
    const f = fakeOrt();
    const b = ortBackend({
      name: 'webgpu',
      ort: f.ort,
      deviceResident: true,
      preflight: async () => 'webgpu (fake)',
      wasmPaths: '/ort/',
      numThreads: 1,
    });
    const active = await b.init();
    expect(active).toMatchObject({ name: 'webgpu', description: 'webgpu (fake)', deviceResident: true });
    expect(f.env.wasm).toEqual({ wasmPaths: '/ort/', numThreads: 1 });
    expect(f.env.logLevel).toBe('error');
    await active.sessions.create(model, { label: 'unet/full', deviceOutputs: ['c0', 'c1'] });
    await active.sessions.create(model, { label: 'unet/partial-0' });
    const [smoke, full, partial] = f.created.map((c) => c.options);
    expect(smoke).toMatchObject({ executionProviders: ['webgpu'], preferredOutputLocation: { y: 'gpu-buffer' } });
    expect(full).toEqual({
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      preferredOutputLocation: { c0: 'gpu-buffer', c1: 'gpu-buffer' },
    });
    expect(partial).toEqual({ executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  });

  it('a host backend ignores device outputs', async () => {
    const f = fakeOrt();
    const active = await ortBackend({ name: 'wasm', ort: f.ort, deviceResident: false, preflight: async () => 'wasm' }).init();
    await active.sessions.create(model, { label: 'unet/full', deviceOutputs: ['c0'] });
    expect(f.created.every((c) => c.options['preferredOutputLocation'] === undefined)).toBe(true);
    expect(f.created[1]!.options['executionProviders']).toEqual(['wasm']);
  });

  it('init fails when the smoke graph computes wrong values or a device output stays on the host', async () => {
    await expect(
      ortBackend({ name: 'wasm', ort: fakeOrt({ result: [0, 0, 0, 0] }).ort, deviceResident: false, preflight: async () => 'w' }).init(),
    ).rejects.toThrow(/the test graph computed \[0, 0, 0, 0\] instead of \[2, 4, 6, 8\]/);
    const f = fakeOrt();
    const ort = {
      ...f.ort,
      InferenceSession: {
        create: (b: Uint8Array, o: Record<string, unknown>) =>
          f.ort.InferenceSession.create(b, { ...o, preferredOutputLocation: undefined }),
      },
    };
    await expect(
      ortBackend({ name: 'webgpu', ort: ort as unknown as OrtModule, deviceResident: true, preflight: async () => 'g' }).init(),
    ).rejects.toThrow(/a device output came back in "cpu" memory, not "gpu-buffer"/);
  });

  it('init is memoized, and retried after a failure', async () => {
    let calls = 0;
    const f = fakeOrt();
    const b = ortBackend({
      name: 'wasm',
      ort: f.ort,
      deviceResident: false,
      preflight: async () => {
        if (++calls === 1) throw new Error('first try fails');
        return 'wasm';
      },
    });
    await expect(b.init()).rejects.toThrow('first try fails');
    const [a, c] = await Promise.all([b.init(), b.init()]);
    expect(a).toBe(c);
    expect(calls).toBe(2);
  });

  it('creates and runs sessions of one onnxruntime module one at a time', async () => {
    const f = fakeOrt({ delayMs: 5 });
    const gpu = ortBackend({ name: 'webgpu', ort: f.ort, deviceResident: true, preflight: async () => 'g' });
    const host = ortBackend({ name: 'webgpu', ort: f.ort, deviceResident: false, preflight: async () => 'g' });
    const [a, b] = await Promise.all([gpu.init(), host.init()]);
    const sessions = await Promise.all([a.sessions.create(model), b.sessions.create(model), a.sessions.create(model)]);
    expect(f.created.length).toBe(5);
    const outs = await Promise.all(sessions.flatMap((s) => [s.run({}), s.run({})]));
    expect(outs.length).toBe(6);
    expect(f.maxActive()).toBe(1);
    // the wrapper is the session otherwise
    expect(sessions[0]!.inputNames).toEqual(['x']);
    await Promise.all(sessions.map((s) => s.release()));
  });

  it('wraps creation failures in RuntimeError session-failed naming the session and the backend', async () => {
    const f = fakeOrt({ failCreate: (bytes) => bytes.length === 3 });
    const active = await ortBackend({ name: 'wasm', ort: f.ort, deviceResident: false, preflight: async () => 'w' }).init();
    const err = (await active.sessions.create(model, { label: 'unet/full' }).then(
      () => null,
      (e: unknown) => e,
    )) as RuntimeError;
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.code).toBe('session-failed');
    expect(err.message).toBe('onnxruntime-web could not open unet/full on wasm: cannot create');
    expect((err.cause as Error).message).toBe('cannot create');
  });
});
