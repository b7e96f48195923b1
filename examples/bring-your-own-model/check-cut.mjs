// check-cut.mjs DIR — does each partial graph reproduce the full graph's output from its cache?
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { inspectGraph, prepareUnet } from '@flexiffusion/runtime';
import { cpuBackend } from '@flexiffusion/runtime-node';

const dir = process.argv[2];
const m = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
const u = m.unet;
const bytes = new Uint8Array(await readFile(join(dir, u.file)));
const declared = new Map(inspectGraph(bytes).inputs.map((i) => [i.name, i]));
const n = 2; // batch

// a deterministic input of the declared type; symbolic dims become n (batch) or `fallback`
function input(name, dims, value) {
  const type = declared.get(name)?.type ?? 'float32';
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: size }, (_, i) => value(i));
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(data.map(Math.round), BigInt), dims);
  if (type === 'int32') return new Tensor('int32', Int32Array.from(data, Math.round), dims);
  return new Tensor('float32', Float32Array.from(data), dims);
}
const feeds = {
  [u.inputs.sample]: input(u.inputs.sample, [n, ...u.sampleShape], (i) => Math.sin(i)),
  [u.inputs.timestep]: input(u.inputs.timestep, [n], () => 500),
};
if (u.inputs.classLabels) feeds[u.inputs.classLabels] = input(u.inputs.classLabels, [n], (i) => i + 1);
if (u.inputs.encoderHiddenStates) {
  const dims = declared.get(u.inputs.encoderHiddenStates)?.dims ?? [];
  const [L, d] = [dims[1], dims[2]].map((v, k) => (typeof v === 'number' ? v : [77, 768][k])); // SD 1.x: 77 × 768
  feeds[u.inputs.encoderHiddenStates] = input(u.inputs.encoderHiddenStates, [n, L, d], (i) => Math.cos(i) / 10);
}

const { sessions } = await cpuBackend().init(); // proves onnxruntime-node's CPU provider runs a graph
const unet = await prepareUnet({
  model: bytes,
  output: u.output,
  cacheTensors: u.cache.map((c) => c.tensor),
  sessions,
  probeFeeds: feeds,
});
console.log('cost profile (MACs per sample):', unet.costProfile);
const full = await unet.runFull(feeds);
const ref = full.output.data;
for (let b = 0; b < unet.branches; b++) {
  const out = (await unet.runPartial(b, feeds, full.caches[b])).data;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(out[i] - ref[i]));
  const { name, dims } = unet.cacheInfo[b];
  const ratio = unet.costProfile.partialMacs[b] / unet.costProfile.fullMacs;
  console.log(`branch ${b}: ${name} [${dims}]  ${ratio.toFixed(3)} of full MACs, max |partial − full| = ${diff.toExponential(2)}`);
}
await unet.dispose();
