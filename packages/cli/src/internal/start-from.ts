/**
 * `flexi search --start-from DIR`: the results of an earlier search (its pareto.json and best.json)
 * as extra starting points of the evolutionary searcher. A schedule that meets a stricter speed-up
 * meets a looser one, so a search at ≥ 2× can start where one at ≥ 3× ended instead of rediscovering
 * it (on the embedded pixel model a ≥ 2× search from GITS-25 missed a ≥ 3× schedule whose objective
 * was 0.19 lower).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatSchedule,
  parseSchedule,
  scheduleCost,
  scheduleFromSteps,
  scheduleLength,
  scheduleSteps,
  type CostProfile,
  type Schedule,
  type SearchSpace,
} from '@flexiffusion/schedule';
import { CliError } from './args.js';

/**
 * Read the schedules of a search folder's pareto.json and best.json, in that order, without
 * duplicates (as DSL text).
 *
 * @throws CliError `bad-start` when the folder has neither file, or one is not a search's JSON.
 */
export function readStartSchedules(command: string, dir: string): readonly string[] {
  const files = ['pareto.json', 'best.json'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  if (files.length === 0) {
    throw new CliError(
      'bad-start',
      `flexi ${command}: --start-from "${dir}": expected a search folder with pareto.json or best.json (what flexi search writes), found neither.`,
    );
  }
  const out: string[] = [];
  for (const file of files) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CliError('bad-start', `flexi ${command}: --start-from: ${file} is not JSON (${(e as Error).message}).`, { cause: e });
    }
    const entries = data === null ? [] : Array.isArray(data) ? data : [data];
    for (const [i, entry] of entries.entries()) {
      const text = (entry as { schedule?: unknown } | null)?.schedule;
      if (typeof text !== 'string') {
        throw new CliError(
          'bad-start',
          `flexi ${command}: --start-from: ${file}${Array.isArray(data) ? `[${i}]` : ''} has no "schedule" string: expected flexi search's results.`,
        );
      }
      let schedule: Schedule;
      try {
        schedule = parseSchedule(text);
      } catch (e) {
        throw new CliError(
          'bad-start',
          `flexi ${command}: --start-from: ${file} holds an invalid schedule "${text}": ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      const dsl = formatSchedule(schedule);
      if (!out.includes(dsl)) out.push(dsl);
    }
  }
  return Object.freeze(out);
}

/** What {@link startSeeds} kept and why it dropped the rest. */
export interface StartSeeds {
  /** The schedules that start the search: members of the space that meet the speed-up. */
  readonly seeds: readonly Schedule[];
  /** How many have another number of steps than the space. */
  readonly otherLength: number;
  /** How many do not meet the speed-up. */
  readonly tooSlow: number;
  /** How many fit no segment length of the space (paper and free forms). */
  readonly notInSpace: number;
}

/**
 * The stored start schedules that can start a search in `space` at `speedup`: each is cut into
 * the space's segment lengths (the first that makes it a member), and kept when it meets the
 * speed-up under `cost`.
 */
export function startSeeds(schedules: readonly string[], space: SearchSpace, cost: CostProfile, speedup: number): StartSeeds {
  const seeds: Schedule[] = [];
  let otherLength = 0;
  let tooSlow = 0;
  let notInSpace = 0;
  for (const text of schedules) {
    const s = parseSchedule(text);
    if (scheduleLength(s) !== space.steps) {
      otherLength++;
      continue;
    }
    if (scheduleCost(s, cost).speedup < speedup) {
      tooSlow++;
      continue;
    }
    const steps = scheduleSteps(s);
    const member = [s, ...space.segmentLengths.map((L) => scheduleFromSteps(steps, L))].find((x) => space.contains(x));
    if (member === undefined) notInSpace++;
    else if (!seeds.some((x) => formatSchedule(x) === formatSchedule(member))) seeds.push(member);
  }
  return Object.freeze({ seeds: Object.freeze(seeds), otherLength, tooSlow, notInSpace });
}
