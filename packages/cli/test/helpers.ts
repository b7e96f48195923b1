import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/flexi.js', import.meta.url));
/** The model the e2e tests use: the embedded one, or FLEXI_TEST_MODEL for development. */
export const MODEL = process.env['FLEXI_TEST_MODEL'] ?? 'fashion';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built `flexi` binary. */
export function flexi(
  args: string[],
  options: { cwd?: string; killWhen?: (stderr: string) => boolean; signal?: NodeJS.Signals } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && options.killWhen?.(stderr)) {
        killed = true;
        child.kill(options.signal ?? 'SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const fixtures = (p: string) => fileURLToPath(new URL(`../../runtime/test/fixtures/${p}`, import.meta.url));
const metricsFixture = (p: string) => fileURLToPath(new URL(`../../metrics/test/fixtures/onnx/${p}`, import.meta.url));

/** The small models of the e2e tests, one per family (random weights: they test plumbing, not images). */
export const MODELS = {
  /** A Stable Diffusion 1.x ONNX export folder as diffusers writes it (text-to-image, latent). */
  sd: fixtures('exports/sd15'),
  /** An unconditional pixel UNet export with its own tensor names (model.json beside it). */
  uncond: fixtures('exports/uncond'),
  /** An unconditional latent model (UNet + VAE decoder). */
  ldm: fixtures('stand-ins/ldm'),
  /** A class-conditional pixel UNet (10 classes). */
  tiny: fixtures('stand-ins/tiny-unet'),
} as const;

/** pytorch-fid Inception's interface (images [B,3,299,299] -> pool3 [B,2048,1,1]), random weights. */
export const INCEPTION = metricsFixture('inception-standin.onnx');

/**
 * A `--clip` folder in `dir`: CLIP's two encoders' interfaces (16-d embeddings, random weights) and a
 * tokenizer whose ids fit the stand-in text encoder's 50-row table (single letters, no merges).
 */
export function makeClipDir(dir: string): string {
  mkdirSync(join(dir, 'tokenizer'), { recursive: true });
  copyFileSync(metricsFixture('clip-image-standin.onnx'), join(dir, 'image_encoder.onnx'));
  copyFileSync(metricsFixture('clip-text-standin.onnx'), join(dir, 'text_encoder.onnx'));
  const vocab: Record<string, number> = {};
  [...'abcdefghijklmnopqrstuvwxyz'].forEach((c, i) => (vocab[c] = i));
  [...'abcdefghijklmnopqrstuv'].forEach((c, i) => (vocab[`${c}</w>`] = 26 + i));
  vocab['<|startoftext|>'] = 48;
  vocab['<|endoftext|>'] = 49;
  writeFileSync(join(dir, 'tokenizer', 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'tokenizer', 'merges.txt'), '#version: 0.2\n');
  return dir;
}

/** A fresh temporary folder. */
export const tmp = (): string => mkdtempSync(join(tmpdir(), 'flexi-cli-'));
