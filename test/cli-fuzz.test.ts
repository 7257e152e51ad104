import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/tollgate.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const word = fc.oneof(
  fc.constantFrom(
    '7d',
    '24h',
    'banana',
    '-1',
    '0',
    '1e9',
    'module,model',
    'planet',
    '',
    ' ',
    '--',
    '%',
    '"',
    "'; DROP TABLE requests; --",
    'json',
    'csv',
    'table',
    'day',
  ),
  fc.string({ maxLength: 12 }),
);
const flag = fc.constantFrom(
  '--since',
  '--until',
  '--by',
  '--format',
  '--limit',
  '--status',
  '--module',
  '--user',
  '--model',
  '--max-price',
  '--min-context',
  '--sort',
  '--scope',
  '--value',
  '--window',
  '--concurrency',
  '--max-cost',
  '--temperature',
  '--max-tokens',
  '--reasoning',
  '--db',
  '--nope',
);
const command = fc.constantFrom(
  ['spend'],
  ['requests'],
  ['drift'],
  ['models'],
  ['budgets', 'set'],
  ['budgets', 'rm'],
  ['keys', 'create'],
  ['keys', 'revoke'],
  ['batch'],
  ['chat'],
  ['generation'],
  ['simulate'],
  ['serve'],
  ['nonsense'],
);

describe('the CLI under random arguments', () => {
  it('exits 0, 1 or 2 with at most a one-line error, never a stack trace', () => {
    fc.assert(
      fc.property(
        command,
        fc.array(fc.tuple(flag, word), { maxLength: 3 }),
        fc.array(word, { maxLength: 2 }),
        (words, pairs, positional) => {
          const args = [...words, ...positional, ...pairs.flat()];
          // serve and simulate would start servers on valid input: keep them on an invalid port.
          if (words[0] === 'serve' || words[0] === 'simulate') args.push('--port', 'not-a-port');
          const run = spawnSync(process.execPath, [BIN, ...args], {
            // A random `--db word` creates that file: in the temp folder, never in the checkout.
            cwd: dir,
            env: {
              ...process.env,
              TOLLGATE_DB: join(dir, 'fuzz.db'),
              OPENROUTER_API_KEY: 'sk-or-v1-fuzz',
              OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1',
              NO_COLOR: '1',
            },
            input: '',
            encoding: 'utf8',
            timeout: 20_000,
          });
          expect([0, 1, 2], `${args.join(' ')}\n${run.stderr}`).toContain(run.status);
          expect(run.stderr, args.join(' ')).not.toMatch(/\n\s+at .+:\d+:\d+/);
          if (run.status !== 0) {
            const lines = run.stderr
              .trim()
              .split('\n')
              .filter((line) => line.trim() !== '');
            expect(lines.length, `${args.join(' ')}\n${run.stderr}`).toBeLessThanOrEqual(1);
            expect(lines[0]?.length ?? 0).toBeGreaterThan(10);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});
