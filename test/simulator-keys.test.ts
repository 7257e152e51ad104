import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { call, chat, type Data, type ErrorBody, json } from './simulator-helpers.ts';

interface KeyData {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: string | null;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  byok_usage: number;
  is_management_key?: boolean;
}
interface Created {
  data: KeyData;
  key: string;
}

describe('strict keys (exactly like OpenRouter)', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ strictKeys: true, managementKey: 'sk-or-v1-management-test' });
  });
  afterAll(() => sim.close());

  it('answers 401 without a header and for unknown keys', async () => {
    const missing = await chat(sim, {}, { key: '' });
    expect(missing.status).toBe(401);
    expect((await json<ErrorBody>(missing)).error.message).toBe('No cookie auth credentials found');
    const unknown = await chat(sim, {}, { key: createSimulatorKey() });
    expect(unknown.status).toBe(401);
    expect((await json<ErrorBody>(unknown)).error.message).toBe('User not found.');
    expect((await call(sim, '/credits', { key: null })).status).toBe(401);
  });

  it('lets only the management key manage, and refuses it for inference', async () => {
    expect(sim.managementKey).toBe('sk-or-v1-management-test');
    const management = { key: sim.managementKey };
    expect((await chat(sim, {}, management)).status).toBe(403);
    expect((await call(sim, '/credits', management)).status).toBe(200);
    const created = await json<Created>(await call(sim, '/keys', { ...management, body: { name: 'app' } }));
    const key = created.key;
    expect((await chat(sim, {}, { key })).status).toBe(200);
    for (const path of ['/keys', '/credits', '/activity']) {
      const res = await call(sim, path, { key });
      expect(res.status, path).toBe(403);
      expect((await json<ErrorBody>(res)).error.metadata.error_type).toBe('permission_denied');
    }
    const current = await json<Data<KeyData>>(await call(sim, '/key', management));
    expect(current.data.is_management_key).toBe(true);
    const issued = sim.issueKey({ name: 'from test' });
    expect((await chat(sim, {}, { key: issued })).status).toBe(200);
    // Public catalogue routes need no key at all.
    expect((await call(sim, '/models', { key: null })).status).toBe(200);
  });

  it('runs the key lifecycle: create (201), list, get, patch (limit, disable), delete', async () => {
    const management = { key: sim.managementKey };
    const res = await call(sim, '/keys', {
      ...management,
      body: { name: 'lifecycle', limit: 5, limit_reset: 'monthly' },
    });
    expect(res.status).toBe(201);
    const created = await json<Created>(res);
    expect(created.key).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    expect(created.data.hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(created.data).toMatchObject({
      name: 'lifecycle',
      limit: 5,
      limit_remaining: 5,
      limit_reset: 'monthly',
      disabled: false,
      usage: 0,
    });
    expect(created.data.label).toMatch(/^sk-or-v1-.{3}\.\.\..{3}$/);
    const listed = await json<Data<KeyData[]>>(await call(sim, '/keys', management));
    expect(listed.data.map((k) => k.hash)).toContain(created.data.hash);
    const path = `/keys/${created.data.hash}`;
    expect((await json<Data<KeyData>>(await call(sim, path, management))).data.name).toBe('lifecycle');
    const patched = await json<Data<KeyData>>(
      await call(sim, path, { ...management, method: 'PATCH', body: { name: 'renamed', limit: 1 } }),
    );
    expect(patched.data).toMatchObject({ name: 'renamed', limit: 1 });
    await call(sim, path, { ...management, method: 'PATCH', body: { disabled: true } });
    expect((await chat(sim, {}, { key: created.key })).status).toBe(401);
    const hidden = await json<Data<KeyData[]>>(await call(sim, '/keys', management));
    expect(hidden.data.map((k) => k.hash)).not.toContain(created.data.hash);
    const withDisabled = await json<Data<KeyData[]>>(
      await call(sim, '/keys?include_disabled=true', management),
    );
    expect(withDisabled.data.map((k) => k.hash)).toContain(created.data.hash);
    const deleted = await call(sim, path, { ...management, method: 'DELETE' });
    expect(await json(deleted)).toEqual({ deleted: true });
    expect((await call(sim, path, management)).status).toBe(404);
    expect((await call(sim, '/keys', { ...management, body: { name: '' } })).status).toBe(400);
    expect((await call(sim, '/keys', { ...management, body: { name: 'x', limit: -1 } })).status).toBe(400);
  });

  it('exchanges OAuth PKCE codes (S256 and plain) for working keys, once', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const user = { key: sim.issueKey() };
    const mint = async (body: Record<string, unknown>) =>
      (
        await json<Data<{ id: string }>>(
          await call(sim, '/auth/keys/code', {
            ...user,
            body: { callback_url: 'http://localhost:3000/cb', ...body },
          }),
        )
      ).data.id;
    const code = await mint({ code_challenge: challenge, code_challenge_method: 'S256' });
    const wrong = await call(sim, '/auth/keys', {
      key: null,
      body: { code, code_verifier: `${verifier.slice(0, -1)}A`, code_challenge_method: 'S256' },
    });
    expect(wrong.status).toBe(403);
    const ok = await call(sim, '/auth/keys', {
      key: null,
      body: { code, code_verifier: verifier, code_challenge_method: 'S256' },
    });
    expect(ok.status).toBe(200);
    const exchanged = await json<{ key: string; user_id: string }>(ok);
    expect(exchanged.user_id).toMatch(/^user_/);
    expect((await chat(sim, {}, { key: exchanged.key })).status).toBe(200);
    const reused = await call(sim, '/auth/keys', { key: null, body: { code, code_verifier: verifier } });
    expect(reused.status).toBe(403);

    const plain = await mint({ code_challenge: verifier, code_challenge_method: 'plain' });
    expect(
      (await call(sim, '/auth/keys', { key: null, body: { code: plain, code_verifier: verifier } })).status,
    ).toBe(200);
    const short = await mint({ code_challenge: 'abc', code_challenge_method: 'plain' });
    expect(
      (await call(sim, '/auth/keys', { key: null, body: { code: short, code_verifier: 'abc' } })).status,
    ).toBe(400);
    const open = await mint({});
    expect((await call(sim, '/auth/keys', { key: null, body: { code: open } })).status).toBe(200);
    expect(
      (await call(sim, '/auth/keys/code', { ...user, body: { callback_url: 'not a url' } })).status,
    ).toBe(400);
  });
});
