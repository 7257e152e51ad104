import { describe, expect, it } from 'vitest';
import { type JsonObject, upstreamBody } from './request-body.ts';

/** What the gateway does: parse the caller's bytes, then send `final` (built from them by spreading). */
function sendAs(text: string, change: (sent: JsonObject) => JsonObject): string {
  const original = Buffer.from(text, 'utf8');
  const sent = JSON.parse(text) as JsonObject;
  return upstreamBody(original, sent, change(sent)).toString();
}

describe('upstreamBody', () => {
  it("forwards the caller's bytes untouched when tollgate adds nothing", () => {
    const text = '{ "model":"a/b",  "seed": 12345678901234567891, "temperature": 1.0 }';
    expect(sendAs(text, (sent) => ({ ...sent }))).toBe(text);
  });

  it('splices added fields in after the brace, keeping every byte the caller sent', () => {
    const text = '{"model":"a/b","seed":12345678901234567891,"temperature":1.0}';
    const out = sendAs(text, (sent) => ({ ...sent, max_tokens: 4096, user: 'Jürgen "J"' }));
    expect(out).toBe(`{"max_tokens":4096,"user":"Jürgen \\"J\\"",${text.slice(1)}`);
    expect(JSON.parse(out)).toMatchObject({ max_tokens: 4096, user: 'Jürgen "J"', model: 'a/b' });
  });

  it('keeps an empty object valid JSON', () => {
    expect(sendAs(' \n{ \n}', () => ({ max_tokens: 8 }))).toBe(' \n{"max_tokens":8 \n}');
  });

  it('serializes anew only when a field the caller sent was changed', () => {
    const text = '{"model":"a/b","provider":{"sort":"price"}}';
    const out = sendAs(text, (sent) => ({ ...sent, provider: { order: ['x'], sort: 'price' } }));
    expect(JSON.parse(out)).toEqual({ model: 'a/b', provider: { order: ['x'], sort: 'price' } });
  });
});
