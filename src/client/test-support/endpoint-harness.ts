import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createOpenRouterClient, type OpenRouterClient } from '../client.ts';
import { createFakeClock } from './fake-clock.ts';
import { startTestServer, type TestServer } from './test-server.ts';

const FIXTURES = new URL('../shared/fixtures/', new URL('../../../', import.meta.url));

/** A real fixture from ../shared/fixtures, parsed. */
export const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

export const TEST_KEY = 'sk-or-v1-endpointtest0000000000000000000000000000';

export interface EndpointHarness {
  readonly server: TestServer;
  readonly client: OpenRouterClient;
  /** The last request the server received, with its body parsed. */
  lastRequest(): TestServer['requests'][number] & { json: unknown };
}

/** A client against a scripted local server, for endpoint tests; registers its own hooks. */
export function useEndpointHarness(): EndpointHarness {
  let server: TestServer | undefined;
  let client: OpenRouterClient | undefined;
  beforeAll(async () => {
    server = await startTestServer();
    client = createOpenRouterClient({
      apiKey: TEST_KEY,
      baseUrl: server.baseUrl,
      clock: createFakeClock({ autoAdvanceUpToMs: 60_000 }),
      headers: { 'HTTP-Referer': 'https://tollgate.test', 'X-OpenRouter-Title': 'tollgate tests' },
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });
  beforeEach(() => server?.reset());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the endpoint harness is not started');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get client() {
      return started(client);
    },
    lastRequest() {
      const request = started(server).requests.at(-1);
      if (!request) throw new Error('no request recorded');
      return { ...request, json: request.body ? (JSON.parse(request.body) as unknown) : undefined };
    },
  };
}
