import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_FAULTS } from '../src/simulator/index.ts';

const BIN = fileURLToPath(new URL('../bin/tollgate.js', import.meta.url));

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitFor(r: Run, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(r.stdout());
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`timed out; stdout=${r.stdout()} stderr=${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tollgate simulate (real CLI)', () => {
  it('prints the real URL for --port 0, serves it, and stops cleanly on SIGTERM', async () => {
    const r = run(['--port', '0', '--generation-lag-ms', '0']);
    try {
      const [, url = ''] = await waitFor(
        r,
        /tollgate simulator listening on (http:\/\/127\.0\.0\.1:(\d+)\/api\/v1)\n/,
      );
      expect(url).not.toMatch(/:0\//);
      expect((await fetch(`${url}/models`)).status).toBe(200);
      const res = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer cli-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
      expect(r.stdout()).toContain('tollgate simulator stopped');
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('prints the management key in strict mode, and it works', async () => {
    const r = run(['--strict-keys']);
    try {
      const [, url = ''] = await waitFor(r, /listening on (\S+)\n/);
      const [, key = ''] = await waitFor(r, /management key: (\S+)\n/);
      expect((await fetch(`${url}/credits`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
        200,
      );
      expect(
        (await fetch(`${url}/credits`, { headers: { authorization: 'Bearer sk-or-v1-nobody' } })).status,
      ).toBe(401);
      r.child.kill('SIGINT');
      expect(await r.exit).toBe(0);
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('rejects bad flags with one clear line and exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--port', 'abc'], '--port'],
      [['--port', '70000'], '--port'],
      [['--fault-rate', '2'], '--fault-rate'],
      [['--tokens-per-second', '-5'], '--tokens-per-second'],
      [['--credits', 'lots'], '--credits'],
      [['--seed', '1.5'], '--seed'],
      [['--generation-lag-ms', 'x'], '--generation-lag-ms'],
    ];
    const runs = cases.map(([args]) => run(args));
    const codes = await Promise.all(runs.map((r) => r.exit));
    for (const [i, [args, flag]] of cases.entries()) {
      const r = runs[i];
      expect(codes[i], args.join(' ')).toBe(2);
      const lines = r?.stderr().trim().split('\n') ?? [];
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(lines[0]).toMatch(/Example:/);
    }
  });

  it('lists the faults with descriptions', async () => {
    const r = run(['--list-faults']);
    expect(await r.exit).toBe(0);
    for (const name of SIMULATOR_FAULTS) expect(r.stdout()).toMatch(new RegExp(`^${name} +\\S`, 'm'));
  });
});
