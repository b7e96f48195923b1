// A resumable on-disk cache of generated samples' features for the long benchmarks: for each
// (model, schedule, sampler settings) it keeps feature chunks of CHUNK consecutive seeds, so an
// interrupted run — or one spread over several sessions — loses at most one chunk.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
 *
 * Text-to-image models: `conditioning(seeds)` returns the request's conditions (e.g. `{ prompts }`)
 * and `numClasses` the number of logits kept (the feature network's classes; the model has none).
 * `extras` adds per-sample outputs computed from each generated chunk: `{ name, size, compute(r,
 * seeds) → Float32Array(seeds.length × size) }`; they are stored after the logits and returned in
 * `extras[name]`. Both enter the cache key only when given (`conditioningId` names the conditions).
 */
export async function cachedFeatures({
  dir,
  model,
  extractor,
  schedule,
  count,
  settings,
  logitsName,
  onChunk,
  conditioning,
  conditioningId,
  numClasses: classesOption,
  extras = [],
}) {
  const key = cacheKey({
    unet: model.manifest.unet.sha256,
    schedule: formatSchedule(schedule),
    settings,
    chunk: CHUNK,
    extractor: extractor.id,
    ...(conditioning ? { conditioning: conditioningId } : {}),
    ...(extras.length > 0 ? { extras: extras.map((e) => [e.name, e.size]) } : {}),
  });
  const folder = join(dir, key);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'key.json'), JSON.stringify({ schedule: formatSchedule(schedule), settings }, null, 2));
  const dim = extractor.dim;
  const numClasses = classesOption ?? model.manifest.conditioning?.numClasses ?? 0;
  const features = new Float32Array(count * dim);
  const logits = numClasses > 0 ? new Float32Array(count * numClasses) : undefined;
  const extraOut = Object.fromEntries(extras.map((e) => [e.name, new Float32Array(count * e.size)]));
  const extraWidth = extras.reduce((s, e) => s + e.size, 0);
  let genMs = 0;
  let generated = 0;
  const chunkBytes = CHUNK * (dim + numClasses + extraWidth) * 4;
  const fileOf = (start) => join(folder, `chunk-${String(start / CHUNK).padStart(5, '0')}.bin`);
  const cached = async (start) => {
    const file = fileOf(start);
    if (!existsSync(file)) return undefined;
    const bytes = await readFile(file);
    return bytes.length === chunkBytes ? bytes : undefined;
  };
  // Generates one chunk unless another process holds its lock (then returns undefined).
  const generate = async (start) => {
    const file = fileOf(start);
    if (!(await claim(`${file}.lock`))) return undefined;
    try {
      const again = await cached(start);
      if (again) return again;
      const seeds = Array.from({ length: CHUNK }, (_, i) => start + i);
      const labels = numClasses > 0 ? seeds.map((s) => s % numClasses) : undefined;
      const condition = conditioning ? conditioning(seeds) : labels ? { labels } : { count: CHUNK };
      const t0 = performance.now();
      const r = await model.generate({ schedule, seeds, ...condition, ...settings });
      genMs += performance.now() - t0;
      generated += CHUNK;
      const outs = await extractor.run(r.samples, r.shape, logits ? [extractor.spec.output, logitsName] : [extractor.spec.output]);
      const buf = new Float32Array(CHUNK * (dim + numClasses + extraWidth));
      buf.set(outs[extractor.spec.output].data, 0);
      if (logits) buf.set(outs[logitsName].data, CHUNK * dim);
      let at = CHUNK * (dim + numClasses);
      for (const e of extras) {
        buf.set(await e.compute(r, seeds), at);
        at += CHUNK * e.size;
      }
      const bytes = Buffer.from(buf.buffer);
      await writeFile(`${file}.tmp.${process.pid}`, bytes);
      await rename(`${file}.tmp.${process.pid}`, file);
      onChunk?.(start + CHUNK, count);
      return bytes;
    } finally {
      await rm(`${file}.lock`, { force: true });
    }
  };
  const place = (start, bytes) => {
    const n = Math.min(CHUNK, count - start);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    features.set(all.subarray(0, n * dim), start * dim);
    if (logits) logits.set(all.subarray(CHUNK * dim, CHUNK * dim + n * numClasses), start * numClasses);
    let at = CHUNK * (dim + numClasses);
    for (const e of extras) {
      extraOut[e.name].set(all.subarray(at, at + n * e.size), start * e.size);
      at += CHUNK * e.size;
    }
  };
  // Several processes may fill the same cache (e.g. the headline and rank benches side by side):
  // each takes the chunks nobody else is generating, then waits for the rest.
  let pending = [];
  for (let start = 0; start < count; start += CHUNK) {
    const bytes = (await cached(start)) ?? (await generate(start));
    if (bytes) place(start, bytes);
    else pending.push(start);
  }
  while (pending.length > 0) {
    await new Promise((r) => setTimeout(r, 2000));
    const still = [];
    for (const start of pending) {
      const bytes = (await cached(start)) ?? (await generate(start));
      if (bytes) place(start, bytes);
      else still.push(start);
    }
    pending = still;
  }
  return { features, logits, extras: extraOut, genMs, generated };
}

/** Takes a lock file; a lock whose process is gone is stale and taken over. */
async function claim(lock) {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(lock, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return true;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
      let alive = pid > 0;
      if (alive) {
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
      }
      if (alive) return false;
      await rm(lock, { force: true });
    }
  }
  return false;
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
