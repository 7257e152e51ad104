import { describe, expect, it } from 'vitest';
import { encodeSseComment, encodeSseData, encodeSseEvent, SSE_DONE_FRAME } from './encoder.ts';

describe('SSE encoder', () => {
  it('frames JSON values as one data line', () => {
    expect(encodeSseData({ a: 'x\ny' })).toBe('data: {"a":"x\\ny"}\n\n');
  });

  it('sends plain strings unchanged and splits multi-line strings into several data lines', () => {
    expect(encodeSseData('[DONE]')).toBe(SSE_DONE_FRAME);
    expect(encodeSseData('a\r\nb\nc')).toBe('data: a\ndata: b\ndata: c\n\n');
  });

  it('writes comments that parsers ignore', () => {
    expect(encodeSseComment('OPENROUTER PROCESSING')).toBe(': OPENROUTER PROCESSING\n\n');
    expect(encodeSseComment('a\n\nb')).toBe(': a\n:\n: b\n\n');
  });

  it('writes named events with ids', () => {
    expect(encodeSseEvent({ event: 'response.created', id: '7', data: { ok: true } })).toBe(
      'event: response.created\nid: 7\ndata: {"ok":true}\n\n',
    );
    expect(encodeSseEvent({ data: 'x' })).toBe('data: x\n\n');
  });
});
