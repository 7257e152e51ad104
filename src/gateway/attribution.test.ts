import { describe, expect, it } from 'vitest';
import { attributionOf, parseTags } from './attribution.ts';
import type { Principal } from './auth.ts';

const anonymous: Principal = { kind: 'anonymous' };

/** What Node hands over for a header sent as UTF-8 bytes: each byte read as a latin1 character. */
const asNodeReadsIt = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

const attribute = (headers: Record<string, string>, bodyUser?: unknown, rawHeaders?: string[]) =>
  attributionOf(headers, bodyUser, anonymous, 'req-1', rawHeaders);

describe('attributionOf', () => {
  it('names the field the user came from when it is refused', () => {
    const anthropic = (value: unknown) =>
      attributionOf({}, value, anonymous, 'req-1', undefined, 'metadata.user_id');
    expect(() => anthropic(5)).toThrow('"metadata.user_id" must be a string');
    expect(() => anthropic('x'.repeat(300))).toThrow(
      'The body\'s "metadata.user_id" must be 1-256 characters',
    );
  });

  it.each([
    'auth0|5f7c8ec7c33c6c004bbafe82',
    'john+tag@example.com',
    'google-oauth2|1234',
    'user#42',
    'dXNlcjE=',
    'Jürgen Müller',
  ])('takes the application user id %j as it is', (user) => {
    expect(attribute({}, user).userId).toBe(user);
    expect(attribute({ 'x-tollgate-user': asNodeReadsIt(user) }).userId).toBe(user);
  });

  it.each([
    ['empty', ''],
    ['all spaces', '   '],
    ['a control character', 'a\u0000b'],
    ['a line separator', 'a\u2028b'],
    ['too long', 'u'.repeat(257)],
  ])('refuses a user id that is %s, saying what a user id may be', (_, user) => {
    expect(() => attribute({}, user)).toThrow(/The body's "user" must be 1-256 characters/);
  });

  it('decodes UTF-8 attribution headers, and refuses bytes that are not UTF-8', () => {
    const attribution = attribute({
      'x-tollgate-module': asNodeReadsIt('für'),
      'x-tollgate-tags': asNodeReadsIt('équipe=café'),
    });
    expect(attribution.module).toBe('für');
    expect(attribution.tags).toEqual({ équipe: 'café' });
    // "caf\xe9": latin1, not UTF-8.
    expect(() => attribute({ 'x-tollgate-module': 'caf\u00e9' })).toThrow(
      'X-Tollgate-Module is not valid UTF-8: send its value encoded as UTF-8.',
    );
  });

  it('tells a header sent twice (Node joins them with ", ") from one value holding a comma', () => {
    const twice = ['X-Tollgate-User', 'a', 'x-tollgate-user', 'b'];
    expect(() => attribute({ 'x-tollgate-user': 'a, b' }, undefined, twice)).toThrow(
      'Send the X-Tollgate-User header once (it came more than once).',
    );
    const once = ['X-Tollgate-User', 'Doe, Jane'];
    expect(attribute({ 'x-tollgate-user': 'Doe, Jane' }, undefined, once).userId).toBe('Doe, Jane');
  });

  it("lets the body's user win over the header, and the header over the key's default", () => {
    const key: Principal = {
      kind: 'key',
      key: { id: 'k1', defaultUser: 'svc', defaultModule: 'ingest' } as Extract<
        Principal,
        { kind: 'key' }
      >['key'],
    };
    expect(attributionOf({ 'x-tollgate-user': 'h' }, 'b', key, 'r').userId).toBe('b');
    expect(attributionOf({ 'x-tollgate-user': 'h' }, null, key, 'r').userId).toBe('h');
    expect(attributionOf({}, undefined, key, 'r')).toMatchObject({
      userId: 'svc',
      module: 'ingest',
    });
  });

  it('lets the header win over a body field clients fill by themselves (headerFirst)', () => {
    const blob = JSON.stringify({ device_id: 'd', session_id: 's' });
    const attribute = (headers: Record<string, string>, user: unknown) =>
      attributionOf(headers, user, anonymous, 'r', undefined, 'metadata.user_id', true).userId;
    expect(attribute({ 'x-tollgate-user': 'alice' }, blob)).toBe('alice');
    expect(attribute({}, blob)).toBe(blob);
    // The field the header overrides is not held against the call.
    expect(attribute({ 'x-tollgate-user': 'alice' }, 42)).toBe('alice');
    expect(() => attribute({}, 42)).toThrow('"metadata.user_id" must be a string');
  });
});

describe('parseTags', () => {
  it('refuses a number JSON cannot keep, rather than storing null', () => {
    expect(() => parseTags('{"n":1e400}')).toThrow(/tag "n" must be a string .*a finite number/);
  });

  it('refuses "__proto__" as a tag name, rather than dropping it', () => {
    expect(() => parseTags('{"__proto__":"x"}')).toThrow('X-Tollgate-Tags: "__proto__" is not a tag name.');
    expect(() => parseTags('__proto__=x')).toThrow('X-Tollgate-Tags: "__proto__" is not a tag name.');
  });
});
