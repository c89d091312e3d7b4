import { sql, type RawBuilder } from 'kysely';
import type { Decimal } from '../../core/decimal.js';
import { jsonInsert, type Executor } from '../../platform/db/index.js';
import type { Posting } from './domain/ledger-journal.js';
import type { Fill, Order } from './domain/types.js';
import {
  toStored,
  type AccountRow,
  type OrderRow,
  type RiskLimitRow,
  type StoredOrder,
} from './store.js';

/**
 * Set-at-a-time persistence for the venue's group commit: one statement per table for a whole
 * batch of commands, so a batch of hundreds of orders costs the same few round trips as one.
 * PostgreSQL caps a statement at 65,535 parameters; the venue's batch size keeps well under.
 */

export async function accountsById(db: Executor, ids: string[]): Promise<Map<string, AccountRow>> {
  const out = new Map<string, AccountRow>();
  if (!ids.length) return out;
  const rows = (await db
    .selectFrom('trading_accounts')
    .selectAll()
    .where('id', 'in', ids)
    .execute()) as AccountRow[];
  for (const r of rows) out.set(r.id, r);
  return out;
}

export async function riskLimitsById(
  db: Executor,
  ids: string[],
): Promise<Map<string, RiskLimitRow>> {
  const out = new Map<string, RiskLimitRow>();
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('risk_limits')
    .selectAll()
    .where('account_id', 'in', ids)
    .execute();
  for (const r of rows as Array<RiskLimitRow & { account_id: string }>) out.set(r.account_id, r);
  return out;
}

/** Orders by (account, client order id), keyed `account|clientOrderId`. */
export async function ordersByClientId(
  db: Executor,
  pairs: Array<[string, string]>,
): Promise<Map<string, StoredOrder>> {
  const out = new Map<string, StoredOrder>();
  if (!pairs.length) return out;
  const rows = (await db
    .selectFrom('orders')
    .selectAll()
    .where('client_order_id', 'in', [...new Set(pairs.map((p) => p[1]))])
    .where('account_id', 'in', [...new Set(pairs.map((p) => p[0]))])
    .execute()) as OrderRow[];
  for (const r of rows) out.set(`${r.account_id}|${r.client_order_id}`, toStored(r));
  return out;
}

export interface OrderWrite {
  order: Order;
  held: Decimal;
  reasonMessage: string | undefined;
  /** Present when the order is new in this batch: its row is inserted, not updated. */
  insert?: { requestHash: string; holdCurrency?: string | undefined };
}

const str = (d: Decimal | undefined) => (d === undefined ? null : d.toString());

const ORDER_COLUMNS = [
  'id',
  'account_id',
  'client_order_id',
  'request_hash',
  'venue',
  'symbol',
  'side',
  'type',
  'time_in_force',
  'post_only',
  'reduce_only',
  'stop_price',
  'created_at',
  'status',
  'quantity',
  'price',
  'filled_quantity',
  'filled_notional',
  'average_price',
  'fees',
  'reason',
  'reason_message',
  'triggered_at',
  'hold_currency',
  'hold_remaining',
  'version',
  'updated_at',
];

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

const orderRow = ({ order: o, held, reasonMessage, insert }: OrderWrite) => ({
  id: o.id,
  account_id: o.accountId,
  client_order_id: o.clientOrderId,
  request_hash: insert!.requestHash,
  venue: o.venue,
  symbol: o.symbol,
  side: o.side,
  type: o.type,
  time_in_force: o.timeInForce,
  post_only: o.postOnly,
  reduce_only: o.reduceOnly,
  stop_price: str(o.stopPrice),
  created_at: iso(o.createdAt),
  status: o.status,
  quantity: o.quantity.toString(),
  price: str(o.price),
  filled_quantity: o.filledQuantity.toString(),
  filled_notional: o.filledNotional.toString(),
  average_price: o.averagePrice.toString(),
  fees: o.fees.toString(),
  reason: o.reason ?? null,
  reason_message: reasonMessage ?? null,
  triggered_at: iso(o.triggeredAt),
  hold_currency: insert!.holdCurrency ?? null,
  hold_remaining: held.toString(),
  version: o.version,
  updated_at: iso(o.updatedAt),
});

export async function insertOrders(tx: Executor, writes: OrderWrite[]): Promise<void> {
  if (!writes.length) return;
  await jsonInsert('orders', ORDER_COLUMNS, writes.map(orderRow)).execute(tx);
}

/**
 * Writes each order's latest state in one statement. The version guard refuses a stale
 * overwrite: fewer rows updated than sent means another writer got there first.
 */
export async function updateOrders(tx: Executor, writes: OrderWrite[]): Promise<void> {
  if (!writes.length) return;
  const rows = writes.map(
    ({ order: o, held, reasonMessage }) =>
      sql`(${o.id}::uuid, ${o.status}, ${o.quantity.toString()}::numeric, ${str(o.price)}::numeric,
        ${o.filledQuantity.toString()}::numeric, ${o.filledNotional.toString()}::numeric,
        ${o.averagePrice.toString()}::numeric, ${o.fees.toString()}::numeric, ${o.reason ?? null}::text,
        ${reasonMessage ?? null}::text,
        ${o.triggeredAt === undefined ? null : new Date(o.triggeredAt)}::timestamptz,
        ${held.toString()}::numeric, ${o.version}::integer, ${new Date(o.updatedAt)}::timestamptz)`,
  );
  const r = await sql`
    update orders o set
      status = v.status, quantity = v.quantity, price = v.price,
      filled_quantity = v.filled_quantity, filled_notional = v.filled_notional,
      average_price = v.average_price, fees = v.fees, reason = v.reason,
      reason_message = coalesce(v.reason_message, o.reason_message),
      triggered_at = v.triggered_at, hold_remaining = v.hold_remaining,
      version = v.version, updated_at = v.updated_at
    from (values ${sql.join(rows)}) as v(id, status, quantity, price, filled_quantity,
      filled_notional, average_price, fees, reason, reason_message, triggered_at,
      hold_remaining, version, updated_at)
    where o.id = v.id and o.version < v.version`.execute(tx);
  const n = Number(r.numAffectedRows ?? 0);
  if (n !== writes.length) {
    throw new Error(`${writes.length - n} of ${writes.length} orders were changed elsewhere`);
  }
}

const FILL_COLUMNS = [
  'id',
  'order_id',
  'account_id',
  'venue',
  'symbol',
  'side',
  'price',
  'quantity',
  'fee',
  'fee_currency',
  'liquidity',
  'ts',
];

const fillRow = (f: Fill) => ({
  id: f.id,
  order_id: f.orderId,
  account_id: f.accountId,
  venue: f.venue,
  symbol: f.symbol,
  side: f.side,
  price: f.price.toString(),
  quantity: f.quantity.toString(),
  fee: f.fee.toString(),
  fee_currency: f.feeCurrency,
  liquidity: f.liquidity,
  ts: iso(f.ts),
});

export async function insertFills(tx: Executor, fills: Fill[]): Promise<void> {
  if (!fills.length) return;
  await jsonInsert('fills', FILL_COLUMNS, fills.map(fillRow)).execute(tx);
}

export interface LedgerWrite {
  id: string;
  accountId: string;
  kind: string;
  reference?: string;
  fillId?: string;
  postings: readonly Posting[];
  ts: number;
}

const LEDGER_COLUMNS = ['id', 'account_id', 'kind', 'reference', 'fill_id', 'postings', 'ts'];

const ledgerRow = (e: LedgerWrite) => ({
  id: e.id,
  account_id: e.accountId,
  kind: e.kind,
  reference: e.reference ?? null,
  fill_id: e.fillId ?? null,
  postings: e.postings,
  ts: iso(e.ts),
});

/** Entries are inserted in the order given, which is the order their `seq` numbers follow. */
export async function insertLedgerEntries(tx: Executor, entries: LedgerWrite[]): Promise<void> {
  if (!entries.length) return;
  await jsonInsert('ledger_entries', LEDGER_COLUMNS, entries.map(ledgerRow)).execute(tx);
}

/** Counts ledger writes against several accounts at once; returns each account's new sequence. */
export async function bumpJournals(
  tx: Executor,
  counts: Map<string, number>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!counts.size) return out;
  const rows = [...counts].map(([id, n]) => sql`(${id}::uuid, ${n}::bigint)`);
  const r = await sql<{ id: string; journal_seq: string }>`
    update trading_accounts a set journal_seq = a.journal_seq + v.n
    from (values ${sql.join(rows)}) as v(id, n)
    where a.id = v.id
    returning a.id, a.journal_seq`.execute(tx);
  for (const row of r.rows) out.set(row.id, Number(row.journal_seq));
  return out;
}

/** What a small batch inserts, and the journal counters it moves. */
export interface SmallBatch {
  inserts: OrderWrite[];
  fills: Fill[];
  ledger: LedgerWrite[];
  /** The batch's outbox append, as `Emit.insert` builds it. */
  events: RawBuilder<unknown> | undefined;
  journal: ReadonlyMap<string, number>;
}

/**
 * A small batch's inserts and journal counters in one statement (data-modifying CTEs): one
 * round trip instead of five, which is most of a small group commit's time (a leader's order,
 * the first chunk of a fan-out). Foreign keys between the rows hold, since PostgreSQL checks
 * them at the end of the statement. Large batches gain nothing from it (the server's work per
 * row dominates) and run as separate statements. Returns each account's new journal sequence.
 */
export async function insertSmallBatch(tx: Executor, w: SmallBatch): Promise<Map<string, number>> {
  const parts: Array<RawBuilder<unknown>> = [];
  const add = (name: string, statement: RawBuilder<unknown>) =>
    parts.push(sql`${sql.raw(name)} as (${statement})`);
  if (w.inserts.length) add('o', jsonInsert('orders', ORDER_COLUMNS, w.inserts.map(orderRow)));
  if (w.fills.length) add('f', jsonInsert('fills', FILL_COLUMNS, w.fills.map(fillRow)));
  if (w.ledger.length)
    add('l', jsonInsert('ledger_entries', LEDGER_COLUMNS, w.ledger.map(ledgerRow)));
  if (w.events) add('e', w.events);
  const counts = JSON.stringify([...w.journal].map(([id, n]) => ({ id, n })));
  add(
    'j',
    sql`update trading_accounts a set journal_seq = a.journal_seq + v.n
      from json_to_recordset(${counts}::json) as v(id uuid, n bigint)
      where a.id = v.id
      returning a.id, a.journal_seq`,
  );
  const r = await sql<{ id: string; journal_seq: string }>`
    with ${sql.join(parts)} select id, journal_seq from j`.execute(tx);
  const out = new Map<string, number>();
  for (const row of r.rows) out.set(row.id, Number(row.journal_seq));
  return out;
}
