import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamRelay } from './stream-relay.ts';

const base = {
  id: 'gen-1',
  provider: 'OpenAI',
  model: 'openai/gpt-4o-mini',
  object: 'chat.completion.chunk',
  created: 1,
};
function event(payload: unknown, newline = '\n'): string {
  return `data: ${JSON.stringify(payload)}${newline}${newline}`;
}
const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, cost: 0.0000042 };

function streamText(newline: string): string {
  return [
    `: OPENROUTER PROCESSING${newline}${newline}`,
    event(
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Привет' }, finish_reason: null }],
      },
      newline,
    ),
    event(
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: ', мир' },
            finish_reason: 'stop',
            native_finish_reason: 'STOP',
          },
        ],
      },
      newline,
    ),
    event(
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }],
        usage,
      },
      newline,
    ),
    `data: [DONE]${newline}${newline}`,
  ].join('');
}

function relay() {
  return new StreamRelay(
    (chunk, error) =>
      `data: ${JSON.stringify({ id: chunk.id, error: { code: error.code, message: 'clean' } })}\n\n`,
  );
}

/** Splits bytes at the given cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces.filter((piece) => piece.length > 0);
}

describe('StreamRelay', () => {
  for (const newline of ['\n', '\r\n', '\r']) {
    it(`passes every byte through, holding [DONE] until drained (${JSON.stringify(newline)})`, () => {
      const bytes = Buffer.from(streamText(newline));
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
          const r = relay();
          const before: Buffer[] = [];
          for (const piece of split(bytes, cuts)) {
            const out = r.push(piece);
            if (out) before.push(out);
          }
          const forwarded = Buffer.concat(before).toString();
          expect(forwarded).not.toContain('[DONE]');
          expect(forwarded + r.drain().toString()).toBe(bytes.toString());
          expect(r.facts).toMatchObject({
            id: 'gen-1',
            model: 'openai/gpt-4o-mini',
            provider: 'OpenAI',
            finishReason: 'stop',
            nativeFinishReason: 'STOP',
            sawDone: true,
            usage,
          });
          expect(r.complete).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('forwards each complete event at once, at every byte boundary, but holds the read that ends the stream', () => {
    const bytes = Buffer.from(streamText('\n'));
    const firstEventEnd = bytes.indexOf('\n\n', bytes.indexOf('data:')) + 2;
    const doneEnd = bytes.indexOf('\n\n', bytes.indexOf('data: [DONE]')) + 2;
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = relay();
      const first = r.push(bytes.subarray(0, cut));
      const forwarded = first?.length ?? 0;
      // Everything up to the last complete event in the first piece is out already, unless that
      // piece holds all of [DONE]: then it waits, whole, for the commit.
      const expected = bytes.subarray(0, cut).lastIndexOf('\n\n');
      if (cut >= doneEnd) expect(forwarded).toBe(0);
      else expect(forwarded).toBe(expected === -1 ? 0 : expected + 2);
      r.push(bytes.subarray(cut));
      r.drain();
      expect(r.facts.usage).toEqual(usage);
    }
    expect(firstEventEnd).toBeGreaterThan(0);
  });

  it('replaces an upstream error event with a clean one and records it', () => {
    const r = relay();
    const errorChunk = {
      ...base,
      error: {
        code: 502,
        message: 'provider said: secret raw payload',
        metadata: { error_type: 'provider_unavailable', raw: 'x' },
      },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    };
    const out = r.push(
      Buffer.from(event({ ...base, choices: [{ index: 0, delta: { content: 'a' } }] }) + event(errorChunk)),
    );
    const text = out?.toString() ?? '';
    expect(text).toContain('"content":"a"');
    expect(text).not.toContain('secret raw payload');
    expect(text).toContain('"message":"clean"');
    expect(r.facts.error).toEqual({
      code: 502,
      message: 'provider said: secret raw payload',
      errorType: 'provider_unavailable',
    });
    expect(r.complete).toBe(false);
  });

  it('is not fooled by markers inside content, and holds a bare data:[DONE]', () => {
    const r = relay();
    const tricky = event({
      ...base,
      choices: [{ index: 0, delta: { content: 'say [DONE] and "usage" and "error"' }, finish_reason: null }],
    });
    const first = event({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] });
    const text = `${first}${tricky.repeat(3)}${event({ ...base, choices: [], usage })}data:[DONE]\n\n`;
    const ending = r.push(Buffer.from(text.slice(0, text.indexOf('data:[DONE]'))));
    expect(ending?.toString()).toBe(text.slice(0, text.indexOf('data:[DONE]')));
    expect(r.push(Buffer.from('data:[DONE]\n\n'))).toBeUndefined();
    expect(r.facts).toMatchObject({ id: 'gen-1', usage, sawDone: true, error: undefined });
    expect(r.drain().toString()).toBe('data:[DONE]\n\n');

    // All in one read: held whole.
    const whole = relay();
    expect(whole.push(Buffer.from(text))).toBeUndefined();
    expect(whole.facts).toMatchObject({ id: 'gen-1', usage, sawDone: true, error: undefined });
    expect(whole.drain().toString()).toBe(text);

    // …unless what came before [DONE] is taken out first: then [DONE] alone stays.
    const early = relay();
    expect(early.push(Buffer.from(text))).toBeUndefined();
    expect(early.releaseBeforeDone()?.toString()).toBe(text.slice(0, text.indexOf('data:[DONE]')));
    expect(early.releaseBeforeDone()).toBeUndefined();
    expect(early.push(Buffer.from(': after\n\n'))).toBeUndefined();
    expect(early.drain().toString()).toBe('data:[DONE]\n\n: after\n\n');
  });

  it('cleans an error event in the middle of a run and leaves the events around it byte for byte', () => {
    const r = relay();
    const before = event({ ...base, choices: [{ index: 0, delta: { content: 'a' } }] }, '\r\n');
    const failing = event(
      { ...base, error: { code: 500, message: 'raw provider text' }, choices: [] },
      '\r\n',
    );
    const after = event({ ...base, choices: [{ index: 0, delta: { content: 'b' } }] }, '\r\n');
    const out = r.push(Buffer.from(before + failing + after))?.toString();
    expect(out?.startsWith(before)).toBe(true);
    expect(out?.endsWith(after)).toBe(true);
    expect(out).not.toContain('raw provider text');
    expect(r.facts.error?.code).toBe(500);
  });

  it('learns id, model and provider from the first data event when nothing later tells them', () => {
    const r = relay();
    const comment = ': OPENROUTER PROCESSING data: not a field\n\n';
    const first = event({ ...base, choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] });
    expect(r.push(Buffer.from(comment + first))?.toString()).toBe(comment + first);
    expect(r.facts).toMatchObject({ id: 'gen-1', model: 'openai/gpt-4o-mini', provider: 'OpenAI' });
    // Later events change nothing: the first answer stands.
    r.push(Buffer.from(event({ ...base, id: 'gen-2', usage })));
    expect(r.facts).toMatchObject({ id: 'gen-1', usage });
  });

  it('knows a stream cut short', () => {
    const r = relay();
    r.push(
      Buffer.from(`${event({ ...base, choices: [{ index: 0, delta: { content: 'a' } }] })}data: {"id":`),
    );
    expect(r.drain().toString()).toBe('data: {"id":');
    expect(r.complete).toBe(false);
    expect(r.facts.sawDone).toBe(false);
  });
});
