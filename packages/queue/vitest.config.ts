import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the Redis tests wait for lock expiry and stall checks (1-3 s each) and start child processes
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
