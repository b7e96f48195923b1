import { NAME, QUEUE_DEFAULTS } from '../defaults.js';
import { QueueError } from '../errors.js';

/** Short description of a value for error messages. @internal */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (ArrayBuffer.isView(v))
    return `${(v as object).constructor?.name ?? 'typed array'}(${(v as unknown as { length?: number }).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

/** The message of an unknown thrown value. @internal */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * An integer option in [min, max], or its default when undefined.
 *
 * @throws {@link QueueError} `invalid-option` naming the option, the bad value and the range.
 * @internal
 */
export function intOption(value: unknown, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new QueueError('invalid-option', `Invalid ${name} ${describe(value)}: expected an integer ${range}.`);
  }
  return value;
}

/**
 * The queue name and key prefix of a driver or worker (defaults filled in), checked: the driver's
 * and the workers' must match, so both read them here.
 *
 * @throws {@link QueueError} `invalid-option` naming the bad value.
 * @internal
 */
export function queueNames(options: { readonly queueName?: unknown; readonly prefix?: unknown }): { queueName: string; prefix: string } {
  const name = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || !NAME.test(v)) {
      throw new QueueError('invalid-option', `Invalid ${key} ${describe(v)}: expected 1-100 of A-Z a-z 0-9 _ . -.`);
    }
    return v;
  };
  return {
    queueName: name('queueName', options.queueName ?? QUEUE_DEFAULTS.queueName),
    prefix: name('prefix', options.prefix ?? QUEUE_DEFAULTS.prefix),
  };
}
