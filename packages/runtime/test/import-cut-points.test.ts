import { describe, expect, it } from 'vitest';
import {
  RuntimeError,
  countMacs,
  cutUnet,
  inspectGraph,
  loadManifest,
  openModel,
  proposeCutPoints,
  type CacheBranch,
  type ModelManifest,
} from '../src/index.js';
import { editedExport, exportFiles } from './export-helpers.js';
import { ort, sessions, testBackend } from './helpers.js';

const FEEDS = {
  sd15: () => ({
    sample: new ort.Tensor('float32', new Float32Array(4 * 8 * 8).fill(0.1), [1, 4, 8, 8]),
    timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
    encoder_hidden_states: new ort.Tensor('float32', new Float32Array(77 * 32).fill(0.01), [1, 77, 32]),
  }),
  uncond: () => ({
    x_t: new ort.Tensor('float32', new Float32Array(3 * 16 * 16).fill(0.1), [1, 3, 16, 16]),
    t: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
  }),
};

async function unetOf(name: 'sd15' | 'uncond'): Promise<Uint8Array> {
  return (await exportFiles(name)).get('unet/model.onnx')!;
}

describe('proposeCutPoints: decoder block outputs from diffusers module names', () => {
  it.each(['sd15', 'uncond'] as const)('%s: shallow to deep, 0 < MAC ratio < 1, rising with depth', async (name) => {
    const unet = await unetOf(name);
    const macs = await countMacs(unet, { sessions, feeds: FEEDS[name]() });
    const { points, skipped } = proposeCutPoints(unet, { macs });
    expect(points.map((p) => p.module)).toEqual(['up_blocks.1', 'up_blocks.0', 'mid_block']);
    const ratios = points.map((p) => p.macRatio!);
    for (const r of ratios) expect(r > 0 && r < 1).toBe(true);
    for (let i = 1; i < ratios.length; i++) expect(ratios[i]!).toBeGreaterThan(ratios[i - 1]!);
    for (let i = 1; i < points.length; i++) expect(points[i]!.partialNodes).toBeGreaterThan(points[i - 1]!.partialNodes);
    // the last up block only feeds the output convolution: a partial step there would ignore x_t
    expect(skipped.map((s) => s.module)).toEqual(['up_blocks.2']);
    expect(skipped[0]!.reason).toMatch(/would not read the noisy sample/);
  });

  it('proposes nothing for a graph without module names', async () => {
    const summary = inspectGraph(await unetOf('uncond'));
    expect(summary.nodes.some((n) => n.name.startsWith('/up_blocks.'))).toBe(true);
    const tiny = (await exportFiles('sd15')).get('vae_encoder/model.onnx')!;
    expect(proposeCutPoints(tiny).points).toEqual([]);
  });
});

describe('a derived manifest uses the proposals: loads and generates', () => {
  it('sd15: three branches, partial steps cheaper than full ones, prompts generate latents and images', async () => {
    const model = await openModel({ source: await editedExport('sd15'), backend: testBackend() });
    try {
      expect(model.branches).toBe(3);
      expect(model.unet.warnings).toEqual([]);
      const { fullMacs, partialMacs } = model.costProfile;
      for (let b = 0; b < 3; b++) expect(partialMacs[b]! / fullMacs).toBeLessThan(1);
      const r = await model.generate({ schedule: 'F P0 P1 | F P2 N', prompts: ['a photo of a cat', 'a red dress'], seeds: [1, 2] });
      expect(r.shape).toEqual([2, 3, 16, 16]);
      expect(r.latentShape).toEqual([2, 4, 8, 8]);
      expect(r.samples.every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('sd2 (tokenizer.json, v-prediction) and uncond (model.json mapping) generate', async () => {
    for (const [name, options] of [
      ['sd2', { prompts: ['a blue shoe'] }],
      ['uncond', { count: 2 }],
    ] as const) {
      const model = await openModel({ source: await editedExport(name), backend: testBackend() });
      try {
        const r = await model.generate({ schedule: 'F P0 N | F P1 N', ...options });
        expect(r.samples.every(Number.isFinite)).toBe(true);
        expect(r.shape[1]).toBe(3);
      } finally {
        await model.dispose();
      }
    }
  });
});

/** The uncond export opened with other cut points. */
async function openUncond(cache: readonly CacheBranch[]) {
  const source = await editedExport('uncond');
  const manifest: ModelManifest = await loadManifest(source);
  return openModel({ source, backend: testBackend(), manifest: { ...manifest, unet: { ...manifest.unet, cache } } });
}

async function cutFailure(tensor: string): Promise<RuntimeError> {
  try {
    const model = await openUncond([
      { branch: 0, tensor: '/up_blocks.0/upsamplers.0/conv/Conv_output_0' },
      { branch: 1, tensor },
    ]);
    await model.dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(RuntimeError);
    return e as RuntimeError;
  }
  throw new Error(`cut point ${tensor} was accepted`);
}

describe('cut points that make no sense are refused, naming the manifest field', () => {
  it('a graph input (x_t), an initializer and the output are invalid-cut', async () => {
    const initializer = firstInitializer(await unetOf('uncond'));
    for (const [tensor, why] of [
      ['x_t', /it is a graph input/],
      [initializer, /it is an initializer/],
      ['eps', /it is a graph output/],
    ] as const) {
      const e = await cutFailure(tensor);
      expect(e.code).toBe('invalid-cut');
      expect(e.message).toContain(`unet.cache[1].tensor ${JSON.stringify(tensor)}`);
      expect(e.message).toMatch(why);
      expect(e.issues[0]?.path).toBe('unet.cache[1].tensor');
    }
  });

  it('a typo names the field and suggests the intended tensor first (edit distance)', async () => {
    const bytes = await unetOf('uncond');
    for (const typo of [
      '/up_blocks.1/resnets.0/Add_1_output_',
      '/up_block.1/resnets.0/Add_1_output_0',
      '/up_blocks.1/resnets.0/Add_1_outpt_0',
    ]) {
      const e = await cutFailure(typo);
      expect(e.code).toBe('unknown-tensor');
      expect(e.message).toContain(`Unknown cut point unet.cache[1].tensor ${JSON.stringify(typo)}`);
      expect(e.message).toMatch(/Nearest names: "\/up_blocks\.1\/resnets\.0\/Add_1_output_0"/);
    }
    // cutUnet on its own names its argument
    expect(() => cutUnet(bytes, { output: 'eps', cacheTensors: ['/mid_block/resnets.1/Add_1_output_1'] })).toThrow(
      /Unknown cut point cacheTensors\[0\] .*Nearest names: "\/mid_block\/resnets\.1\/Add_1_output_0"/,
    );
    expect(() => cutUnet(bytes, { output: 'eps', cacheTensors: ['x_t'] })).toThrow(
      /Invalid cut point cacheTensors\[0\] "x_t": it is a graph input/,
    );
  });

  it('a cut whose partial step costs >= 95% of a full step loads with a warning', async () => {
    const manifest = await loadManifest(await editedExport('uncond'));
    const model = await openUncond([...manifest.unet.cache, { branch: 3, tensor: '/conv_in/Conv_output_0' }]);
    try {
      expect(model.unet.warnings).toHaveLength(2);
      expect(model.unet.warnings[0]).toMatch(
        /unet\.cache\[3\]\.tensor "\/conv_in\/Conv_output_0": a partial step of branch 3 costs 9\d\.\d% of a full step's MACs/,
      );
      // conv_in is the one reader of x_t: its output cached, the partial step never sees the new sample
      expect(model.unet.warnings[1]).toMatch(/branch 3 does not read the noisy sample \(x_t\), so a partial step ignores x_t\.$/);
    } finally {
      await model.dispose();
    }
  });
});

function firstInitializer(bytes: Uint8Array): string {
  const summary = inspectGraph(bytes);
  const used = new Set(summary.nodes.flatMap((n) => n.inputs));
  const produced = new Set(summary.nodes.flatMap((n) => n.outputs));
  const inputs = new Set(summary.inputs.map((i) => i.name));
  const init = [...used].find((n) => !produced.has(n) && !inputs.has(n) && n.includes('weight'));
  if (!init) throw new Error('no initializer found');
  return init;
}
