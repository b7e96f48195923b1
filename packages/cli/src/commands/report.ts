import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, helpText, parseOptions } from '../internal/args.js';
import { options } from '../internal/options.js';
import { buildReport } from '../internal/report.js';

/** The options of `flexi report`. */
export const reportSpec = {
  'grid-images': { ...options['grid-images'], help: 'images per grid' },
  device: { ...options.device, help: 'execution provider (only used when grids must be generated)' },
  help: options.help,
};

/** `flexi report OUT`: rebuild OUT/report.html from a search folder. */
export async function reportCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions('report', argv, reportSpec);
  if (values.help) {
    console.log(helpText('report', 'rebuild the report of a search folder', reportSpec, '[options] OUT'));
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliError('bad-option', `flexi report: expected one search folder, got ${positionals.length} (usage: flexi report OUT).`);
  const out = resolve(positionals[0]!);
  if (!existsSync(join(out, 'settings.json')))
    throw new CliError('bad-report', `flexi report: "${positionals[0]}" is not a search folder (no settings.json).`, { exitCode: 1 });
  const path = await buildReport(out, { gridImages: values['grid-images'], device: values.device });
  console.log(`report: ${path}`);
  return 0;
}
