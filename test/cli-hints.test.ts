import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, MODEL, startCliWorld } from './cli-helpers.ts';

/** Every error's fix must fit the error: the hint is what the user acts on. */

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world.close();
});

describe('fix hints that fit the failure', () => {
  it('a 404 from key administration is about the key hash, not a model id', async () => {
    const [updated, deleted] = await Promise.all([
      world.run(['openrouter-keys', 'update', 'nosuchhash', '--name', 'q']),
      world.run(['openrouter-keys', 'delete', 'nosuch']),
    ]);
    for (const result of [updated, deleted]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /not found \(404: .*\)\. Check the key hash; `tollgate openrouter-keys list` lists them\.\n$/,
      );
      expect(result.stderr).not.toMatch(/models --search/);
    }
  });

  it('a management key used for a call is told to use an ordinary key', async () => {
    const result = await world.run(['chat', 'hi', '-m', MODEL], {
      env: { OPENROUTER_API_KEY: world.sim.managementKey },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tollgate chat: OpenRouter refused the request \(403: /);
    expect(result.stderr).toMatch(
      /A management key cannot make calls: put an ordinary API key in OPENROUTER_API_KEY/,
    );
    expect(result.stderr).not.toMatch(/A management key is needed/);
  });
});

describe('TOLLGATE_CONFIG and tollgate.config.json problems', () => {
  it('a named config file that is missing or a folder is an error naming the variable and path', async () => {
    const folder = join(world.dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const [missing, isFolder] = await Promise.all([
      world.run(['spend'], { env: { TOLLGATE_CONFIG: '/nonexistent.json' } }),
      world.run(['spend'], { env: { TOLLGATE_CONFIG: folder } }),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^tollgate spend: invalid configuration: TOLLGATE_CONFIG=\/nonexistent\.json \(environment\): no such file/,
    );
    expect(isFolder.code).toBe(2);
    expect(isFolder.stderr).toContain(
      `TOLLGATE_CONFIG=${folder} (environment): cannot read it (is a folder, not a file)`,
    );
  });

  it('an unknown key in tollgate.config.json is named with its file', async () => {
    const cwd = join(world.dir, 'with-config');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'tollgate.config.json'), '{"extra": 1}\n');
    const result = await world.run(['spend', '--db', world.db], {
      env: { TOLLGATE_CONFIG: join(cwd, 'tollgate.config.json') },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `extra (config file ${join(cwd, 'tollgate.config.json')}): unknown setting "extra": remove it or fix its spelling`,
    );
  });
});
