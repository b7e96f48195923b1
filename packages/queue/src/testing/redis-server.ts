import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `redis-server` started for a test: on a free loopback port, with a temporary folder, no
 * persistence (`--save ''`, `--appendonly no`) and no system service.
 *
 * @public
 */
export interface TestRedisServer {
  /** `redis://[:password@]127.0.0.1:<port>`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** The server's process id. */
  readonly pid: number;
  /** Stop the server (SIGTERM, then SIGKILL after 2 s) and remove its folder. */
  stop(): Promise<void>;
}

/**
 * Options of {@link startRedisServer}.
 *
 * @public
 */
export interface StartRedisOptions {
  /** Port to listen on; default a free one. */
  readonly port?: number;
  /** `requirepass`; the URL then carries it. */
  readonly password?: string;
  /** Path of the binary; default `$REDIS_SERVER` or `redis-server` on the PATH. */
  readonly binary?: string;
  /** How long to wait for the server to accept connections, in ms (default 10 000). */
  readonly timeoutMs?: number;
}

/** Path of the `redis-server` binary the helpers use: `$REDIS_SERVER` or `redis-server`. @public */
export function redisServerPath(): string {
  return process.env['REDIS_SERVER'] ?? 'redis-server';
}

/**
 * Whether `redis-server` can be run here (`redis-server --version` succeeds).
 *
 * @param binary - Path of the binary (default {@link redisServerPath}).
 * @returns `true` when it runs.
 * @public
 */
export function hasRedisServer(binary: string = redisServerPath()): boolean {
  try {
    return spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/**
 * A free TCP port on 127.0.0.1 (the OS picks it; it is released at once, so a race with another
 * process is possible but unlikely).
 *
 * @returns The port.
 * @public
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start a throwaway `redis-server` for tests and benchmarks: bound to 127.0.0.1 only, on a free
 * port, in a temporary folder, without persistence. Stop it with `stop()`.
 *
 * @param options - Port, password, binary, start timeout.
 * @returns The running server.
 * @throws Error when the binary is missing or the server does not start in time (with its output).
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * try {
 *   // ... createQueueWorker({ connection: redis.url, ... })
 * } finally {
 *   await redis.stop();
 * }
 * ```
 * @public
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'flexi-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const binary = options.binary ?? redisServerPath();
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (d: Buffer): void => {
    output += d.toString();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.timeoutMs ?? 10_000);
    child.once('error', (e) => {
      output += String(e);
      clearTimeout(timer);
      resolve(false);
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
    const poll = setInterval(() => {
      if (/Ready to accept connections/i.test(output)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(true);
      }
    }, 20);
    void exited.then(() => clearInterval(poll));
    setTimeout(() => clearInterval(poll), options.timeoutMs ?? 10_000).unref();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (!ready) {
    await stop();
    throw new Error(`redis-server (${binary}) did not start on 127.0.0.1:${port}: ${output.trim().slice(-2000) || 'no output'}`);
  }
  child.stdout?.off('data', onData);
  child.stdout?.resume();
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return Object.freeze({ url: `redis://${auth}127.0.0.1:${port}`, port, pid: child.pid!, stop });
}
