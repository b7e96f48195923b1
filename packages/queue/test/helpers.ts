/**
 * What the Redis-backed tests share: whether redis-server is here (missing: the suites fail under
 * CI=true, and are skipped with a message elsewhere), the settings that make lock expiry and
 * stall checks take about a second, and a comparison of trials without their timings.
 */
import type { Trial } from '@flexiffusion/schedule';
import { describe, it } from 'vitest';
import { hasRedisServer, redisServerPath } from '../src/testing/index.js';

const CI = /^(1|true)$/i.test(process.env['CI'] ?? '');

/** Whether redis-server runs here. */
export const redisFound = hasRedisServer();

const MISSING = `redis-server was not found (${redisServerPath()}): the queue tests need it. Install it with \`apt-get install -y redis-server\` (Debian) or set REDIS_SERVER.`;

/** Register the "missing redis-server" failure (CI) or warning (elsewhere); returns whether to skip. */
export function skipWithoutRedis(suite: string): boolean {
  if (redisFound) return false;
  if (CI) {
    describe(suite, () => {
      it('needs redis-server in CI', () => {
        throw new Error(MISSING);
      });
    });
  } else console.warn(`[queue] Skipping "${suite}". ${MISSING} (Under CI=true this fails instead.)`);
  return true;
}

/** Worker settings for tests: a lost worker's job is free again within ~2 s. */
export const FAST = { lockDurationMs: 1000, stalledIntervalMs: 500 } as const;

/** Trials without what is wall time (durationMs, latencyMs, extractMs): the rest must be bit-identical. */
export function withoutTimings(trials: readonly Trial[]): unknown[] {
  return trials.map(({ durationMs: _d, metrics, ...t }) => ({
    ...t,
    ...(metrics ? { metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => k !== 'latencyMs' && k !== 'extractMs')) } : {}),
  }));
}
