import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * The pool Kysely sees: its clients run the listed statement texts as named (server-side
 * prepared) statements, parsed and planned once per connection instead of on every call. Only
 * for the write path's constant texts (see bulk-postgres.ts): planning an `unnest` of twenty-odd
 * array parameters, against a partitioned table, costs more than running it for one row
 * (measured: an upsert of one rollup cell, 0.65 ms unnamed, 0.23 ms named). Everything else
 * passes through as is: a name per varying text would grow each connection's cache without end.
 */
export function preparingPool(pool: pg.Pool, names: ReadonlyMap<string, string>): PostgresPool {
  return {
    get options() {
      return pool.options;
    },
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      // The client itself underneath (its processID, its release), with `query` naming known texts.
      const wrapped = Object.create(client) as pg.PoolClient;
      wrapped.query = ((text: unknown, values?: unknown[]) => {
        const name = typeof text === 'string' ? names.get(text) : undefined;
        if (name !== undefined) return client.query({ name, text: text as string, values });
        return client.query(text as string, values);
      }) as pg.PoolClient['query'];
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
