import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgres } from './postgres.ts';

/**
 * Vitest global setup: one throwaway PostgreSQL server for the whole run (each test file then
 * creates its own databases on it), or the server named by TOLLGATE_TEST_PG_URL. When no server can
 * be had, the reason is provided instead and every test that needs PostgreSQL fails with it; tests
 * that don't need it still run. Nothing is skipped silently.
 */
let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const fromEnv = process.env.TOLLGATE_TEST_PG_URL;
  if (fromEnv) {
    project.provide('tollgatePostgres', { url: fromEnv, error: null });
    return;
  }
  try {
    server = await startPostgres();
    project.provide('tollgatePostgres', { url: server.url, error: null });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const prefix = process.env.CI ? 'CI: PostgreSQL is required for the ledger tests. ' : '';
    project.provide('tollgatePostgres', { url: null, error: `${prefix}${reason}` });
  }
}

export async function teardown(): Promise<void> {
  await server?.remove();
  server = undefined;
}
