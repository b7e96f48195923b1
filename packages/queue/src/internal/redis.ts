import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { describeConnection, type RedisConnectionOptions } from '../connection.js';
import { QueueError } from '../errors.js';
import { errorMessage } from './describe.js';

/** Delay before reconnect attempt `times` (1-based): 250 ms doubling, at most 5 s. @internal */
export function retryDelay(times: number): number {
  return Math.min(250 * 2 ** Math.min(times - 1, 10), 5000);
}

/**
 * An ioredis `retryStrategy` that gives up once the delays of the attempts made add up to more
 * than `retryForMs` (ioredis counts attempts from the last successful connection, so the window
 * restarts after every reconnection). Stateless: one function serves every connection.
 *
 * @internal
 */
export function boundedRetryStrategy(retryForMs: number): (times: number) => number | null {
  return (times) => {
    let total = 0;
    for (let t = 1; t <= times; t++) total += retryDelay(t);
    return total > retryForMs ? null : retryDelay(times);
  };
}

/** ioredis options of a long-lived connection: the given place, bounded reconnection, no ready check spam. @internal */
export function ioredisOptions(c: RedisConnectionOptions, retryForMs: number, extra: RedisOptions = {}): RedisOptions {
  return {
    host: c.host,
    port: c.port,
    ...(c.username === undefined ? {} : { username: c.username }),
    ...(c.password === undefined ? {} : { password: c.password }),
    ...(c.db === undefined ? {} : { db: c.db }),
    ...(c.tls === undefined ? {} : { tls: { ...c.tls } }),
    connectTimeout: Math.max(1000, Math.min(10_000, retryForMs)),
    retryStrategy: boundedRetryStrategy(retryForMs),
    ...extra,
  };
}

/** {@link ioredisOptions} typed for BullMQ's `connection` (the same ioredis options). @internal */
export function bullConnection(c: RedisConnectionOptions, retryForMs: number, extra: RedisOptions = {}): ConnectionOptions {
  return ioredisOptions(c, retryForMs, extra) as ConnectionOptions;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Reach Redis: connect and PING, retrying with backoff (250 ms doubling to 5 s) for about
 * `retryForMs`, then throw. Each failure is reported to `onRetry`. Returns a connected client
 * whose own reconnection is bounded the same way.
 *
 * @throws {@link QueueError} `redis-unreachable` naming the URL (password redacted), the tries and
 *   the last error; `aborted` when `signal` fires.
 * @internal
 */
export async function connectRedis(
  c: RedisConnectionOptions,
  options: { retryForMs: number; signal?: AbortSignal | undefined; onRetry?: ((message: string, attempt: number) => void) | undefined },
): Promise<Redis> {
  const start = Date.now();
  let attempt = 0;
  let last = '';
  for (;;) {
    attempt++;
    const probe = new Redis(
      ioredisOptions(c, 0, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false }),
    );
    let emitted: unknown;
    probe.on('error', (e: unknown) => {
      emitted ??= e;
    });
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (e) {
      probe.disconnect();
      // ioredis rejects connect() with "Connection is closed." and emits the cause (ECONNREFUSED, WRONGPASS) as an event
      last = errorMessage(emitted ?? e) || 'connection closed';
      if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(last)) {
        throw new QueueError(
          'redis-unreachable',
          `Redis at ${describeConnection(c)} refused the credentials: ${last}. Check the password (and user) in the URL.`,
          { cause: e },
        );
      }
    }
    if (options.signal?.aborted) throw new QueueError('aborted', `Connecting to Redis at ${describeConnection(c)} was aborted.`);
    const elapsed = Date.now() - start;
    const delay = retryDelay(attempt);
    if (elapsed + delay > options.retryForMs) {
      throw new QueueError(
        'redis-unreachable',
        `Cannot reach Redis at ${describeConnection(c)}: ${last} (${attempt} tries over ${(elapsed / 1000).toFixed(1)} s). ` +
          'Is redis-server running there, and is the host, port and password right?',
      );
    }
    options.onRetry?.(`Redis at ${describeConnection(c)} is unreachable (${last}); retrying in ${(delay / 1000).toFixed(2)} s`, attempt);
    await sleep(delay, options.signal);
  }
  const client = new Redis(ioredisOptions(c, options.retryForMs, { maxRetriesPerRequest: null }));
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    if (client.status === 'ready') return resolve();
    client.once('ready', () => resolve());
    client.once('end', () => reject(new QueueError('redis-unreachable', `Lost Redis at ${describeConnection(c)} while connecting.`)));
  });
  return client;
}

/** Store bytes under a key (with a TTL in seconds, 0 = none). @internal */
export async function setBlob(client: Redis, key: string, bytes: Uint8Array, ttlS: number): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ttlS > 0) await client.set(key, buf, 'EX', ttlS);
  else await client.set(key, buf);
}

/** The bytes under a key, or `undefined`. @internal */
export async function getBlob(client: Redis, key: string): Promise<Uint8Array | undefined> {
  const buf = await client.getBuffer(key);
  return buf === null ? undefined : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
