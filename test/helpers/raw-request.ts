import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON (every gateway answer these tests read is JSON). */
  json: { error?: { code: unknown; message: string } } & Record<string, unknown>;
}

/**
 * One request through node:http, sent as given: the path byte for byte (fetch would tidy up `.`
 * and `..` segments), an array value as one header per item, header values as UTF-8.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
