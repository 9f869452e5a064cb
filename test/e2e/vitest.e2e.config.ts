import { defineConfig } from 'vitest/config';

/** Browser tests: `npx vitest run --config test/e2e/vitest.e2e.config.ts`. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One browser-heavy file at a time keeps timings honest on small machines.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
