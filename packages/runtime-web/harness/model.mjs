// Where the browser tests, the bench and the demo find the embedded Fashion-MNIST model — the same
// order as runtime-node's test/model-path.ts:
// 1. FLEXI_FASHION_MODEL_DIR (a folder with model.json), else
// 2. packages/model-fashion/model/ (the @flexiffusion/model-fashion package, committed).
// A checkout without the embedded model fails loudly rather than skipping the browser tests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EMBEDDED_DIR = fileURLToPath(new URL('../../model-fashion/model/', import.meta.url));

/**
 * The fashion model folder.
 * @returns {Promise<{ dir: string, source: 'env' | 'embedded' }>}
 */
export async function fashionModel() {
  const env = process.env['FLEXI_FASHION_MODEL_DIR'];
  if (env) return { dir: env, source: 'env' };
  if (existsSync(join(EMBEDDED_DIR, 'model.json'))) return { dir: EMBEDDED_DIR, source: 'embedded' };
  throw new Error(`The embedded Fashion-MNIST model is missing: no model.json in ${EMBEDDED_DIR} (a broken checkout?).`);
}

export const EMBEDDED_SD_DIR = fileURLToPath(new URL('../../model-fashion-sd/model/', import.meta.url));

/**
 * The text-to-image model folder (optimum layout with a model.json overlay):
 * FLEXI_FASHION_SD_MODEL_DIR, else packages/model-fashion-sd/model/.
 * @returns {Promise<{ dir: string, source: 'env' | 'embedded' }>}
 */
export async function fashionSdModel() {
  const env = process.env['FLEXI_FASHION_SD_MODEL_DIR'];
  if (env) return { dir: env, source: 'env' };
  if (existsSync(join(EMBEDDED_SD_DIR, 'model_index.json'))) return { dir: EMBEDDED_SD_DIR, source: 'embedded' };
  throw new Error(`The embedded text-to-image model is missing: no model_index.json in ${EMBEDDED_SD_DIR} (a broken checkout?).`);
}
