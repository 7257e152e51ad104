import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { runCli } from './cli-helpers.ts';

const BIN = fileURLToPath(new URL('../bin/tollgate.js', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-serve-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tollgate serve', () => {
  it('starts on the simulator without a key, says so, serves, and drains in-flight calls on SIGTERM', async () => {
    const db = join(dir, 'serve.db');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      env: { ...process.env, TOLLGATE_DB: db, TOLLGATE_LOG_LEVEL: 'warn', OPENROUTER_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!/listening on (http:\/\/\S+)/.test(output) && Date.now() < deadline)
      await new Promise((wake) => setTimeout(wake, 20));
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    expect(output).toMatch(/SIMULATOR/);
    expect(output).toMatch(/loopback only/);

    const plain = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(plain.status).toBe(200);

    // A slow stream is in flight when SIGTERM arrives: it must still finish, and its row be written.
    const streaming = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-simulator-fault': 'slow-stream;ms=20' },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        max_tokens: 60,
      }),
    });
    const id = streaming.headers.get('x-tollgate-request-id') ?? '';
    const reader = streaming.body?.getReader();
    const first = await reader?.read();
    expect(first?.done).toBe(false);
    child.kill('SIGTERM');
    let text = new TextDecoder().decode(first?.value);
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      text += new TextDecoder().decode(next.value);
    }
    expect(text).toContain('data: [DONE]');
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGTERM received/);

    const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null });
    try {
      expect((await ledger.getRequest(id))?.status).toBe('ok');
      expect((await ledger.reports.recent({ limit: 10 })).filter((row) => row.status === 'pending')).toEqual(
        [],
      );
    } finally {
      await ledger.close();
    }
  });

  it('refuses a bad flag in one line with exit code 2', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--port must be a whole number/);
  });

  /** Runs `tollgate serve` to its exit (a start-up failure must exit, not hang on what it opened). */
  const serveUntilExit = (args: string[], env: Record<string, string>) =>
    runCli(['serve', ...args], { env: { TOLLGATE_LOG_LEVEL: 'info', ...env }, cwd: dir });

  it('a database it cannot use is reported like every other command, and it exits', async () => {
    // No key: the in-process simulator starts first, and must be closed again for the process to end.
    const result = await serveUntilExit(['--port', '0', '--db', 'mysql://x/y'], { OPENROUTER_API_KEY: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^tollgate serve: Unsupported database URL scheme in "mysql:\/\/x\/y".*\(check --db or TOLLGATE_DB\)\n$/,
    );
  });

  it('a port in use gets one line that says how to fix it, and no log on stdout', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const result = await serveUntilExit(['--port', String(port), '--db', join(dir, 'taken.db')], {
        OPENROUTER_API_KEY: '',
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `tollgate serve: cannot listen on 127.0.0.1:${port}: the port is in use. Stop what listens there, or pick another --port (0 = any free port) or TOLLGATE_PORT.\n`,
      );
    } finally {
      taken.close();
    }
  });
});
