import { createHash, randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Clock } from '../../shared/clock.ts';
import { uuidv7 } from '../../shared/ids.ts';
import type { Money } from '../../shared/money.ts';
import type { StoreBackend } from '../backend/store-backend.ts';
import type { BudgetWindow } from '../budgets/budget-windows.ts';
import type { Budgets } from '../budgets/budgets.ts';
import { fromJson, toNumber, toNumberOr } from '../db-values.ts';
import { invalidInput } from '../ledger-errors.ts';
import type { GatewayKeysTable } from '../schema/gateway-keys.table.ts';
import { optionalText, withoutControlCharacters } from '../write/row-values.ts';

export const GATEWAY_KEY_PREFIX = 'tg-';
const DISPLAY_PREFIX_LENGTH = 10;

export interface GatewayKey {
  id: string;
  name: string;
  /** sha256 of the secret, hex. */
  hash: string;
  /** The secret's first characters, for display (`tg-AbC1dE…`). */
  prefix: string;
  defaultModule: string | null;
  defaultUser: string | null;
  budgetId: string | null;
  rpmLimit: number | null;
  /** Glob-like model patterns (`openai/*`); null: any model. Matching happens in the gateway. */
  allowedModels: string[] | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface CreateGatewayKeyInput {
  name: string;
  defaultModule?: string | null;
  defaultUser?: string | null;
  rpmLimit?: number | null;
  allowedModels?: readonly string[] | null;
  /** Creates a key-scoped budget for this key and links it. */
  budget?: { window: BudgetWindow; limit: Money } | null;
}

/** sha256 hex of a presented secret: what `getByHash` looks up. */
export function hashGatewayKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function keyFromRow(row: Selectable<GatewayKeysTable>): GatewayKey {
  const allowed = fromJson(row.allowed_models);
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    prefix: row.prefix,
    defaultModule: row.default_module,
    defaultUser: row.default_user,
    budgetId: row.budget_id,
    rpmLimit: toNumber(row.rpm_limit),
    allowedModels: Array.isArray(allowed)
      ? allowed.filter((item): item is string => typeof item === 'string')
      : null,
    createdAt: toNumberOr(row.created_at, 0),
    revokedAt: toNumber(row.revoked_at),
  };
}

/**
 * Gateway keys: stored as a sha256 hash (never the secret) with a display prefix, default
 * attribution, an optional linked budget, a rate limit and allowed model patterns. The plain
 * secret (`tg-` + 32 random bytes, base64url) is returned once, by `create`.
 */
export class GatewayKeys {
  readonly #backend: StoreBackend;
  readonly #clock: Clock;
  readonly #budgets: Budgets;
  readonly #random: (size: number) => Buffer;

  constructor(
    backend: StoreBackend,
    clock: Clock,
    budgets: Budgets,
    random: (size: number) => Buffer = randomBytes,
  ) {
    this.#backend = backend;
    this.#clock = clock;
    this.#budgets = budgets;
    this.#random = random;
  }

  async create(input: CreateGatewayKeyInput): Promise<{ key: GatewayKey; secret: string }> {
    const name = optionalText(input.name, 'name');
    if (name === null) throw invalidInput('a gateway key needs a name');
    const rpm = input.rpmLimit ?? null;
    if (rpm !== null && (!Number.isSafeInteger(rpm) || rpm <= 0))
      throw invalidInput('rpmLimit must be a positive integer');
    const allowed = input.allowedModels ?? null;
    if (allowed !== null && !allowed.every((pattern) => typeof pattern === 'string' && pattern.length > 0)) {
      throw invalidInput('allowedModels must be non-empty strings');
    }
    // The defaults attribute every call the key makes: refused now rather than on each call.
    const defaultModule = withoutControlCharacters(
      optionalText(input.defaultModule, 'defaultModule'),
      'defaultModule',
    );
    const defaultUser = withoutControlCharacters(
      optionalText(input.defaultUser, 'defaultUser'),
      'defaultUser',
    );
    const secret = `${GATEWAY_KEY_PREFIX}${this.#random(32).toString('base64url')}`;
    const now = this.#clock.now();
    const id = uuidv7(now);
    const budget = input.budget
      ? await this.#budgets.set({
          scope: 'key',
          scopeValue: id,
          window: input.budget.window,
          limit: input.budget.limit,
        })
      : null;
    const row = await this.#backend.db
      .insertInto('gateway_keys')
      .values({
        id,
        name,
        hash: hashGatewayKeySecret(secret),
        prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
        default_module: defaultModule,
        default_user: defaultUser,
        budget_id: budget?.id ?? null,
        rpm_limit: rpm,
        allowed_models: allowed === null ? null : JSON.stringify(allowed),
        created_at: now,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key: keyFromRow(row), secret };
  }

  async list(options: { includeRevoked?: boolean } = {}): Promise<GatewayKey[]> {
    let query = this.#backend.db.selectFrom('gateway_keys').selectAll().orderBy('created_at').orderBy('id');
    if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
    return (await query.execute()).map(keyFromRow);
  }

  async get(id: string): Promise<GatewayKey | undefined> {
    const row = await this.#backend.db
      .selectFrom('gateway_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? keyFromRow(row) : undefined;
  }

  /** The key with this secret hash, revoked or not (the caller checks `revokedAt`). */
  async getByHash(hash: string): Promise<GatewayKey | undefined> {
    const row = await this.#backend.db
      .selectFrom('gateway_keys')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row ? keyFromRow(row) : undefined;
  }

  /**
   * Revokes the key (idempotent): the key as it now stands, and whether this call revoked it or it
   * was revoked already (its first revocation time kept); undefined when there is no such key.
   */
  async revoke(id: string): Promise<{ key: GatewayKey; alreadyRevoked: boolean } | undefined> {
    const now = this.#clock.now();
    const [result] = await this.#backend.db
      .updateTable('gateway_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    const key = await this.get(id);
    if (key === undefined) return undefined;
    return { key, alreadyRevoked: (result?.numUpdatedRows ?? 0n) === 0n };
  }
}
