import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SamplerName } from '@flexiffusion/runtime';
import type { NullMode } from '@flexiffusion/schedule';
import { choice, CliError, flag, helpText, int, num, parseIntList, parseOptions, renamed, text, texts } from '../src/internal/args.js';
import { DEVICES } from '../src/internal/model.js';
import { generationOptions, modelOptions, options } from '../src/internal/options.js';
import { scheduleArg } from '../src/internal/schedule-arg.js';
import { formatDuration } from '../src/internal/progress.js';
import { evalSpec } from '../src/commands/eval.js';
import { reportSpec } from '../src/commands/report.js';
import { sampleSpec } from '../src/commands/sample.js';
import { searchSpec } from '../src/commands/search.js';

const spec = {
  searcher: choice(['evo', 'grid', 'random'], { default: 'evo', help: '' }),
  trials: int({ default: 10, min: 1, max: 100, help: '' }),
  speedup: num({ default: 2, min: 1, max: 10, help: '' }),
  help: flag({ help: '' }),
};

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
    expect(cliError(() => parseOptions('search', ['--trials', '0'], spec)).message).toContain(
      'invalid --trials "0": expected an integer in 1..100',
    );
    expect(cliError(() => parseOptions('search', ['--trials', '2.5'], spec)).message).toContain('expected an integer');
    expect(cliError(() => parseOptions('search', ['--speedup', 'fast'], spec)).message).toContain('invalid --speedup "fast"');
    const unknown = cliError(() => parseOptions('search', ['--trails', '3'], spec));
    expect(unknown.message).toContain("Unknown option '--trails'");
    expect(unknown.message).toContain('Valid options: --searcher, --trials, --speedup, --help');
    expect(unknown.exitCode).toBe(2);
  });
  it('types each value by its definition: choices are literal unions, defaults make it defined', () => {
    const table = { ...modelOptions, ...generationOptions, 'teacher-sampler': options['teacher-sampler'] };
    const { values } = parseOptions('sample', ['--sampler', 'dpmpp-2m', '--null-mode=reuse'], table);
    expectTypeOf(values.sampler).toEqualTypeOf<SamplerName>();
    expectTypeOf(values['teacher-sampler']).toEqualTypeOf<SamplerName | undefined>();
    expectTypeOf(values['null-mode']).toEqualTypeOf<NullMode>();
    expectTypeOf(values.guidance).toEqualTypeOf<number | undefined>();
    expectTypeOf(values['batch-size']).toEqualTypeOf<number>();
    expectTypeOf(values.model).toEqualTypeOf<string>();
    expect(values).toMatchObject({ sampler: 'dpmpp-2m', 'null-mode': 'reuse', model: 'fashion', device: 'cpu', 'batch-size': 32 });
    expect(values['teacher-sampler']).toBeUndefined();
    expect(cliError(() => parseOptions('sample', ['--sampler', 'euler'], generationOptions)).message).toBe(
      'flexi sample: unsupported --sampler "euler". Should be one of: ddim, dpmpp-2m, dpmpp-3m, unipc.',
    );
    expect(cliError(() => parseOptions('sample', ['--device', 'tpu'], modelOptions)).message).toBe(
      `flexi sample: unsupported --device "tpu". Should be one of: ${DEVICES.join(', ')}.`,
    );
  });
  it('repeatable options keep every value; renamed ones say the new spelling and are hidden', () => {
    const table = { prompt: texts({ help: 'a prompt' }), name: text({ help: '' }), 'old-name': renamed('--name') };
    const { values } = parseOptions('x', ['--prompt', 'a', '--prompt=b c'], table);
    expect(values).toEqual({ prompt: ['a', 'b c'], name: undefined, 'old-name': undefined });
    expect(parseOptions('x', [], table).values.prompt).toEqual([]);
    const e = cliError(() => parseOptions('x', ['--old-name', 'v'], table));
    expect(e.message).toBe('flexi x: --old-name was renamed: use --name.');
    expect(e.exitCode).toBe(2);
    expect(cliError(() => parseOptions('x', ['--nope'], table)).message).toContain('Valid options: --prompt, --name.');
    expect(helpText('x', 'test', table)).not.toContain('old-name');
  });
  it('parses integer lists and ranges', () => {
    expect(parseIntList('sample', 'labels', '0-3,7', 0, 9)).toEqual([0, 1, 2, 3, 7]);
    expect(cliError(() => parseIntList('sample', 'labels', '3,12', 0, 9)).message).toContain('value 12 is out of range: expected 0..9');
    expect(cliError(() => parseIntList('sample', 'labels', 'a', 0, 9)).message).toContain('expected integers or ranges');
  });
});

describe('helpText', () => {
  const specs = { search: searchSpec, sample: sampleSpec, eval: evalSpec, report: reportSpec };
  for (const [name, table] of Object.entries(specs)) {
    it(`flexi ${name} --help: one aligned column, a space between the value and the description, short lines`, () => {
      const help = helpText(name, 'summary', table);
      const rows = help.split('\n').slice(help.split('\n').indexOf('Options:') + 1);
      const starts = new Set<number>();
      for (const row of rows) {
        expect(row.length, row).toBeLessThanOrEqual(100);
        const m = /^( {2}--\S+(?:, -\w)?(?: \S+)?)( +)\S/.exec(row);
        if (/^ {2}--\S+(?:, -\w)?(?: \S+)?$/.test(row)) continue; // a name too wide for the column: its description starts on the next line
        if (m) {
          expect(m[2]!.length, row).toBeGreaterThanOrEqual(2);
          starts.add(m[1]!.length + m[2]!.length);
        } else expect(row, 'a continuation line').toMatch(/^ {20,}\S/);
      }
      expect(starts.size).toBe(1);
    });
  }
  it('shows choices, placeholders and defaults', () => {
    const help = helpText('eval', 'summary', evalSpec);
    // wider than the name column: the description starts on the next line, in the column
    expect(help).toMatch(/\n {2}--teacher-sampler ddim\|dpmpp-2m\|dpmpp-3m\|unipc\n {20,}sampler of the teacher \(default: --sampler\)\n/);
    expect(help).toMatch(/ {2}--batch-size N {2,}samples per network batch \(default: 32\)/);
    expect(help).toMatch(/ {2}--help, -h {2,}show this help/);
    expect(help).not.toContain('gen-batch');
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
