import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI shares 2 cores with other work: a default 5 s timeout failed a 1.3 s test under load.
    testTimeout: 60_000,
  },
});
