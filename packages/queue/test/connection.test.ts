import { describe, expect, it } from 'vitest';
import { describeConnection, parseRedisUrl, QueueError, redactRedisUrl } from '../src/index.js';

describe('parseRedisUrl', () => {
  it('reads host, port, user, password and database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(parseRedisUrl('redis://gpu-box')).toEqual({ host: 'gpu-box', port: 6379 });
    expect(parseRedisUrl('redis://:s3cr%40t@gpu-box:6379/2')).toEqual({ host: 'gpu-box', port: 6379, password: 's3cr@t', db: 2 });
    expect(parseRedisUrl('redis://worker:pw@[::1]:7000')).toEqual({ host: '::1', port: 7000, username: 'worker', password: 'pw' });
  });

  it('turns rediss:// into TLS with the host as server name', () => {
    expect(parseRedisUrl('rediss://:pw@redis.example.org:6380')).toEqual({
      host: 'redis.example.org',
      port: 6380,
      password: 'pw',
      tls: { servername: 'redis.example.org' },
    });
  });

  it('names the bad URL without its password, and the valid forms', () => {
    for (const [url, why] of [
      ['http://:pw@host:6379', 'the scheme is "http"'],
      ['redis://:pw@host:99999', 'not a URL'],
      ['redis://:pw@host:6379/x', 'the database "x" is not a number'],
      ['redis://:pw@host:6379?tls=1', 'query parameters'],
      ['', 'got ""'],
    ] as const) {
      let err: unknown;
      try {
        parseRedisUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueueError);
      expect((err as QueueError).code).toBe('invalid-url');
      expect((err as Error).message).toContain(why);
      expect((err as Error).message).toContain('Expected redis://[user[:password]@]host[:port][/db]');
      expect((err as Error).message).not.toContain(':pw@');
    }
  });
});

describe('redaction', () => {
  it('never prints a password', () => {
    expect(redactRedisUrl('redis://:s3cret@gpu-box:6379/0')).toBe('redis://:***@gpu-box:6379/0');
    expect(redactRedisUrl('rediss://user:s3cret@h')).toBe('rediss://user:***@h');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(describeConnection(parseRedisUrl('rediss://u:pw@h:1/3'))).toBe('rediss://u:***@h:1/3');
    expect(describeConnection({ host: '::1', port: 6379, password: 'x' })).toBe('redis://:***@[::1]:6379');
  });
});
