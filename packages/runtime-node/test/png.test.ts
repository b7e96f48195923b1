import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePng, saveImageGrid, saveSamplesAsPng } from '../src/index.js';

/** A minimal independent PNG reader: signature, chunk CRCs, IHDR, IDAT inflate, filter-0 rows. */
function decodePng(png: Uint8Array): { width: number; height: number; colorType: number; data: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  for (;;) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    let c = 0xffffffff;
    for (const b of png.subarray(o + 4, o + 8 + len)) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    expect(view.getUint32(o + 8 + len)).toBe((c ^ 0xffffffff) >>> 0);
    if (type === 'IHDR') {
      width = view.getUint32(o + 8);
      height = view.getUint32(o + 12);
      colorType = png[o + 17]!;
    }
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const ch = colorType === 0 ? 1 : colorType === 2 ? 3 : 4;
  const data = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * ch + 1)]).toBe(0);
    data.set(raw.subarray(y * (width * ch + 1) + 1, (y + 1) * (width * ch + 1)), y * width * ch);
  }
  return { width, height, colorType, data };
}

describe('PNG output', () => {
  it('encodes grey, RGB and RGBA images that an independent reader decodes', () => {
    for (const channels of [1, 3, 4] as const) {
      const data = Uint8Array.from({ length: 5 * 3 * channels }, (_, i) => (i * 37) % 256);
      const d = decodePng(encodePng({ width: 5, height: 3, channels, data }));
      expect(d).toEqual({ width: 5, height: 3, colorType: { 1: 0, 3: 2, 4: 6 }[channels], data });
    }
  });

  it('writes samples as files and grids with range and crop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flexi-png-'));
    // two 1×4×4 samples: -1 → 0, 1 → 255
    const samples = Float32Array.from({ length: 32 }, (_, i) => (i < 16 ? -1 : 1));
    const paths = await saveSamplesAsPng(dir, samples, [2, 1, 4, 4], { crop: { top: 1, left: 1, height: 2, width: 2 }, startIndex: 8 });
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['sample-0008.png', 'sample-0009.png']);
    const a = decodePng(new Uint8Array(await readFile(paths[0]!)));
    expect(a.width).toBe(2);
    expect([...a.data]).toEqual([0, 0, 0, 0]);
    expect([...decodePng(new Uint8Array(await readFile(paths[1]!))).data]).toEqual([255, 255, 255, 255]);
    await saveImageGrid(join(dir, 'grid.png'), samples, [2, 1, 4, 4], { columns: 2, padding: 1, background: 128 });
    const g = decodePng(new Uint8Array(await readFile(join(dir, 'grid.png'))));
    expect([g.width, g.height]).toEqual([2 * 4 + 3, 4 + 2]);
    expect(g.data[0]).toBe(128);
    expect(g.data[1 * g.width + 1]).toBe(0);
    expect(g.data[1 * g.width + 6]).toBe(255);
  });
});
