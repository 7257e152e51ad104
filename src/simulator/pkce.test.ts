import { describe, expect, it } from 'vitest';
import { isValidVerifier, s256Challenge, verifyPkce } from './pkce.ts';

describe('PKCE', () => {
  // RFC 7636 appendix B test vector.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('computes the RFC 7636 S256 challenge', () => {
    expect(s256Challenge(verifier)).toBe(challenge);
  });

  it('verifies S256 and plain challenges', () => {
    expect(verifyPkce('S256', challenge, verifier)).toBe(true);
    expect(verifyPkce('S256', challenge, `${verifier.slice(0, -1)}x`)).toBe(false);
    expect(verifyPkce('plain', verifier, verifier)).toBe(true);
    expect(verifyPkce('plain', challenge, verifier)).toBe(false);
  });

  it('accepts only 43–128 unreserved characters as a verifier', () => {
    expect(isValidVerifier(verifier)).toBe(true);
    expect(isValidVerifier('short')).toBe(false);
    expect(isValidVerifier('a'.repeat(129))).toBe(false);
    expect(isValidVerifier(`${'a'.repeat(42)}!`)).toBe(false);
  });
});
