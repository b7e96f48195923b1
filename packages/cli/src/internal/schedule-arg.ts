import { ScheduleError, parseSchedule, type Schedule } from '@flexiffusion/schedule';
import { CliError } from './args.js';

/** Parse a --schedule value; an error quotes the schedule with the bad position marked »like this«. */
export function scheduleArg(command: string, option: string, text: string | undefined, branches: number): Schedule {
  if (text === undefined)
    throw new CliError('missing-option', `flexi ${command}: --${option} is required (e.g. --${option} "F P0 N N | F P0 N N").`);
  try {
    return parseSchedule(text, { branches });
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    const issue = e.issues[0]!;
    const offset = issue.position?.offset;
    let quoted = JSON.stringify(text);
    if (offset !== undefined) {
      let end = offset + 1;
      while (end < text.length && !/[\s|]/.test(text[end]!) && !/[FNP]/.test(text[end]!)) end++;
      quoted = `"${text.slice(0, offset)}»${text.slice(offset, end)}«${text.slice(end)}"`;
    }
    throw new CliError(`schedule-${issue.code}`, `flexi ${command}: invalid --${option} ${quoted}: ${issue.message}`, { cause: e });
  }
}
