// Where the browser tests, the bench and the demo find the embedded Fashion-MNIST model — the same
// order as runtime-node's test/model-path.ts:
// 1. FLEXI_FASHION_MODEL_DIR (a folder with model.json), else
// 2. packages/model-fashion/model/ (the @flexiffusion/model-fashion package), else
// 3. the early development export /tmp/early-model/unet.onnx, wrapped in a temporary folder with a
//    manifest written here, else
// 4. null.
import { existsSync } from 'node:fs';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EARLY_UNET = '/tmp/early-model/unet.onnx';
export const EMBEDDED_DIR = fileURLToPath(new URL('../../model-fashion/model/', import.meta.url));

export const EARLY_MANIFEST = Object.freeze({
  format: 1,
  name: 'fashion-early',
  family: 'class-conditional',
  unet: {
    file: 'unet.onnx',
    inputs: { sample: 'sample', timestep: 'timestep', classLabels: 'class_labels' },
    output: 'noise_pred',
    sampleShape: [1, 32, 32],
    prediction: 'epsilon',
    cache: [
      '/up_blocks.1/upsamplers.0/conv/Conv_output_0',
      '/up_blocks.0/upsamplers.0/conv/Conv_output_0',
      '/mid_block/resnets.1/Add_1_output_0',
    ].map((tensor, branch) => ({ branch, tensor })),
  },
  scheduler: { trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 },
  conditioning: {
    numClasses: 10,
    unconditionalLabel: 10,
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    defaultGuidanceScale: 2,
  },
  image: { range: [-1, 1], crop: { top: 2, left: 2, height: 28, width: 28 } },
});

let early;

/**
 * The fashion model folder, or null when there is none.
 * @returns {Promise<{ dir: string, source: 'env' | 'embedded' | 'early' } | null>}
 */
export async function fashionModel() {
  const env = process.env['FLEXI_FASHION_MODEL_DIR'];
  if (env) return { dir: env, source: 'env' };
  if (existsSync(join(EMBEDDED_DIR, 'model.json'))) return { dir: EMBEDDED_DIR, source: 'embedded' };
  if (!existsSync(EARLY_UNET)) return null;
  early ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flexi-fashion-web-'));
    await symlink(EARLY_UNET, join(dir, 'unet.onnx'));
    await writeFile(join(dir, 'model.json'), JSON.stringify(EARLY_MANIFEST));
    return dir;
  })();
  return { dir: await early, source: 'early' };
}
