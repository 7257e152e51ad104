import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the run; each ledger test file makes its own databases on it.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Sockets, child processes and databases are real in many tests: leave room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
