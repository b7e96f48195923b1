/**
 * `flexi search --queue` with two `flexi worker` processes on the embedded model, on a
 * password-protected redis-server started here: the trials are those of the local search; a
 * worker killed with SIGKILL mid-job and a driver killed with SIGKILL mid-search lose nothing
 * (`--resume` reads the finished jobs back). Without redis-server: fails under CI=true, skipped
 * with a message elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, hasRedisServer, startRedisServer, type TestRedisServer } from '@flexiffusion/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, flexi, MODEL, tmp } from './helpers.js';

const CI = /^(1|true)$/i.test(process.env['CI'] ?? '');
const found = hasRedisServer();
const MISSING =
  'redis-server was not found: the queue tests need it. Install it with `apt-get install -y redis-server` (Debian) or set REDIS_SERVER.';
if (!found && CI) {
  describe('flexi search --queue', () => {
    it('needs redis-server in CI', () => {
      throw new Error(MISSING);
    });
  });
} else if (!found) console.warn(`[cli] Skipping the queue tests. ${MISSING} (Under CI=true this fails instead.)`);

// 10-step teacher, 16 samples, 3 candidates per round, 6 trials
const SEARCH = [
  ...['search', '--model', MODEL, '--teacher-steps', '10', '--samples', '16', '--trials', '6', '--round-size', '3'],
  ...['--speedup', '1.5', '--baselines', 'none', '--grid-images', '0'],
];

/** trials.jsonl without the header and the wall-time fields. */
function trials(dir: string): unknown[] {
  return readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return []; // a line being written
      }
    })
    .filter((t) => t.number !== undefined)
    .map(({ durationMs: _d, metrics, ...t }) => ({
      ...t,
      metrics: Object.fromEntries(Object.entries(metrics ?? {}).filter(([k]) => k !== 'latencyMs' && k !== 'extractMs')),
    }))
    .sort((a, b) => a.number - b.number);
}

const finished = (dir: string): number => (existsSync(join(dir, 'trials.jsonl')) ? trials(dir).length : 0);

/** A `flexi` process whose stderr is collected; `until(re)` resolves when it prints a match. */
function start(args: string[]): {
  child: ChildProcess;
  log: () => string;
  until: (re: RegExp, ms?: number) => Promise<void>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const until = (re: RegExp, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (re.test(log)) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - t0 > ms || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`no ${re} from flexi ${args[0]} (exit ${child.exitCode}):\n${log}`));
        }
      }, 50);
    });
  return { child, log: () => log, until, exit };
}

const waitFor = async (cond: () => boolean, ms = 60_000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(!found)('flexi search --queue', () => {
  let redis: TestRedisServer;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer({ password: 's3cret' });
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await redis?.stop();
  });

  it('with two workers, a killed worker and a killed driver: the trials of the local run', { timeout: 90_000 }, async () => {
    const local = tmp();
    const r = await flexi([...SEARCH, '--cache-dir', join(local, 'cache'), '--out', local]);
    expect(r.code, r.stderr).toBe(0);

    const worker = (name: string) => {
      const w = start(['worker', '--queue', redis.url, '--model', MODEL, '--threads', '1', '--name', name, '--lock-duration', '2']);
      procs.push(w.child);
      return w;
    };
    const w1 = worker('w1');
    const w2 = worker('w2');
    await Promise.all([w1.until(/worker w1 .* on flexi:evaluations/), w2.until(/worker w2 .* on flexi:evaluations/)]);
    expect(w1.log()).not.toContain('s3cret');

    const out = tmp();
    const args = [...SEARCH, '--queue', redis.url, '--cache-dir', join(out, 'cache'), '--out', out];
    const driver = start(args);
    procs.push(driver.child);
    // kill -9 a worker in the middle of its first candidate: its job goes to the other after the stall interval
    await w1.until(/candidate /);
    w1.child.kill('SIGKILL');
    // kill -9 the driver once a trial is stored
    await waitFor(() => finished(out) >= 1);
    driver.child.kill('SIGKILL');
    await driver.exit;
    const before = finished(out);
    expect(before).toBeLessThan(6);

    const resumed = await flexi(['search', '--resume', out, '--queue', redis.url, '--cache-dir', join(out, 'cache')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('teacher statistics: from the queue');
    expect(resumed.stderr).not.toContain('s3cret');
    expect(trials(out)).toEqual(trials(local));
    expect(JSON.stringify(trials(out))).toBe(JSON.stringify(trials(local)));
    w2.child.kill('SIGTERM');
    expect(await w2.exit).toBe(0);
  });

  it('Redis unreachable: exit 1 naming the URL without its password, nothing written', { timeout: 60_000 }, async () => {
    const out = join(tmp(), 'search');
    const r = await flexi([...SEARCH, '--queue', `redis://:hunter2@127.0.0.1:${await freePort()}`, '--redis-timeout', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toContain('hunter2');
    expect(existsSync(out)).toBe(false);
  });
});
