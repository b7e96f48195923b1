import { describe, expect, it } from 'vitest';
import { countMacs, prepareUnet } from '../src/index.js';
import { fixtureBytes, ort, sessions } from './helpers.js';

describe('countMacs', () => {
  it('counts Conv, ConvTranspose, Gemm and MatMul per sample (hand-computed reference)', async () => {
    const bytes = await fixtureBytes('graphs/mac-ops.onnx');
    // Conv: out 4×8×8, C·k = 3·3·3 → 256·27 = 6912; ConvTranspose: in 4×8×8 · (2·2·2) = 2048;
    // Gemm: [1,512]·[512,10] = 5120; MatMul: [1,5,2]·[2,3] = 30.
    const expected = { conv: 6912, convt: 2048, gemm: 5120, matmul: 30 };
    for (const batch of [1, 3]) {
      const image = new ort.Tensor('float32', new Float32Array(batch * 192).fill(0.5), [batch, 3, 8, 8]);
      const count = await countMacs(bytes, { sessions, feeds: { image } });
      expect(Object.fromEntries(count.nodes.map((n) => [n.name, n.macs]))).toEqual(expected);
      expect(count.total).toBe(6912 + 2048 + 5120 + 30);
      expect(count.uncounted).toEqual([]);
    }
  });

  it("fills the schedule package's cost profile of the stand-in UNet", async () => {
    const bytes = await fixtureBytes('tiny-unet/unet.onnx');
    const manifest = JSON.parse(new TextDecoder().decode(await fixtureBytes('tiny-unet/model.json'))) as {
      unet: { cache: { tensor: string }[] };
    };
    const unet = await prepareUnet({
      model: bytes,
      output: 'noise_pred',
      cacheTensors: manifest.unet.cache.map((c) => c.tensor),
      sessions,
      probeFeeds: {
        sample: new ort.Tensor('float32', new Float32Array(256), [1, 1, 16, 16]),
        timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
        class_labels: new ort.Tensor('int64', BigInt64Array.from([10n]), [1]),
      },
    });
    try {
      const { fullMacs, partialMacs } = unet.costProfile;
      expect(partialMacs).toHaveLength(3);
      expect(0).toBeLessThan(partialMacs[0]!);
      expect(partialMacs[0]!).toBeLessThan(partialMacs[1]!);
      expect(partialMacs[1]!).toBeLessThan(partialMacs[2]!);
      expect(partialMacs[2]!).toBeLessThan(fullMacs);
      // conv_in alone: 16×16 outputs × 8 channels × (1·3·3) = 18432 MACs, in every graph
      const convIn = unet.macs.nodes.find((n) => n.name === '/conv_in/Conv')!;
      expect(convIn.macs).toBe(16 * 16 * 8 * 9);
      expect(unet.cacheInfo.map((c) => c.dims)).toEqual([
        [1, 16, 16, 16],
        [1, 16, 8, 8],
        [1, 16, 4, 4],
      ]);
    } finally {
      await unet.dispose();
    }
  });
});
