import { sql, type RawBuilder } from 'kysely';
import { Decimal } from '../../core/decimal.js';
import { jsonInsert, type Executor } from '../../platform/db/index.js';
import type { Side } from './domain/index.js';
import type { CopyPosition } from './positions.js';
import type { FollowRow } from './store.js';

/**
 * Persistence of fan-outs, their copy trades and the follows' copied positions: set-at-a-time
 * statements, since one leader fill writes a row per follower.
 */

export interface Fanout {
  leaderFillId: string;
  leaderId: string;
  leaderAccountId: string;
  venue: string;
  symbol: string;
  side: Side;
  price: Decimal;
  quantity: Decimal;
  fillTs: number;
  positionBefore: Decimal;
  leaderEquity?: Decimal;
}

interface FanoutRow {
  leader_fill_id: string;
  leader_id: string;
  leader_account_id: string;
  venue: string;
  symbol: string;
  side: Side;
  price: string;
  quantity: string;
  fill_ts: Date;
  position_before: string;
  leader_equity: string | null;
}

const fanoutOf = (r: FanoutRow): Fanout => ({
  leaderFillId: r.leader_fill_id,
  leaderId: r.leader_id,
  leaderAccountId: r.leader_account_id,
  venue: r.venue,
  symbol: r.symbol,
  side: r.side,
  price: Decimal.parse(r.price),
  quantity: Decimal.parse(r.quantity),
  fillTs: new Date(r.fill_ts).getTime(),
  positionBefore: Decimal.parse(r.position_before),
  ...(r.leader_equity === null ? {} : { leaderEquity: Decimal.parse(r.leader_equity) }),
});

/** The leader's equity at the fill: the first value stored wins, so a resumed fan-out reuses it. */
export async function fixLeaderEquity(db: Executor, f: Fanout, equity: Decimal): Promise<Decimal> {
  const r = await sql<{ leader_equity: string }>`
    update copy_fanouts set leader_equity = coalesce(leader_equity, ${equity.toString()}::numeric)
    where leader_fill_id = ${f.leaderFillId} and leader_id = ${f.leaderId}::uuid
    returning leader_equity`.execute(db);
  return r.rows[0] ? Decimal.parse(r.rows[0].leader_equity) : equity;
}

export async function touchFanout(db: Executor, f: Fanout, done: boolean): Promise<void> {
  await sql`update copy_fanouts set progress_at = now(),
      completed_at = case when ${done} then now() else completed_at end
    where leader_fill_id = ${f.leaderFillId} and leader_id = ${f.leaderId}::uuid`.execute(db);
}

/** The leaders copying an account (usually one). */
export async function leadersOfAccount(db: Executor, accountId: string): Promise<string[]> {
  const rows = (await db
    .selectFrom('leader_accounts')
    .select('leader_id')
    .where('account_id', '=', accountId)
    .execute()) as Array<{ leader_id: string }>;
  return rows.map((r) => r.leader_id);
}

/** Fan-outs that stopped making progress `idleMs` ago or more without completing. */
export async function stalledFanouts(db: Executor, idleMs: number): Promise<Fanout[]> {
  const r = await sql<FanoutRow>`
    select * from copy_fanouts where completed_at is null
      and progress_at <= now() - ${idleMs}::bigint * interval '1 millisecond'
    order by created_at limit 100`.execute(db);
  return r.rows.map(fanoutOf);
}

/** A fill of a copied account, as the fan-out consumer receives it. */
export interface CopiedFill {
  id: string;
  accountId: string;
  venue: string;
  symbol: string;
  side: Side;
  price: Decimal;
  quantity: Decimal;
  ts: number;
  /** The leader's position just before the fill, where the fill's event carries it. */
  positionBefore?: Decimal;
}

/**
 * Records one fan-out per leader copying the fill's account, each with the leader's base
 * position just before the fill. The venue's event carries that position; an event without it
 * (written before it did) has it summed from the journal order of the account's fills — the
 * book in memory may already hold later ones by the time the event is handled — which costs a
 * read of the account's whole history. One statement, since it runs on the path from a
 * leader's fill to the first copy. Returns the fan-outs that were new (a redelivered fill finds
 * its own).
 */
export async function recordFanouts(tx: Executor, fill: CopiedFill): Promise<Fanout[]> {
  const r = await fanoutsInsert(fill, sql`leader_accounts la`).execute(tx);
  return fanoutsOf(fill, r.rows);
}

/**
 * `recordFanouts` together with the inbox claim of the fill's event (`claim`, returning the
 * event id when it is new), as one statement: nothing is recorded for an event seen before.
 */
export function recordFanoutsWithClaim(
  fill: CopiedFill,
  claim: RawBuilder<unknown>,
): {
  statement: RawBuilder<Record<string, unknown>>;
  outcome(rows: ReadonlyArray<Record<string, unknown>>): { claimed: boolean; fresh: Fanout[] };
} {
  const insert = fanoutsInsert(fill, sql`claimed, leader_accounts la`);
  return {
    statement: sql<Record<string, unknown>>`with claimed as (${claim}), ins as (${insert})
      select (select count(*) from claimed)::int as claimed, ins.leader_id, ins.position_before
      from (select 1) one left join ins on true`,
    outcome(rows) {
      const claimed = Number(rows[0]?.claimed ?? 0) > 0;
      const made = rows.filter((r) => r.leader_id !== null) as unknown as InsertedFanout[];
      return { claimed, fresh: fanoutsOf(fill, made) };
    },
  };
}

interface InsertedFanout {
  leader_id: string;
  position_before: string;
}

function fanoutsInsert(fill: CopiedFill, from: RawBuilder<unknown>): RawBuilder<InsertedFanout> {
  const before =
    fill.positionBefore !== undefined
      ? sql`${fill.positionBefore.toString()}::numeric`
      : sql`coalesce((
        select sum(case when f.side = 'buy' then f.quantity else -f.quantity end)
        from ledger_entries l join fills f on f.id = l.fill_id
        where l.account_id = la.account_id and f.symbol = ${fill.symbol}
          and l.seq < (select seq from ledger_entries where id = ${fill.id})), 0)`;
  return sql<InsertedFanout>`
    insert into copy_fanouts (leader_fill_id, leader_id, leader_account_id, venue, symbol, side,
      price, quantity, fill_ts, position_before)
    select ${fill.id}, la.leader_id, la.account_id, ${fill.venue}, ${fill.symbol}, ${fill.side},
      ${fill.price.toString()}::numeric, ${fill.quantity.toString()}::numeric,
      ${new Date(fill.ts)}::timestamptz, ${before}
    from ${from} where la.account_id = ${fill.accountId}::uuid
    on conflict do nothing
    returning leader_id, position_before`;
}

function fanoutsOf(fill: CopiedFill, rows: readonly InsertedFanout[]): Fanout[] {
  return rows.map((row) => ({
    leaderFillId: fill.id,
    leaderId: row.leader_id,
    leaderAccountId: fill.accountId,
    venue: fill.venue,
    symbol: fill.symbol,
    side: fill.side,
    price: fill.price,
    quantity: fill.quantity,
    fillTs: fill.ts,
    positionBefore: Decimal.parse(String(row.position_before)),
  }));
}

// ── copy trades ─────────────────────────────────────────────────────────────────────────────

export type CopyTradeKind = 'copy' | 'drawdown_close' | 'unfollow_close';
export type CopyTradeStatus = 'copied' | 'skipped' | 'failed';

export interface CopyTradeRow {
  id: string;
  follow_id: string;
  leader_id: string;
  kind: CopyTradeKind;
  leader_fill_id: string | null;
  action: 'open' | 'close';
  symbol: string;
  side: Side;
  leader_price: string | null;
  leader_quantity: string | null;
  leader_ts: string | Date | null;
  status: CopyTradeStatus;
  reason: string | null;
  message: string | null;
  capped_by: string | null;
  target_quantity: string | null;
  client_order_id: string | null;
  order_id: string | null;
  quantity: string | null;
  limit_price: string | null;
  filled_quantity: string | null;
  average_price: string | null;
  fees: string | null;
  slippage_pct: string | null;
  latency_ms: number | null;
  created_at: string | Date;
}

const TRADE_COLUMNS: ReadonlyArray<keyof CopyTradeRow> = [
  'id',
  'follow_id',
  'leader_id',
  'kind',
  'leader_fill_id',
  'action',
  'symbol',
  'side',
  'leader_price',
  'leader_quantity',
  'leader_ts',
  'status',
  'reason',
  'message',
  'capped_by',
  'target_quantity',
  'client_order_id',
  'order_id',
  'quantity',
  'limit_price',
  'filled_quantity',
  'average_price',
  'fees',
  'slippage_pct',
  'latency_ms',
  'created_at',
];

/** Inserts rows not recorded yet; returns the ids of those inserted. */
export async function insertCopyTrades(
  tx: Executor,
  rows: readonly CopyTradeRow[],
): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const r = await sql<{ id: string }>`${jsonInsert(
    'copy_trades',
    TRADE_COLUMNS,
    rows as unknown as Array<Record<string, unknown>>,
  )} on conflict do nothing returning id`.execute(tx);
  return new Set(r.rows.map((x) => x.id));
}

/** Follows that already have a row for this fill of this leader. */
export async function recordedFollows(
  db: Executor,
  leaderFillId: string,
  leaderId: string,
): Promise<Set<string>> {
  const rows = (await db
    .selectFrom('copy_trades')
    .select('follow_id')
    .where('leader_fill_id', '=', leaderFillId)
    .where('leader_id', '=', leaderId)
    .execute()) as Array<{ follow_id: string }>;
  return new Set(rows.map((r) => r.follow_id));
}

export async function copyTradesOf(
  db: Executor,
  followId: string,
  q: { limit: number; before?: string },
): Promise<CopyTradeRow[]> {
  let query = db.selectFrom('copy_trades').selectAll().where('follow_id', '=', followId);
  if (q.before) {
    const before = q.before;
    query = query.where((eb) =>
      eb(
        eb.refTuple('created_at', 'id'),
        '<',
        eb.tuple(
          eb.selectFrom('copy_trades').select('created_at').where('id', '=', before),
          before,
        ),
      ),
    );
  }
  return (await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit)
    .execute()) as CopyTradeRow[];
}

// ── copied positions ────────────────────────────────────────────────────────────────────────

interface PositionRow {
  follow_id: string;
  symbol: string;
  quantity: string;
  cost: string;
  realized_pnl: string;
  fees: string;
}

const positionOf = (r: PositionRow): CopyPosition => ({
  followId: r.follow_id,
  symbol: r.symbol,
  quantity: Decimal.parse(r.quantity),
  cost: Decimal.parse(r.cost),
  realizedPnl: Decimal.parse(r.realized_pnl),
  fees: Decimal.parse(r.fees),
});

/**
 * A page of a leader's follows that have not ended, in id order, each with its copied
 * positions: what planning a chunk reads, in one round trip.
 */
export async function followsWithPositions(
  db: Executor,
  leaderId: string,
  q: { afterId?: string; limit: number },
): Promise<Array<{ row: FollowRow; positions: CopyPosition[] }>> {
  const r = await sql<FollowRow & { positions: PositionRow[] | string }>`
    select f.*, coalesce((select json_agg(json_build_object('follow_id', p.follow_id,
        'symbol', p.symbol, 'quantity', p.quantity::text, 'cost', p.cost::text,
        'realized_pnl', p.realized_pnl::text, 'fees', p.fees::text))
      from copy_positions p where p.follow_id = f.id), '[]') as positions
    from follows f
    where f.leader_id = ${leaderId}::uuid and f.status <> 'ended'
      ${q.afterId ? sql`and f.id > ${q.afterId}::uuid` : sql``}
    order by f.id limit ${q.limit}`.execute(db);
  return r.rows.map(({ positions, ...row }) => ({
    row: row as FollowRow,
    positions: (typeof positions === 'string'
      ? (JSON.parse(positions) as PositionRow[])
      : positions
    ).map(positionOf),
  }));
}

/** Locks follow rows until the transaction ends, in id order so that lockers never deadlock. */
export async function lockFollows(tx: Executor, followIds: readonly string[]): Promise<void> {
  const ids = [...followIds].sort();
  for (let i = 0; i < ids.length; i += 1000) {
    await tx
      .selectFrom('follows')
      .select('id')
      .where('id', 'in', ids.slice(i, i + 1000))
      .orderBy('id')
      .forUpdate()
      .execute();
  }
}

/** Every copied position of the follows, by follow. */
export async function positionsOf(
  db: Executor,
  followIds: readonly string[],
): Promise<Map<string, CopyPosition[]>> {
  const out = new Map<string, CopyPosition[]>();
  for (let i = 0; i < followIds.length; i += 1000) {
    const q = db
      .selectFrom('copy_positions')
      .selectAll()
      .where('follow_id', 'in', followIds.slice(i, i + 1000));
    for (const r of (await q.execute()) as PositionRow[]) {
      const p = positionOf(r);
      const list = out.get(p.followId);
      if (list) list.push(p);
      else out.set(p.followId, [p]);
    }
  }
  return out;
}

const POSITION_COLUMNS = [
  'follow_id',
  'symbol',
  'quantity',
  'cost',
  'realized_pnl',
  'fees',
  'updated_at',
];

export async function upsertPositions(
  tx: Executor,
  positions: readonly CopyPosition[],
  at: Date,
): Promise<void> {
  if (!positions.length) return;
  const rows = positions.map((p) => ({
    follow_id: p.followId,
    symbol: p.symbol,
    quantity: p.quantity.toString(),
    cost: p.cost.toString(),
    realized_pnl: p.realizedPnl.toString(),
    fees: p.fees.toString(),
    updated_at: at.toISOString(),
  }));
  await sql`${jsonInsert('copy_positions', POSITION_COLUMNS, rows)}
    on conflict (follow_id, symbol) do update set quantity = excluded.quantity,
      cost = excluded.cost, realized_pnl = excluded.realized_pnl, fees = excluded.fees,
      updated_at = excluded.updated_at`.execute(tx);
}
