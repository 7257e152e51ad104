import { createHash, timingSafeEqual } from 'node:crypto';

/** PKCE (RFC 7636) for the OAuth key exchange. */

export type ChallengeMethod = 'S256' | 'plain';

/** 43–128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1). */
export function isValidVerifier(verifier: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(verifier);
}

export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function verifyPkce(method: ChallengeMethod, challenge: string, verifier: string): boolean {
  const expected = Buffer.from(challenge);
  const actual = Buffer.from(method === 'S256' ? s256Challenge(verifier) : verifier);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
