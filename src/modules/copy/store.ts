import { sql } from 'kysely';
import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type {
  Allocation,
  AllocationMode,
  CopyMode,
  FeeTerms,
  Follow,
  FollowSettings,
  FollowStatus,
  LeaderStatus,
} from './domain/index.js';

/** Thin persistence of leaders and follows: no rules here, the transaction comes from the caller. */

export interface LeaderRow {
  id: string;
  user_id: string;
  status: LeaderStatus;
  display_name: string;
  description: string | null;
  payout_account_id: string;
  performance_fee_pct: string;
  subscription_amount: string | null;
  subscription_period_ms: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LeaderRecord extends LeaderRow {
  account_ids: string[];
}

const num = (v: string | null | undefined): Decimal | undefined =>
  v === null || v === undefined ? undefined : Decimal.parse(v);
const str = (d: Decimal | undefined): string | null => (d === undefined ? null : d.toString());
const ms = (d: Date | string): number => new Date(d).getTime();

export function feeTermsOf(r: {
  performance_fee_pct: string;
  subscription_amount: string | null;
  subscription_period_ms: string | null;
}): FeeTerms {
  const terms: FeeTerms = { performanceFeePct: Decimal.parse(r.performance_fee_pct) };
  if (r.subscription_amount !== null && r.subscription_period_ms !== null) {
    terms.subscription = {
      amount: Decimal.parse(r.subscription_amount),
      periodMs: Number(r.subscription_period_ms),
    };
  }
  return terms;
}

async function withAccounts(db: Executor, rows: LeaderRow[]): Promise<LeaderRecord[]> {
  if (!rows.length) return [];
  const links = (await db
    .selectFrom('leader_accounts')
    .select(['leader_id', 'account_id'])
    .where(
      'leader_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('account_id')
    .execute()) as Array<{ leader_id: string; account_id: string }>;
  return rows.map((r) => ({
    ...r,
    account_ids: links.filter((l) => l.leader_id === r.id).map((l) => l.account_id),
  }));
}

export async function findLeader(db: Executor, id: string): Promise<LeaderRecord | undefined> {
  const row = (await db
    .selectFrom('leaders')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()) as LeaderRow | undefined;
  return row ? (await withAccounts(db, [row]))[0] : undefined;
}

/** The user's live (not stopped) profile, locked when `lock` (changes serialise on it). */
export async function liveLeaderOfUser(
  db: Executor,
  userId: string,
  lock = false,
): Promise<LeaderRecord | undefined> {
  let q = db
    .selectFrom('leaders')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '<>', 'stopped');
  if (lock) q = q.forUpdate();
  const row = (await q.executeTakeFirst()) as LeaderRow | undefined;
  return row ? (await withAccounts(db, [row]))[0] : undefined;
}

export async function listLeaders(
  db: Executor,
  q: { statuses: LeaderStatus[]; limit: number; afterId?: string },
): Promise<LeaderRecord[]> {
  let query = db.selectFrom('leaders').selectAll().where('status', 'in', q.statuses);
  if (q.afterId) query = query.where('id', '>', q.afterId);
  const rows = (await query.orderBy('id').limit(q.limit).execute()) as LeaderRow[];
  return withAccounts(db, rows);
}

export async function insertLeader(
  tx: Executor,
  r: LeaderRow,
  accountIds: string[],
): Promise<void> {
  await tx.insertInto('leaders').values(r).execute();
  await setLeaderAccounts(tx, r.id, accountIds);
}

export async function setLeaderAccounts(
  tx: Executor,
  leaderId: string,
  accountIds: string[],
): Promise<void> {
  await tx.deleteFrom('leader_accounts').where('leader_id', '=', leaderId).execute();
  await tx
    .insertInto('leader_accounts')
    .values(accountIds.map((account_id) => ({ leader_id: leaderId, account_id })))
    .execute();
}

export async function updateLeader(
  tx: Executor,
  id: string,
  patch: Partial<Omit<LeaderRow, 'id' | 'user_id' | 'created_at'>>,
): Promise<void> {
  await tx.updateTable('leaders').set(patch).where('id', '=', id).execute();
}

/** Accounts another live profile already copies (an account is copied by one leader at most). */
export async function accountsLedElsewhere(
  db: Executor,
  accountIds: string[],
  exceptLeaderId: string | undefined,
): Promise<string[]> {
  if (!accountIds.length) return [];
  let q = db
    .selectFrom('leader_accounts as la')
    .innerJoin('leaders as l', 'l.id', 'la.leader_id')
    .select('la.account_id')
    .where('la.account_id', 'in', accountIds)
    .where('l.status', '<>', 'stopped');
  if (exceptLeaderId) q = q.where('l.id', '<>', exceptLeaderId);
  return ((await q.execute()) as Array<{ account_id: string }>).map((r) => r.account_id);
}

/**
 * Accounts whose fills are fanned out: those of live leaders, and of stopped ones that still
 * have followers (their exits are copied until the followers leave).
 */
export async function copiedAccounts(db: Executor): Promise<string[]> {
  const r = await sql<{ account_id: string }>`
    select distinct la.account_id from leader_accounts la join leaders l on l.id = la.leader_id
    where l.status <> 'stopped'
       or exists (select 1 from follows f where f.leader_id = l.id and f.status <> 'ended')`.execute(
    db,
  );
  return r.rows.map((x) => x.account_id);
}

export async function leaderStatus(db: Executor, id: string): Promise<LeaderStatus | undefined> {
  const r = (await db
    .selectFrom('leaders')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirst()) as { status: LeaderStatus } | undefined;
  return r?.status;
}

// ── follows ───────────────────────────────────────────────────────────────────────────────

export interface FollowRow {
  id: string;
  leader_id: string;
  follower_user_id: string;
  account_id: string;
  venue: string;
  currency: string;
  status: FollowStatus;
  mode: AllocationMode;
  ratio: string | null;
  amount_per_trade: string | null;
  equity_cap_pct: string | null;
  allocated_amount: string;
  max_order_notional: string | null;
  max_open_positions: number | null;
  drawdown_stop_pct: string | null;
  close_on_drawdown_stop: boolean;
  allow_symbols: string[];
  deny_symbols: string[];
  max_slippage_pct: string | null;
  copy_mode: CopyMode;
  performance_fee_pct: string;
  subscription_amount: string | null;
  subscription_period_ms: string | null;
  fee_high_water_mark: string;
  fee_performance_charged: string;
  fee_performance_settlements: number;
  fee_subscription_paid_through: Date;
  fee_subscription_charged: string;
  fee_subscription_settlements: number;
  fees_settled_at: Date | null;
  close_on_end: boolean;
  started_at: Date;
  ended_at: Date | null;
  final_settled_at: Date | null;
  updated_at: Date;
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? (JSON.parse(v) as string[]) : [];

function allocationOf(r: FollowRow): Allocation {
  switch (r.mode) {
    case 'fixed_ratio':
      return { mode: r.mode, ratio: Decimal.parse(r.ratio!) };
    case 'fixed_amount':
      return { mode: r.mode, amount: Decimal.parse(r.amount_per_trade!) };
    case 'equity_cap':
      return { mode: r.mode, capPct: Decimal.parse(r.equity_cap_pct!) };
    case 'proportional':
      return { mode: r.mode };
  }
}

export function settingsOf(r: FollowRow): FollowSettings {
  const s: FollowSettings = {
    allocation: allocationOf(r),
    allocatedAmount: Decimal.parse(r.allocated_amount),
    allow: list(r.allow_symbols),
    deny: list(r.deny_symbols),
    copyMode: r.copy_mode,
  };
  const notional = num(r.max_order_notional);
  const slippage = num(r.max_slippage_pct);
  const dd = num(r.drawdown_stop_pct);
  if (notional) s.maxOrderNotional = notional;
  if (r.max_open_positions !== null) s.maxOpenPositions = Number(r.max_open_positions);
  if (slippage) s.maxSlippagePct = slippage;
  if (dd) s.drawdownStop = { pct: dd, closePositions: r.close_on_drawdown_stop };
  return s;
}

export function followOf(r: FollowRow): Follow {
  return {
    id: r.id,
    leaderId: r.leader_id,
    followerUserId: r.follower_user_id,
    accountId: r.account_id,
    currency: r.currency,
    status: r.status,
    settings: settingsOf(r),
    startedAt: ms(r.started_at),
  };
}

/** The settings columns of a follow row. */
export function settingsColumns(s: FollowSettings) {
  const a = s.allocation;
  return {
    mode: a.mode,
    ratio: a.mode === 'fixed_ratio' ? a.ratio.toString() : null,
    amount_per_trade: a.mode === 'fixed_amount' ? a.amount.toString() : null,
    equity_cap_pct: a.mode === 'equity_cap' ? a.capPct.toString() : null,
    allocated_amount: s.allocatedAmount.toString(),
    max_order_notional: str(s.maxOrderNotional),
    max_open_positions: s.maxOpenPositions ?? null,
    drawdown_stop_pct: str(s.drawdownStop?.pct),
    close_on_drawdown_stop: s.drawdownStop?.closePositions ?? false,
    allow_symbols: JSON.stringify(s.allow),
    deny_symbols: JSON.stringify(s.deny),
    max_slippage_pct: str(s.maxSlippagePct),
    copy_mode: s.copyMode,
  };
}

export type NewFollowRow = ReturnType<typeof settingsColumns> & {
  id: string;
  leader_id: string;
  follower_user_id: string;
  account_id: string;
  venue: string;
  currency: string;
  status: FollowStatus;
  performance_fee_pct: string;
  subscription_amount: string | null;
  subscription_period_ms: number | null;
  fee_subscription_paid_through: Date;
  started_at: Date;
  updated_at: Date;
};

/** Inserts follows, a thousand rows per statement. */
export async function insertFollows(tx: Executor, rows: readonly NewFollowRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await tx
      .insertInto('follows')
      .values(rows.slice(i, i + 1000) as NewFollowRow[])
      .execute();
  }
}

export async function findFollow(
  db: Executor,
  id: string,
  lock = false,
): Promise<FollowRow | undefined> {
  let q = db.selectFrom('follows').selectAll().where('id', '=', id);
  if (lock) q = q.forUpdate();
  return (await q.executeTakeFirst()) as FollowRow | undefined;
}

export async function followsOfUser(db: Executor, userId: string): Promise<FollowRow[]> {
  return (await db
    .selectFrom('follows')
    .selectAll()
    .where('follower_user_id', '=', userId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .execute()) as FollowRow[];
}

/** A page of a leader's follows that have not ended, in id order. */
export async function followsPage(
  db: Executor,
  leaderId: string,
  q: { afterId?: string; limit: number },
): Promise<FollowRow[]> {
  let query = db
    .selectFrom('follows')
    .selectAll()
    .where('leader_id', '=', leaderId)
    .where('status', '<>', 'ended');
  if (q.afterId) query = query.where('id', '>', q.afterId);
  return (await query.orderBy('id').limit(q.limit).execute()) as FollowRow[];
}

export async function updateFollow(
  tx: Executor,
  id: string,
  patch: Partial<Omit<FollowRow, 'id' | 'allow_symbols' | 'deny_symbols'>> & {
    allow_symbols?: string;
    deny_symbols?: string;
  },
): Promise<FollowRow> {
  return (await tx
    .updateTable('follows')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as FollowRow;
}

/** Moves follows still in one of `from` to `to`; returns those that moved. */
export async function moveFollows(
  tx: Executor,
  ids: string[],
  from: FollowStatus[],
  to: FollowStatus,
  at: Date,
): Promise<FollowRow[]> {
  if (!ids.length) return [];
  return (await tx
    .updateTable('follows')
    .set({ status: to, updated_at: at })
    .where('id', 'in', ids)
    .where('status', 'in', from)
    .returningAll()
    .execute()) as FollowRow[];
}

/** Followers and allocated amount of each leader's follows that have not ended. */
export async function followerCounts(
  db: Executor,
): Promise<Map<string, { followers: number; amount: Decimal }>> {
  const rows = await sql<{ leader_id: string; n: string; amount: string }>`
    select leader_id, count(*) as n, sum(allocated_amount) as amount from follows
    where status in ('active', 'paused') group by leader_id`.execute(db);
  return new Map(
    rows.rows.map((r) => [
      r.leader_id,
      { followers: Number(r.n), amount: Decimal.parse(r.amount) },
    ]),
  );
}

/** Follows with a drawdown stop that may still fire. */
export async function followsWithDrawdownStop(db: Executor): Promise<FollowRow[]> {
  return (await db
    .selectFrom('follows')
    .selectAll()
    .where('status', 'in', ['active', 'paused'])
    .where('drawdown_stop_pct', 'is not', null)
    .execute()) as FollowRow[];
}
