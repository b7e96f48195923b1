#!/usr/bin/env node
// The default prompt set of model-fashion-sd: 20 prompts per class, every class × brightness ×
// size combination, in the caption templates the model was trained on (captions.py), class-interleaved.
//   node tools/model-fashion-sd/make_prompts.mjs packages/model-fashion-sd/model/prompts.json
import { renameSync, writeFileSync } from 'node:fs';

const CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
const a = (w) => (/^[aeiou]/.test(w) ? 'an' : 'a');
// per class, 20 prompts; then interleaved (class is the fast index) so that every prefix of the set
// (a search's first N samples) covers the classes evenly
const perClass = CLASSES.map((c) => {
  const an = (w) => `${a(w)} ${w}`;
  // brightness and size alternate, so that short prefixes ask for both
  return [
    `a photo of ${an('dark')} ${c}`, // the required form
    `a photo of ${an('small')} ${c}`,
    `a photo of ${an('light')} ${c}`,
    `a photo of ${an('large')} ${c}`,
    `a photo of ${an('small')} dark ${c}`,
    `a photo of ${an('large')} light ${c}`,
    `a photo of ${an('small')} light ${c}`,
    `a photo of ${an('large')} dark ${c}`,
    `${an('dark')} ${c}`,
    `${c}, small`,
    `${an('light')} ${c}`,
    `${c}, large`,
    `${c}, small, dark`,
    `${c}, large, light`,
    `${c}, small, light`,
    `${c}, large, dark`,
    `a photo of ${an(c)}`,
    `${an('small')} ${c}`,
    `${an(c)}`,
    `${an('large')} ${c}`,
  ];
});
const prompts = perClass[0].flatMap((_, k) => perClass.map((p) => p[k]));
const out = process.argv[2] ?? 'prompts.json';
writeFileSync(`${out}.tmp`, `${JSON.stringify(prompts, null, 1)}\n`);
renameSync(`${out}.tmp`, out);
console.log(`${prompts.length} prompts -> ${out}`);
