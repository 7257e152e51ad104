import { describe, expect, it } from 'vitest';
import { createPkceVerifier, pkceChallenge } from './pkce.ts';

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
  it('creates 43-character base64url verifiers', () => {
    const verifier = createPkceVerifier();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createPkceVerifier(() => new Uint8Array(32))).toBe('A'.repeat(43));
  });
});
