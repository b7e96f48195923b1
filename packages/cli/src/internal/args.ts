import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An error in the command line: printed as one line, exit code 2. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** What node:util's `parseArgs` read for one option: a string, a flag, every value of a repeatable option, or nothing. */
export type RawValue = string | boolean | readonly (string | boolean)[] | undefined;

/** Where a value is parsed, for error messages: `flexi <command>: … --<name> …`. */
export interface OptionContext {
  readonly command: string;
  readonly name: string;
}

/**
 * One command-line option: how `parseArgs` reads it, how `--help` shows it, and the parser that turns what was
 * typed into its value of type `T`. Build one with {@link text}, {@link texts}, {@link num}, {@link int},
 * {@link choice}, {@link flag} or {@link renamed}; a command's table is a record of them ({@link OptionTable}).
 *
 * @see ./options.ts for the definitions the commands share.
 */
export interface OptionDef<T> {
  readonly type: 'string' | 'boolean';
  /** Repeatable (`--x a --x b`): the parser gets every value. */
  readonly multiple?: boolean;
  readonly short?: string;
  readonly help: string;
  /** The value's placeholder in `--help`: `N`, `DIR`, `ddim|dpmpp-2m`. */
  readonly placeholder?: string;
  /** The default as `--help` shows it. */
  readonly defaultText?: string;
  /** Left out of `--help` and of the "Valid options" list (a renamed option). */
  readonly hidden?: boolean;
  /** Turns the raw value into the option's value; throws a {@link CliError} naming the bad value and the valid ones. */
  readonly parse: (raw: RawValue, at: OptionContext) => T;
}

/** A command's options by name (without the leading `--`). */
export type OptionTable = Readonly<Record<string, OptionDef<unknown>>>;

/** The parsed values of an {@link OptionTable}: each option's parser's type. */
export type OptionValues<S extends OptionTable> = { [K in keyof S]: S[K] extends OptionDef<infer T> ? T : never };

interface Described {
  readonly help: string;
  readonly placeholder?: string;
}

const rawString = (raw: RawValue): string | undefined => (typeof raw === 'string' ? raw : undefined);

/** A string option. */
export function text(o: Described & { readonly default: string }): OptionDef<string>;
export function text(o: Described & { readonly defaultText?: string }): OptionDef<string | undefined>;
export function text(o: Described & { readonly default?: string; readonly defaultText?: string }): OptionDef<string | undefined> {
  return {
    type: 'string',
    help: o.help,
    placeholder: o.placeholder ?? 'TEXT',
    defaultText: o.default ?? o.defaultText,
    parse: (raw) => rawString(raw) ?? o.default,
  };
}

/** A repeatable string option (`--x a --x b`): every value, in order; none given is `[]`. */
export function texts(o: Described & { readonly defaultText?: string }): OptionDef<string[]> {
  return {
    type: 'string',
    multiple: true,
    help: o.help,
    placeholder: o.placeholder ?? 'TEXT',
    defaultText: o.defaultText,
    parse: (raw) => (Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : []),
  };
}

interface NumberOptions extends Described {
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}

/** A number option in `min..max`. */
export function num(o: NumberOptions & { readonly default: number }): OptionDef<number>;
export function num(o: NumberOptions & { readonly defaultText?: string }): OptionDef<number | undefined>;
export function num(o: NumberOptions & { readonly default?: number; readonly defaultText?: string }): OptionDef<number | undefined> {
  const what = o.integer ? 'an integer' : 'a number';
  return {
    type: 'string',
    help: o.help,
    placeholder: o.placeholder ?? (o.integer ? 'N' : 'X'),
    defaultText: o.default !== undefined ? String(o.default) : o.defaultText,
    parse(raw, at) {
      const v = rawString(raw);
      if (v === undefined) return o.default;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || n < o.min || n > o.max) {
        throw new CliError('bad-option', `flexi ${at.command}: invalid --${at.name} "${v}": expected ${what} in ${o.min}..${o.max}.`);
      }
      return n;
    },
  };
}

type IntOptions = Omit<NumberOptions, 'integer'>;

/** An integer option in `min..max`. */
export function int(o: IntOptions & { readonly default: number }): OptionDef<number>;
export function int(o: IntOptions & { readonly defaultText?: string }): OptionDef<number | undefined>;
export function int(o: IntOptions & { readonly default?: number; readonly defaultText?: string }): OptionDef<number | undefined> {
  return o.default !== undefined ? num({ ...o, default: o.default, integer: true }) : num({ ...o, integer: true });
}

/**
 * One of `choices`; its value has their literal type (pass a package's exported constant, e.g. `NULL_MODES`).
 * A bad value: `flexi <command>: unsupported --<name> "x". Should be one of: a, b.`
 */
export function choice<const C extends string>(choices: readonly C[], o: Described & { readonly default: NoInfer<C> }): OptionDef<C>;
export function choice<const C extends string>(
  choices: readonly C[],
  o: Described & { readonly defaultText?: string },
): OptionDef<C | undefined>;
export function choice<const C extends string>(
  choices: readonly C[],
  o: Described & { readonly default?: NoInfer<C>; readonly defaultText?: string },
): OptionDef<C | undefined> {
  return {
    type: 'string',
    help: o.help,
    placeholder: o.placeholder ?? choices.join('|'),
    defaultText: o.default ?? o.defaultText,
    parse(raw, at) {
      const v = rawString(raw);
      if (v === undefined) return o.default;
      const found = choices.find((c) => c === v);
      if (found !== undefined) return found;
      throw new CliError('bad-option', `flexi ${at.command}: unsupported --${at.name} "${v}". Should be one of: ${choices.join(', ')}.`);
    },
  };
}

/** A boolean flag: `true` when given. */
export function flag(o: { readonly help: string; readonly short?: string }): OptionDef<boolean> {
  return { type: 'boolean', help: o.help, ...(o.short ? { short: o.short } : {}), parse: (raw) => raw === true };
}

/** An option that was renamed: hidden from `--help`; given, it is an error that names the new spelling. */
export function renamed(to: string): OptionDef<undefined> {
  return {
    type: 'string',
    help: '',
    hidden: true,
    parse(raw, at) {
      if (raw !== undefined) throw new CliError('renamed-option', `flexi ${at.command}: --${at.name} was renamed: use ${to}.`);
      return undefined;
    },
  };
}

/** Parse and validate a command's options; every error names the option, the value and the valid ones. */
export function parseOptions<S extends OptionTable>(
  command: string,
  argv: readonly string[],
  spec: S,
): { values: OptionValues<S>; positionals: string[] } {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(spec)) {
    config[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  let raw: { values: Record<string, RawValue>; positionals: string[] };
  try {
    raw = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const known = Object.entries(spec)
      .filter(([, o]) => !o.hidden)
      .map(([k]) => `--${k}`)
      .join(', ');
    throw new CliError('bad-option', `flexi ${command}: ${msg.replace(/\. To specify a positional.*$/s, '')}. Valid options: ${known}.`, {
      cause: e,
    });
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec)) values[name] = o.parse(raw.values[name], { command, name });
  // each entry is its own parser's result, which is what OptionValues<S> says; TypeScript cannot follow a loop over keys
  return { values: values as OptionValues<S>, positionals: raw.positionals };
}

/** Total width of `--help` lines; descriptions wrap below it. */
const HELP_WIDTH = 100;
/** Left columns wider than this put their description on the next line. */
const MAX_NAME_COLUMN = 36;

function wrap(words: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Help text of a command: a title line, the usage, and one aligned row per option (`--name VALUE`, then the
 * description and its default), wrapped at {@link HELP_WIDTH} columns.
 */
export function helpText(command: string, summary: string, spec: OptionTable, usage = '[options]'): string {
  const rows = Object.entries(spec)
    .filter(([, o]) => !o.hidden)
    .map(([name, o]) => {
      const left = `  --${name}${o.short ? `, -${o.short}` : ''}${o.type === 'string' && o.placeholder ? ` ${o.placeholder}` : ''}`;
      // the default stays on one line: "(default: 1)" is never split
      const right = `${o.help}${o.defaultText !== undefined ? ` (default:\u00a0${o.defaultText})` : ''}`;
      return { left, right };
    });
  const column = Math.min(MAX_NAME_COLUMN, Math.max(...rows.map((r) => r.left.length)) + 2);
  const lines = [`flexi ${command} — ${summary}`, '', `Usage: flexi ${command} ${usage}`, '', 'Options:'];
  for (const { left, right } of rows) {
    const body = wrap(right, HELP_WIDTH - column);
    const first = left.length + 2 <= column ? `${left.padEnd(column)}${body.shift() ?? ''}` : left;
    lines.push(first, ...body.map((l) => `${' '.repeat(column)}${l}`));
  }
  return lines.join('\n').replaceAll('\u00a0', ' ');
}

/** Parse a comma-separated list of integers ("0,1,2" or ranges "0-9"). */
export function parseIntList(command: string, option: string, text: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(-?\d+)(?:-(\d+))?$/.exec(part);
    if (!m)
      throw new CliError('bad-option', `flexi ${command}: invalid --${option} "${text}": expected integers or ranges like "0,3,5-9".`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new CliError('bad-option', `flexi ${command}: invalid range "${part}" in --${option}: the end is below the start.`);
    for (let i = a; i <= b; i++) {
      if (i < min || i > max)
        throw new CliError('bad-option', `flexi ${command}: --${option} value ${i} is out of range: expected ${min}..${max}.`);
      out.push(i);
    }
  }
  if (out.length === 0) throw new CliError('bad-option', `flexi ${command}: --${option} is empty: expected at least one integer.`);
  return out;
}
