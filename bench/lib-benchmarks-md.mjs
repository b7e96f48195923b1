// Writes one section of docs/benchmarks.md (between <!-- bench:NAME --> markers), with the
// machine and the command that produced it. Used by the bench scripts' --write flag.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_MD = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');

export function machine() {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Replace (or append) the section NAME of docs/benchmarks.md. */
export async function writeSection(name, title, body, command) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n## ${title}\n\nMachine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with:\n\n\`\`\`sh\n${command}\n\`\`\`\n\n${body.trim()}\n${end}`;
  let text = existsSync(BENCHMARKS_MD)
    ? await readFile(BENCHMARKS_MD, 'utf8')
    : '# Benchmarks\n\nEvery section below is written by a script in `bench/` (its `--write` flag), with the machine and the command that produced it. Timings are compared as ratios measured in the same run.\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? `${text.slice(0, i)}${section}${text.slice(j + end.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  await mkdir(dirname(BENCHMARKS_MD), { recursive: true });
  await writeFile(`${BENCHMARKS_MD}.tmp`, text);
  await rename(`${BENCHMARKS_MD}.tmp`, BENCHMARKS_MD);
}

/**
 * Quote an argument for a documented command line when the shell would otherwise split or expand it.
 *
 * @param {string} a - One argument.
 * @returns {string} The argument, single-quoted when needed.
 */
export function shellQuote(a) {
  return /^[\w.,:=/-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}
