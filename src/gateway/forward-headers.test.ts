import { describe, expect, it } from 'vitest';
import { forwardedRequestHeaders } from './forward-headers.ts';

describe('the request headers passed to OpenRouter', () => {
  it("pass the caller's own headers on, but never its credentials, tollgate's headers or framing", () => {
    const forwarded = forwardedRequestHeaders({
      authorization: 'Bearer tg-caller-key',
      // Anthropic's SDK puts the caller's (tollgate) key here.
      'x-api-key': 'tg-caller-key',
      cookie: 'session=1',
      'content-length': '12',
      'accept-encoding': 'gzip',
      'x-tollgate-module': 'faq',
      'anthropic-version': '2023-06-01',
      'http-referer': 'https://app.example',
      'x-title': 'App',
    });
    expect(forwarded).toEqual({
      'anthropic-version': '2023-06-01',
      'http-referer': 'https://app.example',
      'x-title': 'App',
    });
  });
});
