import { describe, expect, it } from 'vitest';
import { CliError, parseIntList, parseOptions, type OptionSpec } from '../src/internal/args.js';
import { scheduleArg } from '../src/internal/schedule-arg.js';
import { formatDuration } from '../src/internal/progress.js';

const spec = {
  searcher: { type: 'string', default: 'evo', choices: ['evo', 'grid', 'random'], help: '' },
  trials: { type: 'number', default: 10, min: 1, max: 100, integer: true, help: '' },
  speedup: { type: 'number', default: 2, min: 1, max: 10, help: '' },
  help: { type: 'boolean', help: '' },
} satisfies Record<string, OptionSpec>;

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
  throw new Error('expected a CliError');
}

describe('parseOptions', () => {
  it('applies defaults and converts numbers', () => {
    expect(parseOptions('search', ['--trials', '7'], spec).values).toEqual({ searcher: 'evo', trials: 7, speedup: 2, help: false });
    expect(parseOptions('search', ['--speedup=2.5'], spec).values.speedup).toBe(2.5);
  });
  it('names the bad value and the valid ones', () => {
    expect(cliError(() => parseOptions('search', ['--searcher', 'annealing'], spec)).message).toBe(
      'flexi search: unsupported --searcher "annealing". Should be one of: evo, grid, random.',
    );
    expect(cliError(() => parseOptions('search', ['--trials', '0'], spec)).message).toContain('invalid --trials "0": expected an integer in 1..100');
    expect(cliError(() => parseOptions('search', ['--trials', '2.5'], spec)).message).toContain('expected an integer');
    expect(cliError(() => parseOptions('search', ['--speedup', 'fast'], spec)).message).toContain('invalid --speedup "fast"');
    const unknown = cliError(() => parseOptions('search', ['--trails', '3'], spec));
    expect(unknown.message).toContain("Unknown option '--trails'");
    expect(unknown.message).toContain('Valid options: --searcher, --trials, --speedup, --help');
    expect(unknown.exitCode).toBe(2);
  });
  it('parses integer lists and ranges', () => {
    expect(parseIntList('sample', 'labels', '0-3,7', 0, 9)).toEqual([0, 1, 2, 3, 7]);
    expect(cliError(() => parseIntList('sample', 'labels', '3,12', 0, 9)).message).toContain('value 12 is out of range: expected 0..9');
    expect(cliError(() => parseIntList('sample', 'labels', 'a', 0, 9)).message).toContain('expected integers or ranges');
  });
});

describe('scheduleArg', () => {
  it('quotes the schedule with the bad position marked', () => {
    const e = cliError(() => scheduleArg('eval', 'schedule', 'F P1 X N | F N N N', 3));
    expect(e.message).toContain('invalid --schedule "F P1 »X« N | F N N N"');
    expect(e.message).toContain('Unknown token "X" at offset 5');
    expect(e.code).toBe('schedule-unknown-token');
    expect(cliError(() => scheduleArg('eval', 'schedule', 'F P3 N', 3)).message).toContain('"F »P3« N"');
    expect(cliError(() => scheduleArg('eval', 'schedule', 'F N | F', 3)).message).toMatch(/segment 0 has 2/);
    expect(cliError(() => scheduleArg('eval', 'schedule', undefined, 3)).code).toBe('missing-option');
  });
});

describe('formatDuration', () => {
  it('formats ETAs', () => {
    expect(formatDuration(61_000)).toBe('1:01');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });
});
