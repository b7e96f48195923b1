// A resumable on-disk cache of generated samples' features for the long benchmarks: for each
// (model, schedule, sampler settings) it keeps feature chunks of CHUNK consecutive seeds, so an
// interrupted run — or one spread over several sessions — loses at most one chunk.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSchedule } from '@flexiffusion/schedule';

export const CHUNK = 100;

export function cacheKey(parts) {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

/**
 * Features (and logits) of samples seeds [0, count) for a schedule, generating the missing chunks.
 * Labels are balanced: seed i gets label i mod numClasses. Returns Float32Arrays and timing of what
 * was generated in this call.
 */
export async function cachedFeatures({ dir, model, extractor, schedule, count, settings, logitsName, onChunk }) {
  const key = cacheKey({ unet: model.manifest.unet.sha256, schedule: formatSchedule(schedule), settings, chunk: CHUNK, extractor: extractor.id });
  const folder = join(dir, key);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'key.json'), JSON.stringify({ schedule: formatSchedule(schedule), settings }, null, 2));
  const dim = extractor.dim;
  const numClasses = model.manifest.conditioning?.numClasses ?? 0;
  const features = new Float32Array(count * dim);
  const logits = numClasses > 0 ? new Float32Array(count * numClasses) : undefined;
  let genMs = 0;
  let generated = 0;
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const file = join(folder, `chunk-${String(start / CHUNK).padStart(5, '0')}.bin`);
    let bytes;
    if (existsSync(file)) bytes = await readFile(file);
    if (!bytes || bytes.length !== CHUNK * (dim + numClasses) * 4) {
      const seeds = Array.from({ length: CHUNK }, (_, i) => start + i);
      const labels = numClasses > 0 ? seeds.map((s) => s % numClasses) : undefined;
      const t0 = performance.now();
      const r = await model.generate({ schedule, seeds, ...(labels ? { labels } : { count: CHUNK }), ...settings });
      genMs += performance.now() - t0;
      generated += CHUNK;
      const outs = await extractor.run(r.samples, r.shape, logits ? [extractor.spec.output, logitsName] : [extractor.spec.output]);
      const f = outs[extractor.spec.output].data;
      const buf = new Float32Array(CHUNK * (dim + numClasses));
      buf.set(f, 0);
      if (logits) buf.set(outs[logitsName].data, CHUNK * dim);
      bytes = Buffer.from(buf.buffer);
      await writeFile(`${file}.tmp`, bytes);
      await rename(`${file}.tmp`, file);
      onChunk?.(start + CHUNK, count);
    }
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    features.set(all.subarray(0, n * dim), start * dim);
    if (logits) logits.set(all.subarray(CHUNK * dim, CHUNK * dim + n * numClasses), start * numClasses);
  }
  return { features, logits, genMs, generated };
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a, b) {
  const rank = (xs) => {
    const idx = xs.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array(xs.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}
