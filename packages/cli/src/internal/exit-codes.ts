/**
 * The exit codes of `flexi`: 0 done, 2 bad input (options, model folder, manifest, prompts,
 * feature or CLIP files: anything the user can fix in what they passed), 1 a failure while running,
 * 130 interrupted (Ctrl-C).
 */
import { RuntimeError, type RuntimeErrorCode } from '@flexiffusion/runtime';
import { ScheduleError } from '@flexiffusion/schedule';
import { CliError } from './args.js';

/** Bad input. */
export const EXIT_BAD_INPUT = 2;
/** A failure while running. */
export const EXIT_FAILURE = 1;
/** Interrupted (SIGINT), as shells report 128 + 2. */
export const EXIT_INTERRUPTED = 130;

/** RuntimeError codes that mean the model folder, its manifest or an option is wrong: exit 2. */
const BAD_INPUT_CODES: ReadonlySet<RuntimeErrorCode> = new Set<RuntimeErrorCode>([
  'invalid-manifest',
  'missing-file',
  'checksum-mismatch',
  'invalid-model',
  'io-mismatch',
  'shape-mismatch',
  'unknown-tensor',
  'invalid-cut',
  'invalid-option',
  'unsupported',
]);

/** The exit code of a runtime error code: 2 for bad input, 130 for `aborted`, else 1 (`session-failed`, `disposed`, `corrupt-file`). */
export function runtimeExitCode(code: RuntimeErrorCode): number {
  if (code === 'aborted') return EXIT_INTERRUPTED;
  return BAD_INPUT_CODES.has(code) ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

/** The first error of `e`'s cause chain that the CLI knows how to classify. */
export function knownCause(e: unknown): CliError | RuntimeError | ScheduleError | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof CliError || c instanceof RuntimeError || c instanceof ScheduleError) return c;
  }
  return undefined;
}

/** The exit code of an error that ended a command. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  const known = knownCause(e);
  if (known instanceof CliError) return known.exitCode;
  if (known instanceof RuntimeError) return runtimeExitCode(known.code);
  if (known instanceof ScheduleError) return known.code === 'aborted' ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
  return EXIT_FAILURE;
}
