#!/usr/bin/env node
// The import rules Biome cannot express: its noRestrictedImports matches specifiers as written, so it
// cannot tell `../src/internal/x.js` (the package's own file) from `../../runtime/src/internal/x.js`
// (another package's). This script resolves every relative specifier and checks, over the files
// biome.jsonc lints:
//   - a file in packages/X imports no file of packages/Y by a relative path (import @flexiffusion/Y
//     by name, so package.json, `exports` and the Biome rules in biome.jsonc apply);
//   - a file outside packages/ (bench, scripts, examples, tools) reaches no package's internal/ folder.
// The rules by package name (runtime-node ↔ runtime-web, schedule, search-*, metrics, `…/internal/*`)
// are Biome's, in biome.jsonc.
//
//   node scripts/check-imports.mjs     # exit 1 and one line per violation, file:line
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ts = createRequire(join(ROOT, 'package.json'))('typescript');

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', 'fixtures', '.turbo', '.cache']);
const PACKAGE_DIRS = ['src', 'test', 'harness', 'demo', 'bench', 'bin'];

/** Source files under `dir` (relative to the root), skipping build output and data folders. */
function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) walk(path, out);
    } else if (SOURCE.test(e.name) && (!dir.startsWith('tools') || e.name.endsWith('.mjs'))) {
      out.push(path);
    }
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(ROOT, 'packages'))) {
  for (const d of PACKAGE_DIRS) walk(`packages/${pkg}/${d}`, files);
  if (existsSync(join(ROOT, 'packages', pkg, 'vitest.config.ts'))) files.push(`packages/${pkg}/vitest.config.ts`);
}
for (const d of ['bench', 'scripts', 'examples', 'tools']) walk(d, files);

/** `packages/<name>` of a root-relative path, or null outside packages/. */
const packageOf = (path) => {
  const parts = path.split('/');
  return parts[0] === 'packages' && parts.length > 2 ? parts[1] : null;
};

const problems = [];
for (const file of files) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const from = packageOf(file);
  for (const { fileName: spec, pos } of importedFiles) {
    if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec))
      .split(sep)
      .join('/');
    const to = packageOf(target);
    if (to === null || to === from) continue;
    const line = text.slice(0, pos).split('\n').length;
    if (from !== null) {
      problems.push(`${file}:${line}: '${spec}' reaches into packages/${to}: import @flexiffusion/${to} by name.`);
    } else if (target.split('/').includes('internal')) {
      problems.push(`${file}:${line}: '${spec}' reaches into the internals of packages/${to}: use its public entry points.`);
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  const n = problems.length;
  console.error(`check-imports: ${n} import${n === 1 ? '' : 's'} across package boundaries (${files.length} files checked).`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no relative import across package boundaries.`);
