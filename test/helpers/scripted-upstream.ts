import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestGateway, type TestGateway } from './gateway.ts';

/** A gateway in front of an upstream that answers every chat call with `stream(res)`, for timing tests. */
export interface ScriptedStreamStand {
  gateway: TestGateway['gateway'];
  close(): Promise<void>;
}

/** One SSE chat chunk of generation `id`, as OpenRouter frames it. */
function chatChunk(id: string, extra: Record<string, unknown>): string {
  return `data: ${JSON.stringify({ id, model: 'openai/gpt-4o-mini', provider: 'OpenAI', object: 'chat.completion.chunk', ...extra })}\n\n`;
}

/** A whole short stream of generation `id`: one content event that finishes, the usage event, [DONE]. */
export function shortStream(id: string, content: string): string {
  return (
    chatChunk(id, { choices: [{ index: 0, delta: { content }, finish_reason: 'stop' }] }) +
    chatChunk(id, {
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, cost: 0.000001 },
    }) +
    'data: [DONE]\n\n'
  );
}

/**
 * Starts an upstream whose chat answers are written by `stream` (after a 200 with the SSE
 * content type and `X-Generation-Id: generationId`), an empty model list, and a gateway on it.
 */
export async function startScriptedStreamStand(
  generationId: string,
  stream: (res: ServerResponse) => void,
): Promise<ScriptedStreamStand> {
  const upstream = createServer((req, res) => {
    // The catalogue asks for every modality (`/models?output_modalities=all`).
    if (req.url?.split('?')[0]?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': generationId });
    stream(res);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  const t = await startTestGateway({
    config: { openrouter: { baseUrl: `http://127.0.0.1:${port}/api/v1` } },
  });
  return {
    gateway: t.gateway,
    async close() {
      await t.close();
      await new Promise((resolve) => upstream.close(resolve));
    },
  };
}

/** Asks the stand's gateway for a streamed chat completion; the response's body is not read. */
export function requestStream(stand: ScriptedStreamStand): Promise<Response> {
  return fetch(`${stand.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'openai/gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
}
