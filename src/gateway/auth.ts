import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  GATEWAY_KEY_PREFIX,
  type GatewayKey,
  type GatewayKeys,
  hashGatewayKeySecret,
} from '../ledger/index.ts';
import type { Clock } from '../shared/clock.ts';
import { GatewayError } from './gateway-error.ts';

/** Who is calling: the operator (admin key), a gateway key's holder, or anyone (open mode only). */
export type Principal = { kind: 'admin' } | { kind: 'key'; key: GatewayKey } | { kind: 'anonymous' };

export interface AuthenticatorOptions {
  keys: GatewayKeys;
  adminKey: string | undefined;
  clock: Clock;
  /** How long "are there any gateway keys?" is trusted before asking the ledger again. */
  keyPresenceTtlMs?: number;
}

export interface Authenticator {
  /** Resolves the caller from its Authorization header, or throws a 401 GatewayError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** True while neither an admin key nor any gateway key exists: loopback-only, anyone may call. */
  isOpen(): Promise<boolean>;
  /** Call after creating or revoking keys through this process. */
  keysChanged(): void;
}

/**
 * The caller's key: its Authorization header, else `x-api-key`, where Anthropic's SDK (and tools
 * built on it) send theirs.
 */
export function credentialsOf(headers: IncomingHttpHeaders): string | undefined {
  if (headers.authorization !== undefined) return headers.authorization;
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? `Bearer ${apiKey}` : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Bearer-token authentication. Gateway keys are looked up by the sha256 of the presented secret
 * on every request (never cached), so a key revoked by any process stops working at once; the
 * admin key is compared in constant time through fixed-length digests.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const adminDigest = options.adminKey ? digest(options.adminKey) : undefined;
  const ttlMs = options.keyPresenceTtlMs ?? 2_000;
  let presence: { value: boolean; at: number } | undefined;

  async function keysExist(): Promise<boolean> {
    const now = options.clock.now();
    if (presence && now - presence.at < ttlMs) return presence.value;
    try {
      const keys = await options.keys.list();
      presence = { value: keys.length > 0, at: now };
    } catch (error) {
      // During a database outage keep the last answer: whether keys exist changes rarely.
      if (!presence) throw ledgerUnavailable(error);
    }
    return presence.value;
  }

  async function isOpen(): Promise<boolean> {
    return adminDigest === undefined && !(await keysExist());
  }

  return {
    isOpen,
    keysChanged: () => {
      presence = undefined;
    },
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (token !== undefined && adminDigest && timingSafeEqual(digest(token), adminDigest))
        return { kind: 'admin' };
      if (token?.startsWith(GATEWAY_KEY_PREFIX)) {
        const hash = hashGatewayKeySecret(token);
        const key = await options.keys.getByHash(hash).catch((error: unknown) => {
          // Never let a key through unchecked: with the ledger down, keyed calls wait for it.
          throw ledgerUnavailable(error);
        });
        // The lookup is by hash; compare again in constant time so timing says nothing about near misses.
        if (
          key &&
          key.revokedAt === null &&
          timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))
        ) {
          return { kind: 'key', key };
        }
        throw new GatewayError(
          'invalid_api_key',
          'This tollgate key is not valid (unknown or revoked). Ask your administrator for a key.',
        );
      }
      // Open mode: a local, key-less gateway. SDKs insist on some key, so any other token is accepted.
      if (await isOpen()) return { kind: 'anonymous' };
      if (token === undefined) {
        throw new GatewayError(
          'authentication_required',
          authorization
            ? 'The key is not "Bearer <key>" (in Authorization) or a bare key (in x-api-key): send "Authorization: Bearer tg-…" with a tollgate gateway key (the admin key for /admin routes).'
            : 'Missing API key: send "Authorization: Bearer tg-…" with a tollgate gateway key (the admin key for /admin routes).',
        );
      }
      throw new GatewayError(
        'invalid_api_key',
        'This API key is not a tollgate key. Use a gateway key ("tg-…") from your administrator.',
      );
    },
  };
}

function ledgerUnavailable(cause: unknown): GatewayError {
  const error = new GatewayError(
    'ledger_unavailable',
    'tollgate cannot check keys right now (its database is unreachable). Please try again shortly.',
    { headers: { 'retry-after': '5' } },
  );
  error.cause = cause;
  return error;
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Admin routes: the admin key, or anyone while the gateway runs open on loopback. */
export function requireAdmin(principal: Principal, open: boolean): void {
  if (principal.kind === 'admin' || (principal.kind === 'anonymous' && open)) return;
  throw new GatewayError('permission_denied', 'This route needs the tollgate admin key.');
}
