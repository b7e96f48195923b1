#!/usr/bin/env node
// À la carte, verified: pack every workspace package with `npm pack`, then install only the
// tarballs a use case needs into fresh projects OUTSIDE the workspace (under os.tmpdir()) and run
// that use case there, type-checked against the published declarations.
//
//   npm run pack-check                 # build, check, pack, install, run (exit 1 on any problem)
//   node scripts/pack-check.mjs [--no-build] [--keep] [--only deps,files,search,runtime,metrics]
//
// Checks, in order:
//   deps     each package's dependencies + peerDependencies are exactly the bare specifiers its
//            dist/**/*.js and dist/**/*.d.ts import (node: builtins and the package itself aside)
//   files    each tarball holds every `exports` / `bin` target and no tests or build info
//   search   @flexiffusion/schedule + @flexiffusion/search-evo: a custom searcher and the
//            evolutionary searcher through runSearch, with a synthetic evaluator
//   runtime  @flexiffusion/runtime-node + runtime + schedule (+ model-fashion): generate with a
//            short schedule on a stand-in UNet, and loadModel('fashion') when the embedded model
//            exists (packages/model-fashion/model/model.json); skipped with a message otherwise
//   metrics  @flexiffusion/metrics (+ its dependencies): a Fréchet distance with a known value
//
// The installs reach the registry for third-party dependencies (onnxruntime-node, -common, …)
// with npm_config_onnxruntime_node_install=skip (the CPU build bundled in onnxruntime-node).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const ts = require('typescript');
const TSC = require.resolve('typescript/bin/tsc');
const ALL = ['deps', 'files', 'search', 'runtime', 'metrics'];

const { values: args } = parseArgs({
  options: {
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const only = new Set(args.only ? args.only.split(',').map((s) => s.trim()) : ALL);
for (const o of only) if (!ALL.includes(o)) fail(`Unknown --only entry "${o}". Should be one of: ${ALL.join(', ')}.`);

const problems = [];
const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
function fail(message) {
  console.error(`pack-check: ${message}`);
  process.exit(1);
}
function problem(where, message) {
  problems.push(`[${where}] ${message}`);
  console.error(`  ✗ [${where}] ${message}`);
}

/** Run a command; resolve with its output, reject with the output on a non-zero exit. */
function run(cmd, argv, { cwd, env, quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!quiet) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      if (!quiet) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited with ${code} (in ${cwd ?? ROOT}):\n${out.trim()}`)),
    );
  });
}
const npm = (argv, opts) => run(process.platform === 'win32' ? 'npm.cmd' : 'npm', argv, opts);

// ------------------------------------------------------------------ workspace packages
async function workspacePackages() {
  const dirs = await readdir(join(ROOT, 'packages'), { withFileTypes: true });
  const out = [];
  for (const d of dirs) {
    const file = join(ROOT, 'packages', d.name, 'package.json');
    if (!d.isDirectory() || !existsSync(file)) continue;
    const json = JSON.parse(await readFile(file, 'utf8'));
    if (json.private) continue;
    out.push({ dir: join(ROOT, 'packages', d.name), json });
  }
  return out.sort((a, b) => a.json.name.localeCompare(b.json.name));
}

// ------------------------------------------------------------------ deps: imports vs package.json
/**
 * Dependencies that no file imports by a static specifier but that are needed at run time, with
 * the reason. Keep this list short: each entry is a dependency the import scan cannot see.
 */
const RESOLVED_AT_RUN_TIME = {
  '@flexiffusion/cli': {
    // `--model fashion` (the default) goes to runtime-node's loadModel('fashion'), which finds the
    // package by name at run time (require.resolve in EMBEDDED_MODELS): the CLI must install it
    '@flexiffusion/model-fashion': "the default model, resolved by name by runtime-node's loadModel('fashion')",
    '@flexiffusion/model-fashion-sd': "the text-to-image model, resolved by name by runtime-node's loadModel('fashion-sd')",
  },
};
const BUILTINS = new Set(builtinModules);
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const isBare = (spec) =>
  !spec.startsWith('.') &&
  !spec.startsWith('/') &&
  !spec.startsWith('node:') &&
  !BUILTINS.has(spec.split('/')[0]) &&
  !/^[a-z]+:/.test(spec);

/** Module specifiers of one JS / .d.ts file: import/export from, import(), require(), require.resolve(), import.meta.resolve(), import types. */
function specifiersOf(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.d.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const found = [];
  const literal = (n) => (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : undefined);
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const s = literal(node.moduleSpecifier);
      if (s) found.push(s);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const s = literal(node.moduleReference.expression);
      if (s) found.push(s);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const s = literal(node.argument.literal);
      if (s) found.push(s);
    } else if (ts.isCallExpression(node)) {
      const e = node.expression;
      const callee =
        e.kind === ts.SyntaxKind.ImportKeyword
          ? 'import'
          : ts.isIdentifier(e)
            ? e.text
            : ts.isPropertyAccessExpression(e)
              ? e.getText(sf)
              : '';
      if (['import', 'require', 'require.resolve', 'import.meta.resolve'].includes(callee)) {
        const s = literal(node.arguments[0]);
        if (s) found.push(s);
      }
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      // `declare module 'x'` augments x: it depends on it
      found.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

async function filesUnder(dir, keep) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = join(e.parentPath ?? e.path, e.name);
    if (e.isFile() && keep(full)) out.push(full);
  }
  return out;
}

async function checkDeps(pkgs) {
  console.log('\n[deps] dependencies + peerDependencies = bare imports of dist/**/*.js and *.d.ts');
  for (const { dir, json } of pkgs) {
    const files = await filesUnder(join(dir, 'dist'), (f) => f.endsWith('.js') || f.endsWith('.mjs') || f.endsWith('.d.ts'));
    if (files.length === 0) {
      problem(json.name, `no dist/**/*.js: build the package first`);
      continue;
    }
    const used = new Map(); // package -> first file importing it
    for (const f of files) {
      for (const spec of specifiersOf(f, await readFile(f, 'utf8'))) {
        if (!isBare(spec)) continue;
        const p = packageOf(spec);
        if (p === json.name) continue;
        if (!used.has(p)) used.set(p, relative(dir, f));
      }
    }
    const declared = new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})]);
    for (const [p, why] of Object.entries(RESOLVED_AT_RUN_TIME[json.name] ?? {})) if (!used.has(p)) used.set(p, `run time: ${why}`);
    const missing = [...used.keys()].filter((p) => !declared.has(p)).sort();
    const unused = [...declared].filter((p) => !used.has(p)).sort();
    if (missing.length === 0 && unused.length === 0) {
      console.log(`  ✓ ${json.name}: ${[...declared].sort().join(', ') || '(none)'}`);
      continue;
    }
    for (const p of missing) problem(json.name, `imports "${p}" (${used.get(p)}) but does not list it in dependencies or peerDependencies`);
    for (const p of unused)
      problem(
        json.name,
        `lists "${p}" in ${json.dependencies?.[p] !== undefined ? 'dependencies' : 'peerDependencies'} but never imports it`,
      );
  }
}

// ------------------------------------------------------------------ pack + files
function exportTargets(exp, out = []) {
  if (typeof exp === 'string') out.push(exp);
  else if (Array.isArray(exp)) for (const e of exp) exportTargets(e, out);
  else if (exp && typeof exp === 'object') for (const v of Object.values(exp)) exportTargets(v, out);
  return out;
}

async function packAll(pkgs, dest) {
  console.log(`\n[pack] npm pack → ${dest}`);
  const t = Date.now();
  const out = await npm(['pack', '--json', '--pack-destination', dest, ...pkgs.flatMap((p) => ['-w', p.json.name])], { cwd: ROOT });
  const json = JSON.parse(out.slice(out.indexOf('[')));
  const byName = new Map();
  for (const entry of json)
    byName.set(entry.name, { tarball: join(dest, entry.filename), files: entry.files.map((f) => f.path), size: entry.size });
  for (const p of pkgs) if (!byName.has(p.json.name)) fail(`npm pack made no tarball for ${p.json.name}`);
  for (const [name, e] of byName) console.log(`  ${name}: ${e.files.length} files, ${(e.size / 1024).toFixed(0)} KiB`);
  console.log(`  (${secs(t)})`);
  return byName;
}

function checkFiles(pkgs, packed) {
  console.log('\n[files] tarball contents');
  for (const { dir, json } of pkgs) {
    const { files } = packed.get(json.name);
    const set = new Set(files);
    let ok = true;
    const targets = [
      ...exportTargets(json.exports ?? {}),
      ...(typeof json.bin === 'string' ? [json.bin] : Object.values(json.bin ?? {})),
      ...(json.types ? [json.types] : []),
      ...(json.main ? [json.main] : []),
    ];
    for (const target of targets) {
      const rel = target.replace(/^\.\//, '');
      if (rel.includes('*')) {
        const prefix = rel.slice(0, rel.indexOf('*'));
        if (!files.some((f) => f.startsWith(prefix))) {
          // model-fashion's ./model/* is empty until the model lands; once model.json exists in the
          // source folder, it must be in the tarball
          const sourceHas = existsSync(join(dir, prefix)) && files.length >= 0 && existsSync(join(dir, prefix, 'model.json'));
          if (sourceHas || json.name !== '@flexiffusion/model-fashion') {
            problem(json.name, `exports pattern "${target}" matches no file in the tarball`);
            ok = false;
          } else {
            console.log(`  ! ${json.name}: "${target}" matches no file yet (${relative(ROOT, join(dir, prefix))} is empty)`);
          }
        }
      } else if (!set.has(rel)) {
        problem(json.name, `"${target}" (exports/bin/types/main) is not in the tarball: fix "files" or build`);
        ok = false;
      }
    }
    for (const f of files) {
      if (/(^|\/)(test|tests|__tests__)\//.test(f) || f.endsWith('.tsbuildinfo') || /\.test\.[cm]?[jt]s$/.test(f)) {
        problem(json.name, `the tarball holds ${f} (tests or build info): fix "files"`);
        ok = false;
      }
    }
    if (ok) console.log(`  ✓ ${json.name}: ${targets.length} export/bin targets present`);
  }
}

// ------------------------------------------------------------------ use cases in fresh projects
async function project(base, name, tarballs, deps = {}) {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: `pack-check-${name}`, private: true, type: 'module', dependencies: deps }, null, 2),
  );
  const t = Date.now();
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], {
    cwd: dir,
    env: { npm_config_onnxruntime_node_install: 'skip', npm_config_update_notifier: 'false' },
  });
  console.log(`  installed ${tarballs.length} tarball(s) (${secs(t)})`);
  return dir;
}

/** Type-check and compile main.ts against the installed packages' declarations, then run it. */
async function typecheckAndRun(dir, source, { nodeTypes = false } = {}) {
  await writeFile(join(dir, 'main.ts'), source);
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          outDir: 'out',
          types: nodeTypes ? ['node'] : [],
          ...(nodeTypes ? { typeRoots: [join(ROOT, 'node_modules', '@types')] } : {}),
        },
        files: ['main.ts'],
      },
      null,
      2,
    ),
  );
  const t = Date.now();
  await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir });
  console.log(`  type-checked against the published .d.ts (${secs(t)})`);
  const out = await run(process.execPath, ['out/main.js'], { cwd: dir });
  for (const line of out.trim().split('\n')) console.log(`  | ${line}`);
}

const SEARCH_CASE = `
import { MemoryTrialStore, createSearchSpace, formatSchedule, runSearch, type Evaluator, type Schedule, type SearchContext, type Searcher } from '@flexiffusion/schedule';
import { evolutionarySearcher } from '@flexiffusion/search-evo';

// a custom searcher: walk the space's enumeration order, skipping tried and too-slow members
function enumerationSearcher(): Searcher {
  return {
    name: 'enumeration',
    ask(ctx: SearchContext, count: number): readonly Schedule[] {
      const tried = new Set(ctx.history.map((t) => t.schedule));
      const out: Schedule[] = [];
      for (const s of ctx.space.enumerate()) {
        if (out.length === count) break;
        if (tried.has(formatSchedule(s)) || ctx.cost(s).speedup < ctx.minSpeedup) continue;
        out.push(s);
      }
      return out;
    },
  };
}

// synthetic objective: skipped steps and shallow caches cost quality
const evaluator: Evaluator = {
  async evaluate(schedules) {
    return schedules.map((s) => {
      const text = formatSchedule(s);
      const objective = (text.match(/N/g)?.length ?? 0) * 1.5 + (text.match(/P0/g)?.length ?? 0) + (text.match(/P1/g)?.length ?? 0) * 0.5;
      return { ok: true as const, objective };
    });
  },
};

const space = createSearchSpace({ steps: 12, segmentLengths: [3, 4, 6], branches: 2 });
const costProfile = { fullMacs: 100, partialMacs: [30, 60] };
const common = { space, evaluator, costProfile, minSpeedup: 1.5, seed: 3 };
function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

const custom = await runSearch({ ...common, searcher: enumerationSearcher(), trials: 12 });
assert(custom.trials.filter((t) => t.state === 'complete').length === 12, 'custom searcher: 12 complete trials');
assert(custom.best !== undefined && custom.best.cost.speedup >= 1.5, 'custom searcher: a best trial meeting the constraint');
console.log('custom searcher:', custom.trials.length, 'trials, best', custom.best.schedule, 'objective', custom.best.objective, 'speed-up', custom.best.cost.speedup.toFixed(2));

const store = new MemoryTrialStore();
const first = await runSearch({ ...common, searcher: evolutionarySearcher(), trials: 10, store });
const resumed = await runSearch({ ...common, searcher: evolutionarySearcher(), trials: 24, store });
const straight = await runSearch({ ...common, searcher: evolutionarySearcher(), trials: 24 });
assert(first.trials.length >= 10, 'evolutionary: first run');
assert(resumed.replayed === first.trials.length, 'evolutionary: resume replays the stored trials');
assert(JSON.stringify(resumed.trials.map((t) => t.schedule)) === JSON.stringify(straight.trials.map((t) => t.schedule)), 'evolutionary: resumed = uninterrupted');
assert(resumed.best !== undefined, 'evolutionary: a best trial');
console.log('evolutionary searcher:', resumed.trials.length, 'trials (resumed after', first.trials.length + '), best', resumed.best.schedule, 'objective', resumed.best.objective, '| space size', space.size().toString());
`;

const METRICS_CASE = `
import { featureStats, frechetDistance } from '@flexiffusion/metrics';

// two feature sets that differ by a constant shift c in each of d dimensions: equal covariances,
// so the Fréchet distance is exactly d·c²
const n = 64, d = 16, c = 0.25;
const a = new Float32Array(n * d);
let x = 12345;
for (let i = 0; i < a.length; i++) {
  x = (x * 1103515245 + 12345) % 2147483648;
  a[i] = x / 2147483648 - 0.5;
}
const b = a.map((v) => v + c);
const fd = frechetDistance(featureStats(a, d), featureStats(b, d));
const same = frechetDistance(featureStats(a, d), featureStats(a, d));
const expected = d * c * c;
if (Math.abs(fd - expected) > 1e-5 || Math.abs(same) > 1e-6) throw new Error('Fréchet distance ' + fd + ' (expected ' + expected + '), self ' + same);
console.log('Fréchet distance', fd.toFixed(8), '(expected d·c² =', expected + '), self-distance', same.toExponential(2));
`;

const RUNTIME_CASE = (withFashion) => `
import { planSchedule, scheduleCost } from '@flexiffusion/schedule';
import { loadModel, encodePng } from '@flexiffusion/runtime-node';
${withFashion ? "import { fashionModel } from '@flexiffusion/model-fashion';" : ''}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error('assertion failed: ' + msg);
}
async function two(dirOrName: string, schedule: string, labels?: number[]) {
  const model = await loadModel(dirOrName, { device: 'cpu', threads: 1 });
  try {
    const r = await model.generate({ schedule, seeds: [0, 1], ...(labels ? { labels } : {}) });
    assert(r.shape[0] === 2 && r.samples.length === r.shape.reduce((p, q) => p * q, 1), 'two samples of the declared shape');
    assert(r.samples.every(Number.isFinite), 'finite samples');
    const speedup = scheduleCost(schedule, model.costProfile).speedup;
    const evals = planSchedule(schedule, { trainTimesteps: model.manifest.scheduler.trainTimesteps }).evaluations;
    return { model: model.manifest.name, shape: r.shape, speedup, evals };
  } finally {
    await model.dispose();
  }
}

const stand = await two('./stand-in', 'F P0 N | F P1 N', [3, 7]);
console.log('stand-in UNet:', JSON.stringify(stand));
const png = encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) });
assert(png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47, 'PNG signature');
${
  withFashion
    ? `const { manifest } = fashionModel();
const fashion = await two('fashion', 'F P0 N N N | F P1 N N N', [0, 9]);
assert(fashion.model === manifest.name, 'loadModel and fashionModel read the same manifest');
console.log('fashion:', JSON.stringify(fashion), '| cache branches', manifest.unet.cache.length);`
    : ''
}
`;

// ------------------------------------------------------------------ main
const pkgs = await workspacePackages();
console.log(`pack-check: ${pkgs.length} packages (${pkgs.map((p) => p.json.name.replace('@flexiffusion/', '')).join(', ')})`);
if (args.build && !args['no-build']) {
  const t = Date.now();
  console.log('\n[build] turbo run build');
  await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT });
  console.log(`  (${secs(t)})`);
}
if (only.has('deps')) await checkDeps(pkgs);

const needsPack = ['files', 'search', 'runtime', 'metrics'].some((c) => only.has(c));
const base = await mkdtemp(join(tmpdir(), 'flexi-pack-check-'));
try {
  if (needsPack) {
    const tarDir = join(base, 'tarballs');
    await mkdir(tarDir);
    const packed = await packAll(pkgs, tarDir);
    const tgz = (...names) => names.map((n) => packed.get(`@flexiffusion/${n}`).tarball);
    if (only.has('files')) checkFiles(pkgs, packed);

    const cases = [
      [
        'search',
        '@flexiffusion/schedule + @flexiffusion/search-evo: custom and evolutionary searchers through runSearch',
        async () => {
          const dir = await project(base, 'search', tgz('schedule', 'search-evo'));
          await typecheckAndRun(dir, SEARCH_CASE);
        },
      ],
      [
        'metrics',
        '@flexiffusion/metrics alone (+ its dependencies): Fréchet distance',
        async () => {
          const metricsDeps = Object.keys(pkgs.find((p) => p.json.name === '@flexiffusion/metrics').json.dependencies ?? {})
            .filter((d) => d.startsWith('@flexiffusion/'))
            .map((d) => d.replace('@flexiffusion/', ''));
          const dir = await project(base, 'metrics', tgz('metrics', ...metricsDeps));
          await typecheckAndRun(dir, METRICS_CASE);
        },
      ],
      [
        'runtime',
        '@flexiffusion/runtime-node + runtime + schedule (+ model-fashion): generate 2 images',
        async () => {
          const fashion = existsSync(join(ROOT, 'packages', 'model-fashion', 'model', 'model.json'));
          const dir = await project(base, 'runtime', tgz('runtime-node', 'runtime', 'schedule', ...(fashion ? ['model-fashion'] : [])));
          // a stand-in UNet (random weights, 3 cache branches) from the repository's test fixtures
          await cp(join(ROOT, 'packages', 'runtime', 'test', 'fixtures', 'stand-ins', 'tiny-unet'), join(dir, 'stand-in'), {
            recursive: true,
          });
          if (!fashion) {
            console.log(
              "  SKIP loadModel('fashion'): packages/model-fashion/model/model.json does not exist yet (the embedded model has not landed); running the stand-in only",
            );
          }
          await typecheckAndRun(dir, RUNTIME_CASE(fashion), { nodeTypes: true });
        },
      ],
    ];
    for (const [name, title, body] of cases) {
      if (!only.has(name)) continue;
      console.log(`\n[${name}] ${title}`);
      const t = Date.now();
      try {
        await body();
        console.log(`  ✓ ${name} (${secs(t)})`);
      } catch (e) {
        problem(name, e instanceof Error ? e.message : String(e));
      }
    }
  }
} finally {
  if (args.keep) console.log(`\nkept ${base}`);
  else await rm(base, { recursive: true, force: true });
}

console.log(`\npack-check: ${problems.length === 0 ? 'OK' : `${problems.length} problem(s)`} in ${secs(t0)}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`  ${p.split('\n')[0]}`);
  process.exitCode = 1;
}
