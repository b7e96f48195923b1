import { describe, expect, it } from 'vitest';
import {
  RuntimeError,
  checkBackend,
  getSampler,
  openModel,
  resolveBackend,
  SAMPLERS,
  type ActiveBackend,
  type Backend,
  type SamplerDefinition,
  type SessionFactory,
} from '../src/index.js';
import { fixtureSource, sessions as nodeSessions, testBackend } from './helpers.js';

const sessions: SessionFactory = { create: () => Promise.reject(new Error('not used')) };

function fake(name: string, behaviour: 'ok' | Error, calls: string[]): Backend {
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
    const b = await resolveBackend(
      [fake('webgpu', new Error('no adapter'), calls), fake('wasm', 'ok', calls), fake('other', 'ok', calls)],
      {
        onFallback: (f) => fallbacks.push(`${f.name}: ${(f.error as Error).message}`),
      },
    );
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
    expect(re.message).toBe(
      'No execution backend could be started: [webgpu] navigator.gpu is undefined, [wasm] failed to fetch ort-wasm-simd-threaded.wasm',
    );
    expect(re.issues).toEqual([
      { path: 'webgpu', message: e1.message },
      { path: 'wasm', message: e2.message },
    ]);
    expect(re.cause).toBeInstanceOf(AggregateError);
    expect((re.cause as AggregateError).errors).toEqual([e1, e2]);
  });

  it('rejects an empty list and non-backends with clear messages', async () => {
    await expect(resolveBackend([])).rejects.toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/webgpuBackend\(\), wasmBackend\(\)/),
    });
    await expect(resolveBackend([{} as Backend])).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/^No execution backend could be started: \[#0\] not a backend/),
    });
  });

  it('stops at an aborted signal', async () => {
    const ctrl = new AbortController();
    ctrl.abort(new Error('user left'));
    await expect(resolveBackend([fake('wasm', 'ok', [])], { signal: ctrl.signal })).rejects.toMatchObject({
      code: 'aborted',
      message: expect.stringMatching(/user left/),
    });
  });
});

describe('checkBackend', () => {
  it('passes on a working factory and reports what a broken one computed', async () => {
    await checkBackend(nodeSessions);
    const wrong: SessionFactory = {
      async create(model, info) {
        const s = await nodeSessions.create(model, info);
        return new Proxy(s, {
          get: (t, p) =>
            p === 'run'
              ? async () => ({ y: { location: 'cpu', data: Float32Array.from([0, 0, 0, 0]), type: 'float32', dims: [1, 4] } })
              : Reflect.get(t, p, t),
        });
      },
    };
    await expect(checkBackend(wrong)).rejects.toThrow('the test graph computed [0, 0, 0, 0] instead of [2, 4, 6, 8]');
    await expect(checkBackend(nodeSessions, { deviceResident: true })).rejects.toThrow(/came back in "cpu" memory, not "gpu-buffer"/);
  });
});

describe('openModel backends', () => {
  it('takes one backend, a list (falling back in order) or a started one, and names a bad value', async () => {
    const calls: string[] = [];
    const ok: Backend = { name: 'cpu', init: async () => testBackend() };
    const fallbacks: string[] = [];
    const m = await openModel({
      source: fixtureSource('tiny-unet'),
      backend: [fake('gpu', new Error('no device'), calls), ok],
      onFallback: (f) => fallbacks.push(f.name),
    });
    try {
      expect(m.backend.description).toMatch(/test/);
      expect(fallbacks).toEqual(['gpu']);
    } finally {
      await m.dispose();
    }
    const one = await openModel({ source: fixtureSource('tiny-unet'), backend: ok });
    await one.dispose();
    await expect(openModel({ source: fixtureSource('tiny-unet'), backend: 'cpu' as never })).rejects.toMatchObject({
      code: 'invalid-option',
      message: expect.stringMatching(/^Invalid backend cpu: expected a backend/),
    });
  });
});

describe('pluggable samplers', () => {
  it('generate() runs a custom SamplerDefinition exactly like the built-in it copies, and rejects a non-sampler', async () => {
    const model = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    try {
      let steps = 0;
      const ddim = SAMPLERS.ddim;
      const counting: SamplerDefinition<unknown> = {
        name: 'counting-ddim',
        summary: 'DDIM that counts its steps',
        stochastic: (c) => ddim.stochastic(c),
        init: (c) => ddim.init(c),
        step: (state, input) => {
          steps++;
          return ddim.step(state, input);
        },
      };
      const base = { schedule: 'F P0 N | F N N', labels: [1, 2], seeds: [3, 4] } as const;
      const custom = await model.generate({ ...base, sampler: counting });
      const builtIn = await model.generate({ ...base, sampler: 'ddim' });
      expect(custom.samples).toEqual(builtIn.samples);
      expect(steps).toBe(3); // the 'skip' plan keeps the 3 evaluated steps (F, P0, F): one update each
      await expect(model.generate({ ...base, sampler: { name: 'x' } as never })).rejects.toMatchObject({
        code: 'invalid-option',
        message: expect.stringMatching(/missing stochastic, init, step/),
      });
      expect(() => getSampler('euler')).toThrow('Unsupported sampler: "euler". Should be one of: "ddim", "dpmpp-2m", "dpmpp-3m", "unipc".');
    } finally {
      await model.dispose();
    }
  });
});

describe('generation inputs', () => {
  it('type-checks prompts, warns once about a truncated prompt, checks height/width and hashes every file', async () => {
    const model = await openModel({ source: fixtureSource('sd'), backend: testBackend() });
    try {
      const base = { schedule: 'F F', seeds: [1] } as const;
      await expect(model.generate({ ...base, prompts: 'a cat' as never })).rejects.toThrow(
        'Invalid prompts: expected an array of strings, one per sample, got the string "a cat" (wrap it: ["a cat"]).',
      );
      await expect(model.generate({ ...base, prompts: [42 as never] })).rejects.toThrow(
        'Invalid prompt 42 at index 0 of prompts: expected a string.',
      );
      await expect(model.generate({ ...base, prompts: ['a'], negativePrompt: 'b', negativePrompts: ['c'] })).rejects.toThrow(/not both/);
      await expect(model.generate({ ...base, prompts: ['a'], negativePrompts: ['c', 'd'] })).rejects.toThrow(
        'negativePrompts gives 2 prompts for 1 samples: give one per sample.',
      );
      const warnings: string[] = [];
      const long = Array.from({ length: 80 }, () => 'cat').join(' ');
      const onWarning = (w: { code: string; message: string }) => warnings.push(`${w.code}: ${w.message}`);
      await model.generate({ ...base, prompts: [long], onWarning });
      await model.generate({ ...base, prompts: [long], onWarning });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^prompt-truncated: Prompt "cat cat .*…" has 80 tokens; the text encoder reads 77 .* truncated to its first 75\.$/,
      );
      // per-sample negative prompts equal one shared negative prompt when they agree
      const shared = await model.generate({ ...base, prompts: ['a red shoe'], negativePrompt: 'dog' });
      const perSample = await model.generate({ ...base, prompts: ['a red shoe'], negativePrompts: ['dog'] });
      expect(perSample.samples).toEqual(shared.samples);
      const size = await model.imageSize();
      expect(size).toEqual({ height: 16, width: 16, scaleFactor: 2, channels: 3 });
      expect((await model.generate({ ...base, height: 16, width: 16 })).shape).toEqual([1, 3, 16, 16]);
      await expect(model.generate({ ...base, height: 17 })).rejects.toThrow(/must be a multiple of 2/);
      await expect(model.generate({ ...base, width: 32 })).rejects.toThrow(
        /generates 16×16 images; other sizes are not supported yet, so width must be 16/,
      );
      expect(model.files.map((f) => f.path)).toEqual([
        'text_encoder/model.onnx',
        'tokenizer/merges.txt',
        'tokenizer/vocab.json',
        'unet/model.onnx',
        'vae_decoder/model.onnx',
      ]);
      expect(model.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
      expect(model.contentHash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await model.dispose();
    }
    const labels = await openModel({ source: fixtureSource('tiny-unet'), backend: testBackend() });
    try {
      await expect(labels.generate({ schedule: 'F', labels: [1], negativePrompt: 'x' })).rejects.toThrow(/takes no prompts/);
      expect(await labels.imageSize()).toEqual({ height: 16, width: 16, scaleFactor: 1, channels: 1 });
    } finally {
      await labels.dispose();
    }
  });
});
