import { z } from 'zod';
import { nullishString, openEnum } from './schema-helpers.ts';

/** `POST /auth/keys`: exchange an OAuth PKCE authorization code for a user-controlled API key. */
export const AuthKeyExchangeRequestSchema = z.looseObject({
  code: z.string(),
  code_verifier: z.string().optional(),
  code_challenge_method: openEnum(['S256', 'plain']).optional(),
});
export type AuthKeyExchangeRequest = z.infer<typeof AuthKeyExchangeRequestSchema>;

export const AuthKeyExchangeResponseSchema = z.looseObject({ key: z.string(), user_id: nullishString });
export type AuthKeyExchangeResponse = z.infer<typeof AuthKeyExchangeResponseSchema>;
