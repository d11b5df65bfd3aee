import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    // Forked processes: the Temporal worker's native bridge does not belong in worker threads.
    pool: 'forks',
    // Test files run one after another: each starts a Temporal test server and opens many PostgreSQL
    // connections, and the machine has two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
