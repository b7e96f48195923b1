/**
 * `@flexiffusion/queue/testing`: what the package's own tests use, for yours: a throwaway
 * `redis-server` on a free loopback port ({@link startRedisServer}) and a synthetic model whose
 * evaluation takes no network ({@link syntheticModel}).
 *
 * @packageDocumentation
 */
export { startRedisServer, hasRedisServer, redisServerPath, freePort } from './redis-server.js';
export type { TestRedisServer, StartRedisOptions } from './redis-server.js';
export { syntheticModel } from './synthetic.js';
export type { SyntheticModel, SyntheticModelOptions } from './synthetic.js';
