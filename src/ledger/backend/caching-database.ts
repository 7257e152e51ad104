import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; on the hot path preparing costs more than
 * running. This wrapper (Kysely takes the database structurally) keeps the most recently used
 * prepared statements by SQL text. better-sqlite3 statements are reusable, and SQLite re-prepares
 * a cached statement by itself when the schema changes.
 */
export function cachingDatabase(database: SqliteDatabase, capacity = 200): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}
