#!/usr/bin/env node
// Fill packages/model-fashion-sd/model/ from an export (export.py --out DIR): the optimum layout as
// it is, the judge CLIP, the attribute rules and provenance, the pixel model's feature network and
// test statistics (the same FID space as model-fashion), the default prompts, and a model.json with
// only what the layout cannot say. Written into a temp folder, then swapped in.
//
//   node tools/model-fashion-sd/package.mjs /tmp/fsd-export packages/model-fashion-sd/model --guidance 3
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [src, dest, ...rest] = process.argv.slice(2);
if (!src || !dest) {
  console.error('usage: node tools/model-fashion-sd/package.mjs EXPORT_DIR MODEL_DIR [--guidance G]');
  process.exit(2);
}
const gi = rest.indexOf('--guidance');
const guidance = gi >= 0 ? Number(rest[gi + 1]) : 3;
if (!(guidance >= 1)) throw new Error(`--guidance ${rest[gi + 1]}: expected a number >= 1`);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pixel = join(repo, 'packages', 'model-fashion', 'model');
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const json = (f) => JSON.parse(readFileSync(f, 'utf8'));

const tmp = `${resolve(dest)}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
for (const part of ['model_index.json', 'scheduler', 'unet', 'text_encoder', 'tokenizer', 'vae_encoder', 'vae_decoder', 'clip']) {
  cpSync(join(src, part), join(tmp, part), { recursive: true });
}
for (const f of ['attributes.json', 'attributes-check.json', 'provenance.json']) cpSync(join(src, f), join(tmp, f));
for (const f of ['features.onnx', 'test-stats.bin']) cpSync(join(pixel, f), join(tmp, f));
const prompts = join(resolve(dest), 'prompts.json');
if (!existsSync(prompts)) throw new Error(`${prompts} is missing: run node tools/model-fashion-sd/make_prompts.mjs ${prompts}`);
cpSync(prompts, join(tmp, 'prompts.json'));

const prov = json(join(src, 'provenance.json'));
const pixelManifest = json(join(pixel, 'model.json'));
const cache = Object.entries(prov.unet.cacheTensors)
  .sort(([a], [b]) => Number(a) - Number(b))
  .map(([branch, tensor]) => ({ branch: Number(branch), tensor }));
const manifest = {
  $schema: '../../runtime/model.schema.json',
  format: 1,
  name: 'fashion-sd',
  description:
    'A small text-to-image latent diffusion model with Stable Diffusion\'s architecture and optimum ONNX layout, trained on Fashion-MNIST with attribute captions ("a photo of a dark sneaker"). Everything else comes from the export files.',
  unet: { sha256: sha(join(tmp, 'unet', 'model.onnx')), cache },
  textEncoder: { sha256: sha(join(tmp, 'text_encoder', 'model.onnx')) },
  vae: { sha256: sha(join(tmp, 'vae_decoder', 'model.onnx')) },
  conditioning: { defaultGuidanceScale: guidance },
  image: { range: [-1, 1], crop: { top: 2, left: 2, height: 28, width: 28 } },
  featureNetwork: { ...pixelManifest.featureNetwork },
  referenceStats: { ...pixelManifest.referenceStats },
  evaluation: {
    prompts: { file: 'prompts.json', sha256: sha(join(tmp, 'prompts.json')), count: json(join(tmp, 'prompts.json')).length },
    clip: 'clip',
    attributes: { file: 'attributes.json', sha256: sha(join(tmp, 'attributes.json')) },
  },
  provenance: {
    recipe: 'tools/model-fashion-sd (README.md: rules, commands)',
    file: 'provenance.json',
    provenanceSha256: sha(join(tmp, 'provenance.json')),
    exported: prov.exported,
    steps: Object.fromEntries(Object.entries(prov.stages).map(([k, v]) => [k, `${v.step}/${v.total_steps}`])),
    featureNetwork: "features.onnx and test-stats.bin are @flexiffusion/model-fashion's (the same FID space)",
    cacheBranches:
      'the three cut points of export.py (up_blocks.1, up_blocks.0, mid_block); the derived fourth (up_blocks.2, 0.2% of the MACs) is left out',
  },
};
writeFileSync(join(tmp, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const old = `${resolve(dest)}.old-${process.pid}`;
if (existsSync(dest)) renameSync(dest, old);
renameSync(tmp, dest);
rmSync(old, { recursive: true, force: true });
console.log(`wrote ${dest} (guidance ${guidance})`);
