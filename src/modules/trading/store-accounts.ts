import type { Executor } from '../../platform/db/index.js';
import type { TradingState } from './domain/risk.js';
import type { AccountRow, RiskLimitRow } from './store.js';

/**
 * Persistence of account settings and equity snapshots: thin, no rules, the transaction comes
 * from the caller. The order path's own reads stay in `store.ts`.
 */

export interface RiskLimitsRecord extends RiskLimitRow {
  updated_at: Date;
}

export const accountById = async (db: Executor, id: string): Promise<AccountRow | undefined> =>
  (await db.selectFrom('trading_accounts').selectAll().where('id', '=', id).executeTakeFirst()) as
    AccountRow | undefined;

/** The account row, locked until the caller's transaction ends, so its changes serialise. */
export const lockAccount = async (tx: Executor, id: string): Promise<AccountRow | undefined> =>
  (await tx
    .selectFrom('trading_accounts')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()) as AccountRow | undefined;

export const riskLimitsRecord = async (
  db: Executor,
  accountId: string,
): Promise<RiskLimitsRecord | undefined> =>
  (await db
    .selectFrom('risk_limits')
    .select([
      'max_order_notional',
      'max_position',
      'max_open_orders',
      'max_daily_loss',
      'price_band_pct',
      'updated_at',
    ])
    .where('account_id', '=', accountId)
    .executeTakeFirst()) as RiskLimitsRecord | undefined;

export async function upsertRiskLimits(
  tx: Executor,
  accountId: string,
  v: RiskLimitRow,
  now: Date,
): Promise<RiskLimitsRecord> {
  const values = {
    max_order_notional: v.max_order_notional,
    max_position: v.max_position,
    max_open_orders: v.max_open_orders,
    max_daily_loss: v.max_daily_loss,
    price_band_pct: v.price_band_pct,
    updated_at: now,
  };
  return (await tx
    .insertInto('risk_limits')
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .returning([
      'max_order_notional',
      'max_position',
      'max_open_orders',
      'max_daily_loss',
      'price_band_pct',
      'updated_at',
    ])
    .executeTakeFirstOrThrow()) as RiskLimitsRecord;
}

export async function updateAccount(
  tx: Executor,
  id: string,
  patch: { trading_state?: TradingState; name?: string },
): Promise<AccountRow> {
  return (await tx
    .updateTable('trading_accounts')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as AccountRow;
}

/** Accounts with at least one ledger entry, in id order, after `afterId` and at most `limit`. */
export async function fundedAccounts(
  db: Executor,
  q: { afterId?: string; limit?: number } = {},
): Promise<AccountRow[]> {
  let query = db.selectFrom('trading_accounts').selectAll().where('journal_seq', '>', 0);
  if (q.afterId) query = query.where('id', '>', q.afterId);
  if (q.limit !== undefined) query = query.limit(q.limit);
  return (await query.orderBy('id').execute()) as AccountRow[];
}

export interface EquitySnapshotRow {
  account_id: string;
  ts: Date;
  currency: string;
  equity: string;
  cash: string;
  positions_value: string;
  realized_pnl: string;
  unrealized_pnl: string;
  net_contributions: string;
  complete: boolean;
}

/** Rows per INSERT: 10 parameters each stays far below PostgreSQL's 65535. */
const INSERT_BATCH = 1000;

/** Writes the rows (a point already stored for an account and instant is kept); returns how many were new. */
export async function insertEquitySnapshots(
  tx: Executor,
  rows: readonly EquitySnapshotRow[],
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    const r = await tx
      .insertInto('equity_snapshots')
      .values(rows.slice(i, i + INSERT_BATCH))
      .onConflict((oc) => oc.columns(['account_id', 'ts']).doNothing())
      .executeTakeFirst();
    inserted += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/**
 * The account's points between `from` and `to` (both inclusive), oldest first: the first
 * `limit` from `from` when it is given, else the last `limit` up to `to`.
 */
export async function equitySnapshots(
  db: Executor,
  q: { accountId: string; from?: Date; to?: Date; limit: number },
): Promise<EquitySnapshotRow[]> {
  let query = db.selectFrom('equity_snapshots').selectAll().where('account_id', '=', q.accountId);
  if (q.from) query = query.where('ts', '>=', q.from);
  if (q.to) query = query.where('ts', '<=', q.to);
  const rows = (await query
    .orderBy('ts', q.from ? 'asc' : 'desc')
    .limit(q.limit)
    .execute()) as EquitySnapshotRow[];
  return q.from ? rows : rows.reverse();
}
