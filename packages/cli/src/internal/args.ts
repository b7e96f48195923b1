import { parseArgs } from 'node:util';

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

export type OptionSpec =
  | { readonly type: 'string'; readonly default?: string; readonly choices?: readonly string[]; readonly help: string; readonly short?: string }
  | { readonly type: 'number'; readonly default?: number; readonly min?: number; readonly max?: number; readonly integer?: boolean; readonly help: string }
  | { readonly type: 'boolean'; readonly help: string; readonly short?: string };

export type Parsed<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K] extends { type: 'boolean' } ? boolean : S[K] extends { type: 'number' } ? number | undefined : string | undefined;
};

/** Parse and validate a command's options; every error names the option, the value and the valid ones. */
export function parseOptions<S extends Record<string, OptionSpec>>(
  command: string,
  argv: readonly string[],
  spec: S,
): { values: Parsed<S>; positionals: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(spec)) {
    config[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...('short' in o && o.short ? { short: o.short } : {}) };
  }
  let raw: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    raw = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true }) as typeof raw;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
    throw new CliError('bad-option', `flexi ${command}: ${msg.replace(/\. To specify a positional.*$/s, '')}. Valid options: ${known}.`, { cause: e });
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec)) {
    const v = raw.values[name];
    if (o.type === 'boolean') {
      values[name] = v === true;
    } else if (o.type === 'string') {
      const s = (v as string | undefined) ?? o.default;
      if (s !== undefined && o.choices && !o.choices.includes(s)) {
        throw new CliError('bad-option', `flexi ${command}: unsupported --${name} "${s}". Should be one of: ${o.choices.join(', ')}.`);
      }
      values[name] = s;
    } else {
      if (v === undefined) {
        values[name] = o.default;
        continue;
      }
      const n = Number(v);
      const range = `${o.min ?? '-∞'}..${o.max ?? '∞'}`;
      if (String(v).trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw new CliError('bad-option', `flexi ${command}: invalid --${name} "${String(v)}": expected ${o.integer ? 'an integer' : 'a number'} in ${range}.`);
      }
      values[name] = n;
    }
  }
  return { values: values as Parsed<S>, positionals: raw.positionals };
}

/** Help text of a command. */
export function helpText(command: string, summary: string, spec: Record<string, OptionSpec>, usage = ''): string {
  const lines = [`flexi ${command}${usage ? ` ${usage}` : ''} — ${summary}`, '', 'Options:'];
  for (const [name, o] of Object.entries(spec)) {
    const def = 'default' in o && o.default !== undefined ? ` (default: ${String(o.default)})` : '';
    const choices = o.type === 'string' && o.choices ? ` [${o.choices.join('|')}]` : '';
    lines.push(`  --${name}${choices}`.padEnd(34) + `${o.help}${def}`);
  }
  return lines.join('\n');
}

/** Parse a comma-separated list of integers ("0,1,2" or ranges "0-9"). */
export function parseIntList(command: string, option: string, text: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(-?\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CliError('bad-option', `flexi ${command}: invalid --${option} "${text}": expected integers or ranges like "0,3,5-9".`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new CliError('bad-option', `flexi ${command}: invalid range "${part}" in --${option}: the end is below the start.`);
    for (let i = a; i <= b; i++) {
      if (i < min || i > max) throw new CliError('bad-option', `flexi ${command}: --${option} value ${i} is out of range: expected ${min}..${max}.`);
      out.push(i);
    }
  }
  if (out.length === 0) throw new CliError('bad-option', `flexi ${command}: --${option} is empty: expected at least one integer.`);
  return out;
}
