import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, MODEL, startCliWorld } from './cli-helpers.ts';
import { chatCompletionsSeen } from './simulator-helpers.ts';

let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world.close();
});

const CLEAR_AND_RED = 'evil\u001b[2J\u001b[31mX';
const SET_TITLE = 'm\u001b]0;pwned\u0007';
// ESC, BEL and the C1 CSI: nothing on stdout may start a terminal control sequence.
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const TERMINAL_CONTROL = /[\u0007\u001b\u009b]/;

describe('control characters in --user and --module', () => {
  it('chat and batch refuse them (exit 2, one line naming what to fix) and send nothing', async () => {
    const before = chatCompletionsSeen(world.sim);
    const input = join(world.dir, 'evil.jsonl');
    writeFileSync(input, `${JSON.stringify({ prompt: 'hi', user: 'two\nlines' })}\n`);
    const [user, module, batchFlag, batchLine] = await Promise.all([
      world.run(['chat', 'hi', '-m', MODEL, '--user', CLEAR_AND_RED]),
      world.run(['chat', 'hi', '-m', MODEL, '--module', SET_TITLE]),
      world.run(['batch', input, '-o', join(world.dir, 'out.jsonl'), '-m', MODEL, '--module', SET_TITLE]),
      world.run(['batch', input, '-o', join(world.dir, 'out.jsonl'), '-m', MODEL]),
    ]);
    const cases = [
      [
        user,
        /^tollgate chat: --user must not contain control characters .*got "evil\\x1b\[2J\\x1b\[31mX".*Example: --user u-42\n$/,
      ],
      [module, /^tollgate chat: --module must not contain control characters .*got "m\\x1b\]0;pwned\\x07"/],
      [batchFlag, /^tollgate batch: --module must not contain control characters/],
      [
        batchLine,
        /^tollgate batch: .*evil\.jsonl:1: "user" must not contain control characters .*got "two\\nlines"/,
      ],
    ] as const;
    for (const [result, message] of cases) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(TERMINAL_CONTROL);
    }
    expect(chatCompletionsSeen(world.sim)).toBe(before);
    // Refused before anything was opened: not even the ledger was created.
    const rows = await world.run(['requests', '--format', 'json']);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toMatch(/no ledger at /);
  });

  it('tables show stored control characters escaped: no terminal control, one line per row', async () => {
    const call = await world.run([
      'chat',
      'hi',
      '-m',
      MODEL,
      '--user',
      'u-1',
      '--module',
      'm',
      '--max-tokens',
      '5',
    ]);
    expect(call.code, call.stderr).toBe(0);
    // A row written before the ledger refused such values (or by hand): its text goes to the terminal.
    const db = new Database(world.db);
    try {
      db.prepare('UPDATE requests SET user_id = ?, module = ?').run(
        `${CLEAR_AND_RED}\nsecond line`,
        SET_TITLE,
      );
    } finally {
      db.close();
    }
    const [requests, spend] = await Promise.all([
      world.run(['requests', '--limit', '1']),
      world.run(['spend', '--by', 'user,module', '--since', '30m']),
    ]);
    expect(requests.code, requests.stderr).toBe(0);
    expect(requests.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(requests.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(requests.stdout).toContain('m\\x1b]0;pwned\\x07');
    expect(requests.stdout).toContain('evil\\x1b[2J\\x1b[31mX\\nsecond line');

    expect(spend.code, spend.stderr).toBe(0);
    expect(spend.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(spend.stdout).toMatch(/^evil\\x1b\[2J\\x1b\[31mX\\nsecond line +m\\x1b\]0;pwned\\x07 +1 /m);
  });
});
