import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the machine that runs these may be busy; the d = 2048 fixtures set their own limits
    testTimeout: 60_000,
  },
});
