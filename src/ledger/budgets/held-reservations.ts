import type { Kysely } from 'kysely';
import { type Money, moneyToUsdString } from '../../shared/money.ts';
import { toBigint, toNumberOr } from '../db-values.ts';
import type { RequestStatus } from '../ledger-types.ts';
import type { Database } from '../schema/database.ts';

/**
 * A reservation kept at its worst case because its call ended with an unknown cost (a timeout, a
 * broken connection, a killed gateway). Reconciliation releases it once OpenRouter's generation
 * record gives the cost; a call without a generation id never gets one, so its hold stays until an
 * operator releases it.
 */
export interface HeldReservation {
  reservationId: string;
  /** The ledger row of the call (null for a reservation made without one, through the library). */
  requestId: string | null;
  amount: Money;
  amountUsd: string;
  /** When the call was admitted (epoch ms). */
  reservedAt: number;
  module: string | null;
  userId: string | null;
  keyId: string | null;
  /** The call's row as it stands; null when the reservation names no row, or one since dropped. */
  request: HeldRequest | null;
  /**
   * True while reconciliation may still find the cost and release the hold by itself: the row has a
   * generation id, is not reconciled yet, and the reconciler has not given up on it.
   */
  reconcilable: boolean;
}

export interface HeldRequest {
  status: RequestStatus;
  model: string;
  generationId: string | null;
  errorCode: string | null;
  completedAt: number | null;
}

/** Which holds to release: name rows, an age, or all (at least one of them). */
export interface ReleaseHoldsSelector {
  /** Release the holds of these ledger rows (with `before`, those of them admitted before it). */
  requestIds?: readonly string[];
  /** Release the holds of calls admitted before this instant (epoch ms). */
  before?: number;
  /** Release every hold (still subject to `includeReconcilable`). */
  all?: boolean;
  /** Also release holds that reconciliation may still resolve (by default they are left to it). */
  includeReconcilable?: boolean;
}

export interface ReleasedHolds {
  released: HeldReservation[];
  /** Matched, but left held because reconciliation may still find their cost. */
  skipped: HeldReservation[];
  /** Of `requestIds`, holds left because they were admitted at or after `before`. */
  newer: HeldReservation[];
  /** Of `requestIds`, those that have no held reservation. */
  notHeld: string[];
}

type Reader = Kysely<Database>;

/** The held reservations, oldest first; `before` keeps those admitted before that instant. */
export async function listHolds(db: Reader, options: { before?: number | undefined } = {}) {
  let query = db
    .selectFrom('budget_reservations as r')
    .leftJoin('requests as q', 'q.id', 'r.request_id')
    .select([
      'r.id as reservation_id',
      'r.request_id',
      'r.amount',
      'r.created_at',
      'r.module',
      'r.user_id',
      'r.key_id',
      'q.id as row_id',
      'q.status',
      'q.model_requested',
      'q.model',
      'q.generation_id',
      'q.error_code',
      'q.completed_at',
      'q.reconciled_at',
      'q.next_reconcile_at',
    ])
    .where('r.state', '=', 'held')
    .orderBy('r.created_at')
    .orderBy('r.id');
  if (options.before !== undefined) query = query.where('r.created_at', '<', options.before);
  const rows = await query.execute();
  return rows.map((row): HeldReservation => {
    const amount = toBigint(row.amount) ?? 0n;
    const request: HeldRequest | null =
      row.row_id === null
        ? null
        : {
            status: row.status as RequestStatus,
            model: row.model ?? row.model_requested ?? '',
            generationId: row.generation_id,
            errorCode: row.error_code,
            completedAt: row.completed_at === null ? null : toNumberOr(row.completed_at, 0),
          };
    return {
      reservationId: row.reservation_id,
      requestId: row.request_id,
      amount,
      amountUsd: moneyToUsdString(amount),
      reservedAt: toNumberOr(row.created_at, 0),
      module: row.module,
      userId: row.user_id,
      keyId: row.key_id,
      request,
      reconcilable:
        row.generation_id !== null && row.reconciled_at === null && row.next_reconcile_at !== null,
    };
  });
}

/**
 * Releases the holds the selector names, in one write transaction, and says which it released,
 * which it left to reconciliation and which request ids had none. The rows are not touched: their
 * cost stays unknown, and a generation record found later still costs them.
 */
export async function releaseHolds(trx: Reader, selector: ReleaseHoldsSelector): Promise<ReleasedHolds> {
  const wanted = selector.requestIds === undefined ? undefined : new Set(selector.requestIds);
  const { before } = selector;
  const named = (await listHolds(trx)).filter(
    (hold) => wanted === undefined || (hold.requestId !== null && wanted.has(hold.requestId)),
  );
  const newer: HeldReservation[] = [];
  const released: HeldReservation[] = [];
  const skipped: HeldReservation[] = [];
  for (const hold of named) {
    if (before !== undefined && hold.reservedAt >= before) newer.push(hold);
    else if (hold.reconcilable && selector.includeReconcilable !== true) skipped.push(hold);
    else released.push(hold);
  }
  // In chunks: a database caps the parameters of one statement.
  for (let start = 0; start < released.length; start += 500) {
    const ids = released.slice(start, start + 500).map((hold) => hold.reservationId);
    await trx.deleteFrom('budget_reservations').where('id', 'in', ids).where('state', '=', 'held').execute();
  }
  const matched = new Set(named.map((hold) => hold.requestId));
  const notHeld = wanted === undefined ? [] : [...wanted].filter((id) => !matched.has(id));
  return { released, skipped, newer: wanted === undefined ? [] : newer, notHeld };
}
