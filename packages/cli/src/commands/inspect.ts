import { existsSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MANIFEST_FILE,
  RuntimeError,
  proposeCutPoints,
  readModelFolder,
  type CutPointProposal,
  type ModelFolder,
} from '@flexiffusion/runtime';
import { fileSource, resolveModelDir } from '@flexiffusion/runtime-node';
import { CliError, flag, helpText, int, parseOptions } from '../internal/args.js';
import { runtimeExitCode } from '../internal/exit-codes.js';
import { writeAtomic } from '../internal/files.js';
import { openModel } from '../internal/model.js';
import { options } from '../internal/options.js';

/** The options of `flexi inspect`. */
export const inspectSpec = {
  write: flag({ help: `write the manifest shown as DIR/${MANIFEST_FILE}, for you to edit (refused when one exists)` }),
  force: flag({ help: `with --write: replace an existing ${MANIFEST_FILE} (its fields are already in the manifest shown)` }),
  device: options.device,
  threads: options.threads,
  repeats: int({ default: 5, min: 0, max: 1000, help: 'timed runs per step kind for the latency ratios (0: MACs only)' }),
  'batch-size': int({ default: 1, min: 1, max: 4096, help: 'samples per timed batch' }),
  help: options.help,
};

const SUMMARY = 'show the manifest of a model folder or diffusers export, its cut points with MAC and latency ratios';

function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`;
}

function mega(macs: number): string {
  return macs >= 1e9 ? `${(macs / 1e9).toFixed(2)} GMACs` : `${(macs / 1e6).toFixed(2)} MMACs`;
}

async function readFolder(dir: string): Promise<ModelFolder> {
  try {
    return await readModelFolder(fileSource(dir));
  } catch (e) {
    if (e instanceof RuntimeError) {
      throw new CliError(`model-${e.code}`, `flexi inspect: cannot read model "${dir}": ${e.message}`, {
        cause: e,
        exitCode: runtimeExitCode(e.code),
      });
    }
    throw e;
  }
}

/** Write `text` to `path` atomically (temp file, then link or rename); without `force` an existing file is kept. */
async function writeManifest(path: string, text: string, force: boolean): Promise<void> {
  if (force) return writeAtomic(path, text);
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { flag: 'wx' });
  try {
    await link(tmp, path); // fails with EEXIST rather than replace a file written meanwhile
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') throw exists(path);
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function exists(path: string): CliError {
  return new CliError(
    'model-json-exists',
    `flexi inspect: ${path} exists: pass --force to replace it (its fields are in the manifest shown).`,
  );
}

/**
 * `flexi inspect DIR`: the manifest the model loads with (derived from a diffusers export's files, with
 * model.json over it), the defaults that were used, the cache branches with their partial/full MAC and measured
 * latency ratios, and, with `--write`, that manifest written as DIR/model.json.
 */
export async function inspectCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions('inspect', argv, inspectSpec);
  if (values.help) {
    console.log(helpText('inspect', SUMMARY, inspectSpec, '[options] DIR'));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      'bad-option',
      `flexi inspect: expected one model folder, got ${positionals.length} (usage: flexi inspect DIR [--write]).`,
    );
  }
  if (values.force && !values.write) throw new CliError('bad-option', 'flexi inspect: --force only goes with --write.');
  let dir: string;
  try {
    dir = resolveModelDir(positionals[0]!);
  } catch (e) {
    if (e instanceof RuntimeError)
      throw new CliError(`model-${e.code}`, `flexi inspect: ${e.message}`, { exitCode: runtimeExitCode(e.code) });
    throw e;
  }
  const target = join(dir, MANIFEST_FILE);
  if (values.write && !values.force && existsSync(target)) throw exists(target);
  const folder = await readFolder(dir);
  const { manifest, derived } = folder;
  const how =
    folder.kind === 'export'
      ? `a diffusers export (${String(manifest.provenance?.['pipeline'] ?? 'model_index.json')}): manifest derived from its files` +
        (folder.override ? `, with ${MANIFEST_FILE} over it` : '')
      : `${MANIFEST_FILE}`;
  console.log(`model ${dir}\n  ${how}\n`);
  console.log(`manifest:\n${JSON.stringify(manifest, null, 2)}\n`);
  if (derived && derived.notes.length > 0) {
    // a note names its field first ("conditioning.defaultGuidanceScale: 7.5 (...)"): say when model.json replaced it
    const overridden = (note: string): boolean => {
      const path = /^([A-Za-z.]+):/.exec(note)?.[1];
      let at: unknown = folder.override;
      for (const key of path?.split('.') ?? ['\u0000'])
        at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
      return at !== undefined;
    };
    const lines = derived.notes.map((n) => `  - ${n}${overridden(n) ? ` [replaced by ${MANIFEST_FILE}]` : ''}`);
    console.log(`derived, and the defaults used:\n${lines.join('\n')}\n`);
  }

  const model = await openModel('inspect', dir, { device: values.device, threads: values.threads });
  try {
    const cost = model.costProfile;
    const profile =
      values.repeats > 0 && model.branches > 0
        ? await model.profile({ batchSize: values['batch-size'], repeats: values.repeats, warmup: 2 })
        : undefined;
    const unet = await readFile(join(dir, manifest.unet.file));
    const proposals = proposeCutPoints(new Uint8Array(unet), {
      output: manifest.unet.output,
      sample: manifest.unet.inputs.sample,
      macs: model.macs,
    });
    const moduleOf = new Map<string, CutPointProposal>(proposals.points.map((p) => [p.tensor, p]));
    const full = profile ? `, ${profile.latencyMs.full.toFixed(2)} ms per batch of ${profile.batchSize} (median of ${values.repeats})` : '';
    console.log(`full step: ${mega(cost.fullMacs)} per sample${full}`);
    if (model.branches === 0) console.log('cache branches: none (only full and null steps run)');
    else {
      console.log('cache branches (branch 0 = shallowest = cheapest partial step):');
      const rows = manifest.unet.cache.map((c, b) => [
        String(b),
        moduleOf.get(c.tensor)?.module ?? '(given)',
        pct(cost.partialMacs[b]! / cost.fullMacs),
        pct(profile?.partialLatencyRatio[b]),
        c.tensor,
      ]);
      const table = [['branch', 'module', 'MACs', 'latency', 'tensor'], ...rows];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const r of table) console.log(`  ${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!))).join('  ')}`);
    }
    const unused = proposals.points.filter((p) => !manifest.unet.cache.some((c) => c.tensor === p.tensor));
    if (unused.length > 0) {
      console.log('proposed, not in the manifest:');
      for (const p of unused) console.log(`  ${p.module}  ${pct(p.macRatio)}  ${p.tensor}`);
    }
    for (const s of proposals.skipped) console.log(`not proposed: ${s.module}${s.tensor ? ` (${s.tensor})` : ''}: ${s.reason}`);
    for (const w of model.unet.warnings) console.error(`flexi inspect: warning: ${w}`);
  } finally {
    await model.dispose();
  }
  if (values.write) {
    await writeManifest(target, `${JSON.stringify(manifest, null, 2)}\n`, values.force);
    console.log(`\nwrote ${target}: edit it; its fields override what is derived from the export's files`);
  }
  return 0;
}
