import { QueueError } from './errors.js';
import { describe } from './internal/describe.js';

/**
 * Where Redis is, as {@link parseRedisUrl} reads it from a URL. The fields are those of ioredis'
 * options of the same names, so the object can be passed to BullMQ as it is.
 *
 * @public
 */
export interface RedisConnectionOptions {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** TCP port (default 6379). */
  readonly port: number;
  /** ACL user name (Redis 6+), when the URL gives one. */
  readonly username?: string;
  /** Password (`requirepass` or the ACL user's), when the URL gives one. */
  readonly password?: string;
  /** Database number (the URL's path, default 0). */
  readonly db?: number;
  /**
   * TLS options for `rediss://` URLs: the server name checked against the certificate. Node's
   * usual trust store applies (add a private CA with `NODE_EXTRA_CA_CERTS`).
   */
  readonly tls?: {
    /** The host name the certificate must be for. */
    readonly servername: string;
  };
}

/** What {@link createQueueEvaluator} and {@link createQueueWorker} accept as `connection`. @public */
export type QueueConnection = string | RedisConnectionOptions;

const SCHEMES = ['redis:', 'rediss:'];

/**
 * A Redis URL with its password replaced by `***`, for messages and logs. Strings that are not
 * URLs are masked the same way wherever they look like `user:password@`.
 *
 * @param url - A `redis://` or `rediss://` URL.
 * @returns The URL, safe to print.
 * @example
 * ```ts
 * redactRedisUrl('redis://:s3cret@gpu-box:6379/0'); // 'redis://:***@gpu-box:6379/0'
 * ```
 * @public
 */
export function redactRedisUrl(url: string): string {
  return String(url).replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Parse a Redis URL into connection options: `redis://[user[:password]@]host[:port][/db]`, or
 * `rediss://…` for TLS. User and password are percent-decoded; an IPv6 host goes in brackets
 * (`redis://[::1]:6379`). Query parameters are not accepted (an option that would be silently
 * ignored is an error).
 *
 * Never expose a Redis without a password (and, across networks, without TLS): anyone who
 * reaches it can read and rewrite every job and result.
 *
 * @param url - The URL.
 * @returns Frozen {@link RedisConnectionOptions}.
 * @throws {@link QueueError} `invalid-url` naming the URL (password redacted) and the valid forms.
 * @example
 * ```ts
 * parseRedisUrl('rediss://worker:pw@redis.lan:6380/2');
 * // { host: 'redis.lan', port: 6380, username: 'worker', password: 'pw', db: 2, tls: { servername: 'redis.lan' } }
 * ```
 * @public
 */
export function parseRedisUrl(url: string): RedisConnectionOptions {
  const bad = (why: string): QueueError =>
    new QueueError(
      'invalid-url',
      `Invalid Redis URL ${JSON.stringify(redactRedisUrl(String(url)))}: ${why}. ` +
        'Expected redis://[user[:password]@]host[:port][/db] or rediss://… (TLS).',
    );
  if (typeof url !== 'string' || url.trim() === '') throw bad(`got ${describe(url)}`);
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw bad('not a URL');
  }
  if (!SCHEMES.includes(u.protocol)) throw bad(`the scheme is "${u.protocol.replace(/:$/, '')}"`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${u.port}`);
  const path = u.pathname.replace(/^\//, '');
  let db: number | undefined;
  if (path !== '') {
    if (!/^\d+$/.test(path) || Number(path) > 65535) throw bad(`the database "${path}" is not a number`);
    db = Number(path);
  }
  if (u.search !== '' || u.hash !== '') throw bad('query parameters and fragments are not supported');
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw bad('the user or password has a bad percent-escape');
    }
  };
  const username = u.username === '' ? undefined : decode(u.username);
  const password = u.password === '' ? undefined : decode(u.password);
  return Object.freeze({
    host,
    port,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(db === undefined ? {} : { db }),
    ...(u.protocol === 'rediss:' ? { tls: Object.freeze({ servername: host }) } : {}),
  });
}

/**
 * The connection as a URL with the password redacted, for messages: `redis://:***@host:6379/0`.
 *
 * @param connection - A URL or parsed options.
 * @returns The printable URL.
 * @public
 */
export function describeConnection(connection: QueueConnection): string {
  if (typeof connection === 'string') return redactRedisUrl(connection);
  const c = connection;
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  const auth =
    c.username !== undefined || c.password !== undefined
      ? `${encodeURIComponent(c.username ?? '')}${c.password !== undefined ? ':***' : ''}@`
      : '';
  return `${c.tls ? 'rediss' : 'redis'}://${auth}${host}:${c.port}${c.db ? `/${c.db}` : ''}`;
}

/**
 * Resolve a {@link QueueConnection} to options (parsing a URL), checking parsed options too.
 *
 * @internal
 */
export function resolveConnection(connection: QueueConnection): RedisConnectionOptions {
  if (typeof connection === 'string') return parseRedisUrl(connection);
  if (typeof connection !== 'object' || connection === null || typeof connection.host !== 'string' || connection.host === '') {
    throw new QueueError(
      'invalid-option',
      `Invalid connection ${describe(connection)}: expected a redis:// URL or { host, port, password?, tls? }.`,
    );
  }
  const port = connection.port ?? 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new QueueError('invalid-option', `Invalid connection port ${describe(connection.port)}: expected an integer in [1, 65535].`);
  }
  return Object.freeze({ ...connection, port });
}
