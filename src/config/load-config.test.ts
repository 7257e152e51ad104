import { describe, expect, it } from 'vitest';
import { parseDotenv } from './dotenv.ts';
import { ConfigError, loadConfig } from './load-config.ts';

function files(map: Record<string, string>) {
  return (path: string) => map[path];
}

describe('loadConfig', () => {
  it('gives defaults when nothing is set', () => {
    const config = loadConfig({ env: {}, cwd: '/app', readText: files({}) });
    expect(config.db.url).toBe('./tollgate.db');
    expect(config.gateway).toMatchObject({ host: '127.0.0.1', port: 8787 });
    expect(config.openrouter.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(config.openrouter.apiKey).toBeUndefined();
    expect(config.defaultMaxTokens).toBe(4096);
    expect(Object.isFrozen(config.gateway)).toBe(true);
  });

  it('ranks flags over environment over .env over the config file', () => {
    const readText = files({
      '/app/tollgate.config.json': JSON.stringify({
        gateway: { port: 1000, host: '0.0.0.0' },
        db: { url: 'file.db' },
        defaultMaxTokens: 100,
        modules: { summarize: { model: 'google/gemini-2.5-flash', temperature: 0.2 } },
      }),
      '/app/.env': 'TOLLGATE_PORT=2000\nTOLLGATE_DB="dotenv.db" # comment\nOPENROUTER_API_KEY=sk-dotenv',
    });
    const config = loadConfig({
      env: { TOLLGATE_DB: 'env.db' },
      cwd: '/app',
      readText,
      overrides: { gateway: { port: 3000 } },
    });
    expect(config.gateway.port).toBe(3000);
    expect(config.gateway.host).toBe('0.0.0.0');
    expect(config.db.url).toBe('env.db');
    expect(config.openrouter.apiKey).toBe('sk-dotenv');
    expect(config.defaultMaxTokens).toBe(100);
    expect(config.modules.summarize).toMatchObject({ model: 'google/gemini-2.5-flash', temperature: 0.2 });
  });

  it('reports every problem at once, naming its source', () => {
    const readText = files({
      '/app/tollgate.config.json': JSON.stringify({
        gateway: { port: 'eighty' },
        modules: { a: { temperature: 9 } },
      }),
    });
    let error: unknown;
    try {
      loadConfig({
        env: { TOLLGATE_MAX_RETRIES: 'many', OPENROUTER_BASE_URL: 'not a url' },
        cwd: '/app',
        readText,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/TOLLGATE_MAX_RETRIES \(environment\): expected a whole number/);
    expect(problems).toMatch(/OPENROUTER_BASE_URL \(environment\)/);
    expect(problems).toMatch(/gateway\.port \(config file \/app\/tollgate\.config\.json\)/);
    expect(problems).toMatch(/modules\.a\.temperature \(config file \/app\/tollgate\.config\.json\)/);
  });

  it('refuses a config file that is not JSON, and unknown keys', () => {
    expect(() =>
      loadConfig({ env: {}, cwd: '/a', readText: files({ '/a/tollgate.config.json': '{oops' }) }),
    ).toThrow(/not valid JSON/);
    expect(() =>
      loadConfig({ env: {}, cwd: '/a', readText: files({ '/a/tollgate.config.json': '{"gatewey": {}}' }) }),
    ).toThrow(/gatewey|Unrecognized key/);
  });

  it('names the file and the key of an unknown setting, at any depth', () => {
    const load = () =>
      loadConfig({
        env: {},
        cwd: '/a',
        readText: files({ '/a/tollgate.config.json': '{"extra": 1, "gateway": {"prot": 1}}' }),
      });
    expect(load).toThrow(ConfigError);
    const problems = (() => {
      try {
        load();
        return [];
      } catch (error) {
        return [...(error as ConfigError).problems];
      }
    })();
    expect(problems.sort()).toEqual([
      'extra (config file /a/tollgate.config.json): unknown setting "extra": remove it or fix its spelling',
      'gateway.prot (config file /a/tollgate.config.json): unknown setting "prot": remove it or fix its spelling',
    ]);
  });

  it('refuses a TOLLGATE_CONFIG that names no file or a folder, naming the variable and path', () => {
    const problemsOf = (readText: (path: string) => string | undefined) => {
      try {
        loadConfig({ env: { TOLLGATE_CONFIG: '/nonexistent.json' }, cwd: '/a', readText });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problemsOf(files({}))).toEqual([
      'TOLLGATE_CONFIG=/nonexistent.json (environment): no such file (fix the path, or unset TOLLGATE_CONFIG)',
    ]);
    const folder = () => {
      throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' });
    };
    expect(problemsOf(folder)).toEqual([
      'TOLLGATE_CONFIG=/nonexistent.json (environment): cannot read it (is a folder, not a file)',
      // The same reader is asked for .env, which this fake also refuses.
      '/a/.env: cannot read it (is a folder, not a file)',
    ]);
    // The default file stays optional.
    expect(loadConfig({ env: {}, cwd: '/a', readText: files({}) }).defaultMaxTokens).toBeGreaterThan(0);
  });

  it('reads a config file named by TOLLGATE_CONFIG', () => {
    const config = loadConfig({
      env: { TOLLGATE_CONFIG: '/etc/tg.json' },
      cwd: '/app',
      readText: files({ '/etc/tg.json': '{"defaultMaxTokens": 7}' }),
    });
    expect(config.defaultMaxTokens).toBe(7);
  });
});

describe('parseDotenv', () => {
  it('reads comments, export prefixes and quotes', () => {
    expect(parseDotenv('# c\nexport A=1\nB=\'x y\'\nC="l1\\nl2"\nD=plain # note\n\nbad line')).toEqual({
      A: '1',
      B: 'x y',
      C: 'l1\nl2',
      D: 'plain',
    });
  });
});
