import { createHash, randomBytes } from 'node:crypto';

/**
 * A PKCE code verifier (RFC 7636 §4.1): 43–128 characters of base64url. 32 random bytes give the
 * minimum length with 256 bits of entropy. `random` is a parameter so tests can pin it.
 */
export function createPkceVerifier(random: (size: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(32)).toString('base64url');
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)), no padding. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
