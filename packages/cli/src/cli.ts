import { ScheduleError } from '@flexiffusion/schedule';
import { CliError } from './internal/args.js';
import { exitCodeOf } from './internal/exit-codes.js';
import { evalCommand } from './commands/eval.js';
import { inspectCommand } from './commands/inspect.js';
import { reportCommand } from './commands/report.js';
import { sampleCommand } from './commands/sample.js';
import { searchCommand } from './commands/search.js';
import { workerCommand } from './commands/worker.js';

const COMMANDS: Record<string, { run: (argv: readonly string[]) => Promise<number>; summary: string }> = {
  inspect: { run: inspectCommand, summary: 'show a model or diffusers export: manifest, defaults, cut points, MAC and latency ratios' },
  search: { run: searchCommand, summary: 'search a fast schedule (rFID, KID, PSNR or CLIP vs the teacher), resumable, with a report' },
  sample: { run: sampleCommand, summary: 'generate samples (labels, prompts or neither) with a schedule into a PNG grid' },
  eval: { run: evalCommand, summary: 'FID, rFID, KID, PSNR, CLIP score, class accuracy and speed-up of a schedule' },
  report: { run: reportCommand, summary: 'rebuild the report of a search folder' },
  worker: { run: workerCommand, summary: 'evaluate the jobs of `flexi search --queue` on this machine' },
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
      return exitCodeOf(e);
    }
    const err = e as { code?: string; message?: string };
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      // a metrics or runtime error, possibly wrapping the runtime error that says whether the input was bad
      console.error(`flexi ${command}: ${err.message} [${err.code}]`);
      return exitCodeOf(e);
    }
    console.error(e);
    return exitCodeOf(e);
  }
}
