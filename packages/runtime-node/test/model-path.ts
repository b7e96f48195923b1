/**
 * Where the tests find the embedded Fashion-MNIST model: the one place to switch it.
 *
 * 1. `FLEXI_FASHION_MODEL_DIR` (a folder with model.json), else
 * 2. the `@flexiffusion/model-fashion` package (`loadModel('fashion')`), else
 * 3. the early development export at /tmp/early-model/unet.onnx, wrapped in a temporary folder
 *    with a manifest written here, else
 * 4. none: the fashion tests are skipped (the stand-in tests still run).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModelDir } from '../src/index.js';

export const EARLY_UNET = '/tmp/early-model/unet.onnx';

export const FASHION_CACHE = [
  '/up_blocks.1/upsamplers.0/conv/Conv_output_0',
  '/up_blocks.0/upsamplers.0/conv/Conv_output_0',
  '/mid_block/resnets.1/Add_1_output_0',
];

export async function fashionModelDir(): Promise<string | null> {
  const env = process.env['FLEXI_FASHION_MODEL_DIR'];
  if (env) return env;
  try {
    return resolveModelDir('fashion');
  } catch {
    // not there yet
  }
  if (!existsSync(EARLY_UNET)) return null;
  const dir = await mkdtemp(join(tmpdir(), 'flexi-fashion-'));
  await symlink(EARLY_UNET, join(dir, 'unet.onnx'));
  await writeFile(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 1,
      name: 'fashion-early',
      family: 'class-conditional',
      unet: {
        file: 'unet.onnx',
        inputs: { sample: 'sample', timestep: 'timestep', classLabels: 'class_labels' },
        output: 'noise_pred',
        sampleShape: [1, 32, 32],
        prediction: 'epsilon',
        cache: FASHION_CACHE.map((tensor, branch) => ({ branch, tensor })),
      },
      scheduler: { trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 },
      conditioning: { numClasses: 10, unconditionalLabel: 10, defaultGuidanceScale: 2 },
      image: { range: [-1, 1], crop: { top: 2, left: 2, height: 28, width: 28 } },
    }),
  );
  return dir;
}

/** The stand-in models of @flexiffusion/runtime's tests. */
export const STAND_INS = new URL('../../runtime/test/fixtures/stand-ins/', import.meta.url).pathname;

/**
 * The export.json (PyTorch check values) that belongs to the model in `dir`, if any: the folder's
 * own, or the early export's when the folder wraps it.
 */
export async function fashionExportInfo(dir: string): Promise<string | null> {
  if (existsSync(join(dir, 'export.json'))) return join(dir, 'export.json');
  const unet = await realpath(join(dir, 'unet.onnx')).catch(() => '');
  if (unet === EARLY_UNET && existsSync('/tmp/early-model/export.json')) return '/tmp/early-model/export.json';
  return null;
}
