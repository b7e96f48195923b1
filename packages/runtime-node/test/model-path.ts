/**
 * Where the tests find the embedded Fashion-MNIST model: the one place to switch it.
 *
 * 1. `FLEXI_FASHION_MODEL_DIR` (a folder with model.json), else
 * 2. the `@flexiffusion/model-fashion` package (`loadModel('fashion')`), which is committed: a
 *    checkout without it fails loudly (resolveModelDir throws) rather than skipping the tests.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveModelDir } from '../src/index.js';

export const FASHION_CACHE = [
  '/up_blocks.1/upsamplers.0/conv/Conv_output_0',
  '/up_blocks.0/upsamplers.0/conv/Conv_output_0',
  '/mid_block/resnets.1/Add_1_output_0',
];

export async function fashionModelDir(): Promise<string> {
  return process.env['FLEXI_FASHION_MODEL_DIR'] ?? resolveModelDir('fashion');
}

/** The stand-in models of @flexiffusion/runtime's tests. */
export const STAND_INS = new URL('../../runtime/test/fixtures/stand-ins/', import.meta.url).pathname;

/** The export.json (PyTorch check values written by tools/model-fashion/export.py) in `dir`, if any. */
export async function fashionExportInfo(dir: string): Promise<string | null> {
  return existsSync(join(dir, 'export.json')) ? join(dir, 'export.json') : null;
}
