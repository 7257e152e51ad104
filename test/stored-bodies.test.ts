import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tollgate } from '../src/index.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { eventually, startTestGateway } from './helpers/gateway.ts';

let sim: RunningSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ generationLagMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-bodies-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const messages = [{ role: 'user' as const, content: 'Keep this prompt, please.' }];

describe('opt-in body storage', () => {
  it('keeps no bodies by default', async () => {
    const tg = await Tollgate.open({
      apiKey: createSimulatorKey(),
      baseUrl: sim.url,
      db: join(dir, 'a.db'),
      env: {},
      cwd: dir,
      reconcile: false,
    });
    try {
      const result = await tg.chat({ model: 'openai/gpt-4o-mini', messages });
      expect(await tg.ledger.getBodies(result.id)).toBeUndefined();
    } finally {
      await tg.close();
    }
  });

  it('keeps request and answer apart from the row when enabled (library, plain and streamed)', async () => {
    const tg = await Tollgate.open({
      apiKey: createSimulatorKey(),
      baseUrl: sim.url,
      db: join(dir, 'b.db'),
      env: {},
      cwd: dir,
      reconcile: false,
      storeBodies: { enabled: true, retentionDays: 7 },
    });
    try {
      const plain = await tg.chat({ model: 'openai/gpt-4o-mini', messages });
      const stored = await eventually(async () => tg.ledger.getBodies(plain.id));
      expect(stored.request).toContain('Keep this prompt, please.');
      expect(stored.response).toContain(plain.text);
      const stream = tg.stream({ model: 'openai/gpt-4o-mini', messages });
      for await (const _part of stream) {
        // Drain.
      }
      const streamed = await stream.result;
      expect((await eventually(async () => tg.ledger.getBodies(streamed.id))).response).toContain(
        streamed.text,
      );
    } finally {
      await tg.close();
    }
  });

  it('keeps bodies through the gateway when enabled, streams included', async () => {
    const t = await startTestGateway({ config: { storeBodies: { enabled: true } } });
    try {
      for (const stream of [false, true]) {
        const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages, stream }),
        });
        const text = await response.text();
        const id = response.headers.get('x-tollgate-request-id') ?? '';
        const stored = await eventually(async () => t.gateway.ledger.getBodies(id));
        expect(stored.request).toContain('Keep this prompt, please.');
        expect(stored.response).toBe(text);
      }
    } finally {
      await t.close();
    }
  });
});
