import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkedAbort } from './linked-abort.ts';

describe('linkedAbort', () => {
  it('aborts with the reason of whichever parent aborts first, and stops listening to the others', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkedAbort([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    b.abort('b went away');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('b went away');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    a.abort('later');
    expect(linked.signal.reason).toBe('b went away');
  });

  it('starts aborted when a parent already is', () => {
    const a = new AbortController();
    a.abort('already');
    const b = new AbortController();
    const linked = linkedAbort([b.signal, a.signal]);
    expect(linked.signal.reason).toBe('already');
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });

  it('once unlinked, leaves no listener behind and ignores its parents', () => {
    const parent = new AbortController();
    const linked = linkedAbort([parent.signal]);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    linked.unlink();
    linked.unlink();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(linked.signal.aborted).toBe(false);
    linked.controller.abort('directly');
    expect(linked.signal.reason).toBe('directly');
  });
});
