// Cross-check: the Python tokenizer (tokenizer.py) and the repo's TypeScript ClipTokenizer
// (packages/runtime, built dist) give the same ids for the same vocab.json / merges.txt.
//   /usr/bin/python3 tools/model-fashion-sd/tokenizer.py DIR --existing --cases /tmp/fsd-cases.json
//   node tools/model-fashion-sd/check_tokenizer.mjs DIR /tmp/fsd-cases.json
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { ClipTokenizer } = await import(pathToFileURL(resolve(here, '../../packages/runtime/dist/index.js')).href);
const [dir, casesPath] = process.argv.slice(2);
const tok = ClipTokenizer.fromFiles(readFileSync(join(dir, 'vocab.json')), readFileSync(join(dir, 'merges.txt')));
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
let bad = 0;
for (const c of cases) {
  const ids = Array.from(tok.encode(c.text));
  const toks = tok.tokenize(c.text);
  if (JSON.stringify(ids) !== JSON.stringify(c.ids) || JSON.stringify(toks) !== JSON.stringify(c.tokens)) {
    bad++;
    console.log('MISMATCH', JSON.stringify(c.text), '\n  py', c.tokens.join(' '), '\n  ts', toks.join(' '));
  }
}
console.log(`${cases.length - bad}/${cases.length} cases identical (bos ${tok.bosId}, eos ${tok.eosId}, pad ${tok.padId})`);
process.exit(bad ? 1 : 0);
