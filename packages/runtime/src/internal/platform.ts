import { RuntimeError } from '../errors.js';

/**
 * The part of the standard `AbortSignal` that the runtime uses. A DOM or Node `AbortSignal` is one.
 *
 * @public
 */
export interface AbortSignalLike {
  /** Whether the signal has fired. */
  readonly aborted: boolean;
  /** Why it fired. */
  readonly reason?: unknown;
}

/** Throw `aborted` when the signal has fired. @internal */
export function throwIfAborted(signal: AbortSignalLike | undefined, what: string): void {
  if (signal?.aborted) {
    throw new RuntimeError('aborted', `${what} was aborted${signal.reason instanceof Error ? `: ${signal.reason.message}` : ''}.`, {
      cause: signal.reason,
    });
  }
}

interface GlobalsLike {
  performance?: { now(): number };
  TextDecoder?: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
  TextEncoder?: new () => { encode(text: string): Uint8Array };
  crypto?: { subtle?: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };
  setTimeout?: (callback: () => void, ms: number) => unknown;
}

const g = globalThis as unknown as GlobalsLike;

/** Milliseconds from a monotonic clock where there is one. @internal */
export function now(): number {
  return g.performance ? g.performance.now() : Date.now();
}

/** Decode UTF-8 bytes (fatal on invalid input). @internal */
export function utf8Decode(bytes: Uint8Array): string {
  if (!g.TextDecoder) throw new RuntimeError('unsupported', 'This platform has no TextDecoder: cannot decode UTF-8 text.');
  return new g.TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** Encode a string as UTF-8. @internal */
export function utf8Encode(text: string): Uint8Array {
  if (!g.TextEncoder) throw new RuntimeError('unsupported', 'This platform has no TextEncoder: cannot encode UTF-8 text.');
  return new g.TextEncoder().encode(text);
}

/** SHA-256 as lowercase hex, or `null` where the platform has no Web Crypto. @internal */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = g.crypto?.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Give the event loop a turn (lets abort signals and progress callbacks through). @internal */
export function yieldToEventLoop(): Promise<void> {
  const st = g.setTimeout;
  return st ? new Promise((resolve) => void st(resolve, 0)) : Promise.resolve();
}
