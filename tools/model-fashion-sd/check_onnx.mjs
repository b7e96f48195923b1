// Run every ONNX file of an export with onnxruntime-node on the inputs in check.json and compare
// with the PyTorch outputs that export.py wrote there.
//   node tools/model-fashion-sd/check_onnx.mjs /tmp/fsd-export [tolerance=1e-4]
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ort = require(resolve(here, '../../node_modules/onnxruntime-node'));
const dir = process.argv[2];
const tol = Number(process.argv[3] ?? 1e-4);
const check = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8'));
const ctor = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array };
let worst = 0;
let fail = false;
for (const [name, c] of Object.entries(check)) {
  const session = await ort.InferenceSession.create(join(dir, name, 'model.onnx'));
  const feeds = {};
  for (const [k, v] of Object.entries(c.inputs)) {
    const data = v.type === 'int64' ? BigInt64Array.from(v.data.map((x) => BigInt(x))) : ctor[v.type].from(v.data);
    feeds[k] = new ort.Tensor(v.type, data, v.dims);
  }
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  for (const [k, want] of Object.entries(c.outputs)) {
    const got = out[k].data;
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < want.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
    }
    const ok = got.length === want.length && maxAbs <= tol * Math.max(1, maxRef);
    if (!ok) fail = true;
    worst = Math.max(worst, maxAbs);
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${name} ${k} [${out[k].dims}] max|diff| ${maxAbs.toExponential(2)} (max|ref| ${maxRef.toFixed(3)}) ${ms.toFixed(1)} ms`,
    );
  }
  console.log(`     inputs ${session.inputNames.join(', ')} -> outputs ${session.outputNames.join(', ')}`);
}
console.log(fail ? 'MISMATCH' : `all outputs match PyTorch (worst max|diff| ${worst.toExponential(2)})`);
process.exit(fail ? 1 : 0);
