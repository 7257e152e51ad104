import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatResult } from './chat-result.ts';
import { StructuredOutputError } from './errors.ts';
import { parseAgainst, runStructured } from './structured-output.ts';

const Point = z.object({ x: z.number(), y: z.number() });
type PointT = z.infer<typeof Point>;
type Req = { messages: unknown[] };

function reply(text: string): ChatResult {
  return {
    id: 'row',
    text,
    reasoning: '',
    toolCalls: [],
    finishReason: 'stop',
    nativeFinishReason: 'stop',
    truncated: false,
    usage: undefined,
    cost: 1n,
    costUsd: 1e-12,
    costSource: 'usage',
    generationId: 'gen-1',
    model: 'm',
    provider: 'p',
    attempts: 1,
    earlierAttemptsMayHaveBilled: false,
    latencyMs: 1,
    ttftMs: undefined,
  };
}

describe('runStructured', () => {
  it('sends the schema as a strict json_schema and returns typed data', async () => {
    const sent: Record<string, unknown>[] = [];
    const result = await runStructured<PointT, Req>(
      { messages: [], schema: Point, schemaName: 'point' },
      async (request) => {
        sent.push(request as Record<string, unknown>);
        return reply('{"x": 1, "y": 2}');
      },
    );
    expect(result.data).toEqual({ x: 1, y: 2 });
    expect(result.repaired).toBe(false);
    expect(sent[0]?.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'point', strict: true, schema: { type: 'object', required: ['x', 'y'] } },
    });
    expect(sent[0]).not.toHaveProperty('schema');
  });

  it('throws a typed error holding the raw text when the answer does not fit', async () => {
    const error = await runStructured<PointT, Req>({ messages: [], schema: Point }, async () =>
      reply('{"x": "one"}'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).rawText).toBe('{"x": "one"}');
    expect((error as StructuredOutputError).problems.join(' ')).toMatch(/x: .*number/);
  });

  it('with repair, sends the invalid answer and its problems back once', async () => {
    const calls: unknown[][] = [];
    const answers = ['not json', '```json\n{"x": 3, "y": 4}\n```'];
    const result = await runStructured<PointT, Req>(
      { messages: [{ role: 'user', content: 'go' }], schema: Point, repair: true },
      async (request) => {
        calls.push((request as { messages: unknown[] }).messages);
        return reply(answers[calls.length - 1] ?? '');
      },
    );
    expect(result).toMatchObject({ data: { x: 3, y: 4 }, repaired: true });
    expect(calls[1]).toHaveLength(3);
    expect(JSON.stringify(calls[1]?.[2])).toMatch(/not valid JSON/);
  });

  it('gives up after one repair', async () => {
    let count = 0;
    await expect(
      runStructured<PointT, Req>({ messages: [], schema: Point, repair: true }, async () => {
        count += 1;
        return reply('[]');
      }),
    ).rejects.toBeInstanceOf(StructuredOutputError);
    expect(count).toBe(2);
  });

  it('parses fenced JSON and reports syntax errors', () => {
    expect(parseAgainst(Point, '```\n{"x":1,"y":1}\n```')).toEqual({ ok: true, data: { x: 1, y: 1 } });
    expect(parseAgainst(Point, '{')).toMatchObject({ ok: false });
  });
});
