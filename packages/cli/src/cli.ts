import { ScheduleError } from '@flexiffusion/schedule';
import { CliError } from './internal/args.js';
import { evalCommand } from './commands/eval.js';
import { reportCommand } from './commands/report.js';
import { sampleCommand } from './commands/sample.js';
import { searchCommand } from './commands/search.js';

const COMMANDS: Record<string, { run: (argv: readonly string[]) => Promise<number>; summary: string }> = {
  search: { run: searchCommand, summary: 'search a fast schedule (rFID vs the teacher), resumable, with a report' },
  sample: { run: sampleCommand, summary: 'generate samples with a schedule into a PNG grid' },
  eval: { run: evalCommand, summary: 'FID, rFID, KID, class accuracy and speed-up of a schedule' },
  report: { run: reportCommand, summary: 'rebuild the report of a search folder' },
};

const USAGE = `flexi — Flexiffusion schedule search for diffusion models

Usage: flexi <command> [options]     (flexi <command> --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([k, v]) => `  ${k.padEnd(8)} ${v.summary}`)
  .join('\n')}`;

/**
 * Run the `flexi` command line.
 *
 * @param argv - Arguments after the program name.
 * @returns The exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const entry = COMMANDS[command];
  try {
    if (!entry)
      throw new CliError('unknown-command', `flexi: unknown command "${command}". Should be one of: ${Object.keys(COMMANDS).join(', ')}.`);
    return await entry.run(rest);
  } catch (e) {
    if (e instanceof CliError) {
      console.error(e.message);
      return e.exitCode;
    }
    if (e instanceof ScheduleError) {
      console.error(`flexi ${command}: ${e.message}`);
      return 2;
    }
    const err = e as { code?: string; message?: string };
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      console.error(`flexi ${command}: ${err.message} [${err.code}]`);
      return 1;
    }
    console.error(e);
    return 1;
  }
}
