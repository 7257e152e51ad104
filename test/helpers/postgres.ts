import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * Throwaway PostgreSQL clusters for tests: `initdb` into a temporary folder (as the `postgres` user
 * when running as root, since initdb refuses root), a random free loopback port, the unix socket in
 * the same folder, nothing left behind after `remove()`.
 */

const run = promisify(execFile);

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with ' +
  '`apt-get update && apt-get install -y postgresql` (Debian/Ubuntu), or set TOLLGATE_TEST_PG_URL to ' +
  'the URL of a server whose user may CREATE DATABASE.';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (mode `fast` by default; `immediate` is a crash without a checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port after `stop`. */
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  remove(): Promise<void>;
}

export interface StartPostgresOptions {
  /** fsync stays off by default: tests gain speed and lose nothing (the cluster is thrown away). */
  fsync?: boolean;
}

/** The folder holding `initdb` and `pg_ctl`, newest version first, or undefined. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.TOLLGATE_PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

async function runAsPostgres(bin: string, args: readonly string[]): Promise<void> {
  if (!isRoot) {
    await run(bin, [...args]);
    return;
  }
  const command = [bin, ...args].map(quote).join(' ');
  await run('su', ['postgres', '-s', '/bin/sh', '-c', command]);
}

/** Starts a new cluster. Throws with {@link POSTGRES_INSTALL_HINT} when the binaries are missing. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(POSTGRES_INSTALL_HINT);
  const folder = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  chmodSync(folder, 0o755);
  if (isRoot) {
    const { uid, gid } = await postgresUser();
    chownSync(folder, uid, gid);
  }
  const dataDir = join(folder, 'data');
  const logFile = join(folder, 'log');
  await runAsPostgres(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${folder}`,
    '-c listen_addresses=127.0.0.1',
    `-c fsync=${options.fsync ? 'on' : 'off'}`,
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const pgCtl = join(bin, 'pg_ctl');
  const start = () =>
    runAsPostgres(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start', '-o', serverOptions]);
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await runAsPostgres(pgCtl, ['-D', dataDir, '-w', '-t', '60', 'stop', '-m', mode]);
  };
  await start();
  const cluster = { folder, dataDir };
  running.add(cluster);
  cleanUpOnExit();
  let removed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop,
    start,
    async remove() {
      if (removed) return;
      removed = true;
      running.delete(cluster);
      try {
        await stop('immediate');
      } catch {
        killPostmaster(dataDir);
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Clusters not yet removed: stopped if the process exits first, so none outlives a killed run. */
const running = new Set<{ folder: string; dataDir: string }>();
let exitHooked = false;

/** SIGQUIT (immediate shutdown) to the cluster's postmaster, then waits (synchronously) until it is gone. */
function killPostmaster(dataDir: string): void {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    return; // Already gone.
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 3000; waited += 20) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    Atomics.wait(pause, 0, 0, 20);
  }
}

function cleanUpOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const cleanUp = () => {
    for (const cluster of running) {
      killPostmaster(cluster.dataDir);
      rmSync(cluster.folder, { recursive: true, force: true });
    }
    running.clear();
  };
  process.once('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (!uid || !gid) throw new Error(`cannot read the postgres user's ids from: ${stdout}`);
  return { uid: Number(uid), gid: Number(gid) };
}

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates a database with a random name on the server at `serverUrl` (one per test file or test). */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `tollgate_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** What the global setup hands to test files through vitest's `provide`/`inject`. */
export interface ProvidedPostgres {
  /** Server URL (its `postgres` database); null when no server could be had. */
  url: string | null;
  /** Why there is no server: tests needing PostgreSQL fail with this message. */
  error: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    tollgatePostgres: ProvidedPostgres;
  }
}
