import { beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError, addGraphOutputs, cutUnet, extractSubgraph, inspectGraph } from '../src/index.js';
import { fixtureBytes, maxAbsDiff, ort, sessions } from './helpers.js';

const CACHE = [
  '/up_blocks.1/upsamplers.0/conv/Conv_output_0',
  '/up_blocks.0/upsamplers.0/conv/Conv_output_0',
  '/mid_block/resnets.1/Add_output_0',
];

function unetFeeds(batch: number): Record<string, ort.Tensor> {
  const x = Float32Array.from({ length: batch * 256 }, (_, i) => Math.sin(i * 0.37) * 1.5);
  return {
    sample: new ort.Tensor('float32', x, [batch, 1, 16, 16]),
    timestep: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: batch }, (_, i) => BigInt(900 - 300 * i)),
      [batch],
    ),
    class_labels: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: batch }, (_, i) => BigInt((3 * i) % 11)),
      [batch],
    ),
  };
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await sessions.create(model);
  try {
    const wanted: Record<string, ort.Tensor> = {};
    for (const n of s.inputNames) wanted[n] = feeds[n]!;
    return (await s.run(wanted)) as Record<string, ort.Tensor>;
  } finally {
    await s.release();
  }
}

describe('cutUnet on the tiny stand-in UNet', () => {
  let bytes: Uint8Array;
  let cache: string[];
  beforeAll(async () => {
    bytes = await fixtureBytes('tiny-unet/unet.onnx');
    const manifest = JSON.parse(new TextDecoder().decode(await fixtureBytes('tiny-unet/model.json'))) as {
      unet: { cache: { tensor: string }[] };
    };
    cache = manifest.unet.cache.map((c) => c.tensor);
    expect(cache).toEqual([CACHE[0], CACHE[1], expect.stringMatching(/^\/mid_block\//)]);
  });

  it('keeps the numerics of the full graph and exposes every cache tensor', async () => {
    const feeds = unetFeeds(2);
    const reference = (await run(bytes, feeds))['noise_pred']!;
    const cut = cutUnet(bytes, {
      output: 'noise_pred',
      cacheTensors: cache,
      cacheTypes: Object.fromEntries(cache.map((c) => [c, { type: 'float32', dims: [2, 16, 4, 4] }])),
    });
    const full = await run(cut.full, feeds);
    expect(maxAbsDiff(full['noise_pred']!.data as Float32Array, reference.data as Float32Array)).toBe(0);
    for (const c of cache) expect(full[c]!.dims[0]).toBe(2);
  });

  it("each partial graph fed the full graph's cache tensor reproduces the full graph's noise_pred", async () => {
    const feeds = unetFeeds(3);
    const exposed = await run(addGraphOutputs(bytes, cache), feeds);
    const cut = cutUnet(bytes, {
      output: 'noise_pred',
      cacheTensors: cache,
      cacheTypes: Object.fromEntries(cache.map((c) => [c, { type: 'float32', dims: exposed[c]!.dims as number[] }])),
    });
    const nodeCount = inspectGraph(bytes).nodes.length;
    let previous = 0;
    for (let b = 0; b < cache.length; b++) {
      const partialFeeds = { ...feeds, [cache[b]!]: exposed[cache[b]!]! };
      const out = (await run(cut.partials[b]!, partialFeeds))['noise_pred']!;
      expect(maxAbsDiff(out.data as Float32Array, exposed['noise_pred']!.data as Float32Array)).toBeLessThan(1e-5);
      const summary = inspectGraph(cut.partials[b]!);
      expect(summary.inputs.map((i) => i.name)).toEqual(['sample', 'timestep', 'class_labels', cache[b]]);
      expect(summary.outputs).toEqual(['noise_pred']);
      // deeper branches keep more of the network, never all of it
      expect(cut.partialNodes[b]!.length).toBeGreaterThan(previous);
      expect(cut.partialNodes[b]!.length).toBeLessThan(nodeCount);
      previous = cut.partialNodes[b]!.length;
      // no mid-block node survives in a partial graph
      expect(summary.nodes.some((n) => n.name.startsWith('/mid_block/'))).toBe(false);
    }
  });

  it('names similar tensors for an unknown cut point and rejects a cut off the output path', () => {
    expect(() => cutUnet(bytes, { output: 'noise_pred', cacheTensors: ['/up_blocks.1/upsamplers.0/conv/Conv_output_9'] })).toThrow(
      /Unknown cut point cacheTensors\[0\] "\/up_blocks.1\/upsamplers.0\/conv\/Conv_output_9".*Nearest names: "\/up_blocks.1\/upsamplers.0\/conv\/Conv_output_0"/,
    );
    expect(() => cutUnet(bytes, { output: 'nope', cacheTensors: cache })).toThrow(/no output "nope". Should be one of: "noise_pred"/);
    try {
      cutUnet(bytes, { output: 'noise_pred', cacheTensors: [cache[0]!] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      expect((e as RuntimeError).code).toBe('invalid-cut'); // no value_info and no cacheTypes
    }
  });
});

describe('extractSubgraph with If subgraphs', () => {
  let bytes: Uint8Array;
  const feeds = (cond: boolean): Record<string, ort.Tensor> => ({
    x: new ort.Tensor('float32', Float32Array.from([-1.5, 2]), [2]),
    cond: new ort.Tensor('bool', Uint8Array.from([cond ? 1 : 0]), []),
  });
  beforeAll(async () => {
    bytes = await fixtureBytes('graphs/if-subgraph.onnx');
  });

  it('keeps nodes consumed only inside If branches, drops unused nodes, initializers and outputs', async () => {
    const ex = extractSubgraph(bytes, ['y'], { c_neg: { type: 'float32', dims: [2] } });
    const s = inspectGraph(ex.model);
    expect(s.nodes.map((n) => n.name)).toEqual(['make_a', 'make_b', 'make_k', 'the_if', 'make_y']);
    expect(s.inputs.map((i) => i.name)).toEqual(['x', 'cond', 'c_neg']);
    expect(s.initializers).toBe(3); // one, two, three; unused_weight dropped
    for (const cond of [true, false]) {
      const exposed = await run(addGraphOutputs(bytes, ['c_neg']), feeds(cond));
      const out = await run(ex.model, { ...feeds(cond), c_neg: exposed['c_neg']! });
      expect(maxAbsDiff(out['y']!.data as Float32Array, exposed['y']!.data as Float32Array)).toBe(0);
    }
  });

  it('stops at a cut tensor read only from inside a subgraph', async () => {
    const ex = extractSubgraph(bytes, ['y'], { k: { type: 'float32' } });
    expect(inspectGraph(ex.model).nodes.map((n) => n.name)).toEqual(['make_a', 'make_b', 'make_c', 'make_c_neg', 'the_if', 'make_y']);
    const exposed = await run(addGraphOutputs(bytes, ['k']), feeds(true));
    const out = await run(ex.model, { ...feeds(true), k: exposed['k']! });
    expect(maxAbsDiff(out['y']!.data as Float32Array, exposed['y']!.data as Float32Array)).toBe(0);
  });

  it('drops a graph input nothing uses any more', () => {
    const ex = extractSubgraph(bytes, ['side'], { c_neg: { type: 'float32' } });
    expect(inspectGraph(ex.model).inputs.map((i) => i.name)).toEqual(['c_neg']);
    expect(ex.inputs).toEqual([]);
  });

  it('rejects a cut tensor the outputs do not need', () => {
    expect(() => extractSubgraph(bytes, ['side'], { k: { type: 'float32' } })).toThrow(/Cut tensor "k" is not needed to compute "side"/);
  });
});
