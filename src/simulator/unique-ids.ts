import { randomBytes } from 'node:crypto';

/**
 * Identifiers that must be unique across simulator instances (generation ids end up as unique
 * keys in ledgers that outlive one simulator run), so they come from the OS random source rather
 * than the seeded generator. Bytes are fetched in blocks to keep the hot path cheap.
 */
export interface IdSource {
  /** `count` random alphanumeric characters. */
  alnum(count: number): string;
  /** `count` random lowercase hex characters. */
  hex(count: number): string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BLOCK = 4096;

export function createIdSource(): IdSource {
  let pool = randomBytes(BLOCK);
  let offset = 0;
  const byte = (): number => {
    if (offset >= BLOCK) {
      pool = randomBytes(BLOCK);
      offset = 0;
    }
    return pool[offset++] ?? 0;
  };
  return {
    alnum(count) {
      let out = '';
      while (out.length < count) {
        const b = byte();
        // 248 = 4 × 62: rejecting the top values keeps every character equally likely.
        if (b < 248) out += ALNUM[b % 62];
      }
      return out;
    },
    hex(count) {
      let out = '';
      while (out.length < count) out += byte().toString(16).padStart(2, '0');
      return out.slice(0, count);
    },
  };
}

/** `gen-<unix seconds>-<20 alnum>`, the observed OpenRouter generation id form. */
export function generationId(ids: IdSource, nowMs: number): string {
  return `gen-${Math.floor(nowMs / 1000)}-${ids.alnum(20)}`;
}
