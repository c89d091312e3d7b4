import { sql } from 'kysely';
import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type { Posting } from './domain/ledger-journal.js';
import type { TradingState } from './domain/risk.js';
import type { Fill, Order, OrderStatus } from './domain/types.js';

/** Thin persistence of the trading tables: no rules here, the transaction comes from the caller. */

export interface AccountRow {
  id: string;
  user_id: string;
  venue: string;
  name: string;
  is_default: boolean;
  trading_state: TradingState;
  journal_seq: string;
  created_at: Date;
  /** The vault credential of a live account; null on paper (and once the credential is deleted). */
  credential_id?: string | null;
}

export const OPEN_STATUSES: OrderStatus[] = ['accepted', 'partially_filled', 'pending_trigger'];

const num = (v: string | null): Decimal | undefined => (v === null ? undefined : Decimal.parse(v));
const ms = (d: Date | string): number => new Date(d).getTime();

export async function insertDefaultAccount(
  tx: Executor,
  a: { id: string; userId: string; venue: string; now: Date },
): Promise<boolean> {
  const r = await tx
    .insertInto('trading_accounts')
    .values({
      id: a.id,
      user_id: a.userId,
      venue: a.venue,
      name: 'Paper',
      is_default: true,
      created_at: a.now,
    })
    .onConflict((oc) => oc.columns(['user_id', 'venue']).where('is_default', '=', true).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export const findAccount = async (db: Executor, id: string): Promise<AccountRow | undefined> =>
  (await db.selectFrom('trading_accounts').selectAll().where('id', '=', id).executeTakeFirst()) as
    AccountRow | undefined;

export const accountsOfUser = async (db: Executor, userId: string): Promise<AccountRow[]> =>
  (await db
    .selectFrom('trading_accounts')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as AccountRow[];

export const defaultAccount = async (
  db: Executor,
  userId: string,
): Promise<AccountRow | undefined> =>
  (await db
    .selectFrom('trading_accounts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('is_default', '=', true)
    .executeTakeFirst()) as AccountRow | undefined;

export async function usersWithoutAccount(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('trading_accounts as a', (j) =>
      j.onRef('a.user_id', '=', 'u.id').on('a.is_default', '=', true),
    )
    .select('u.id')
    .where('a.id', 'is', null)
    .execute();
  return rows.map((r: { id: string }) => r.id);
}

/** Counts `n` ledger writes against the account; returns the new sequence number. */
export async function bumpJournal(tx: Executor, accountId: string, n = 1): Promise<number> {
  const r = await tx
    .updateTable('trading_accounts')
    .set({ journal_seq: sql`journal_seq + ${n}` })
    .where('id', '=', accountId)
    .returning('journal_seq')
    .executeTakeFirstOrThrow();
  return Number(r.journal_seq);
}

export async function insertLedgerEntry(
  tx: Executor,
  e: {
    id: string;
    accountId: string;
    kind: string;
    reference?: string;
    fillId?: string;
    currency?: string;
    amount?: Decimal;
    postings: readonly Posting[];
    ts: number;
  },
): Promise<boolean> {
  const r = await tx
    .insertInto('ledger_entries')
    .values({
      id: e.id,
      account_id: e.accountId,
      kind: e.kind,
      reference: e.reference ?? null,
      fill_id: e.fillId ?? null,
      currency: e.currency ?? null,
      amount: e.amount?.toString() ?? null,
      postings: JSON.stringify(e.postings),
      ts: new Date(e.ts),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export interface JournalRow {
  kind: string;
  id: string;
  reference: string | null;
  currency: string | null;
  amount: string | null;
  /** As journaled: amounts are decimal strings. */
  postings: Array<{ ledgerAccount: string; currency: string; amount: string }>;
  ts: Date;
  fill: Fill | undefined;
}

/** The account's journal in posting order, fills joined so they replay through the portfolio. */
export async function journalOf(db: Executor, accountId: string): Promise<JournalRow[]> {
  const rows = await db
    .selectFrom('ledger_entries as l')
    .leftJoin('fills as f', 'f.id', 'l.fill_id')
    .select([
      'l.kind',
      'l.id',
      'l.reference',
      'l.currency',
      'l.amount',
      // A fill replays from its fill row; only other entries need their postings.
      sql<unknown>`case when l.fill_id is null then l.postings end`.as('postings'),
      'l.ts',
      'f.id as f_id',
      'f.order_id',
      'f.account_id',
      'f.venue',
      'f.symbol',
      'f.side',
      'f.price',
      'f.quantity',
      'f.fee',
      'f.fee_currency',
      'f.liquidity',
      'f.ts as f_ts',
    ])
    .where('l.account_id', '=', accountId)
    .orderBy('l.seq')
    .execute();
  return (
    rows as Array<
      FillRow & {
        kind: string;
        reference: string | null;
        currency: string | null;
        amount: string | null;
        postings: JournalRow['postings'] | string | null;
        f_id: string | null;
        f_ts: Date;
      }
    >
  ).map((r) => ({
    kind: r.kind,
    id: r.id,
    reference: r.reference,
    currency: r.currency,
    amount: r.amount,
    postings: typeof r.postings === 'string' ? JSON.parse(r.postings) : (r.postings ?? []),
    ts: r.ts,
    fill: r.f_id ? toFill({ ...r, id: r.f_id, ts: r.f_ts }) : undefined,
  }));
}

export interface FillRow {
  id: string;
  order_id: string;
  account_id: string;
  venue: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: string;
  quantity: string;
  fee: string;
  fee_currency: string;
  liquidity: 'maker' | 'taker';
  ts: Date;
}

export const toFill = (r: FillRow): Fill => ({
  id: r.id,
  orderId: r.order_id,
  accountId: r.account_id,
  venue: r.venue,
  symbol: r.symbol,
  side: r.side,
  price: Decimal.parse(r.price),
  quantity: Decimal.parse(r.quantity),
  fee: Decimal.parse(r.fee),
  feeCurrency: r.fee_currency,
  liquidity: r.liquidity,
  ts: ms(r.ts),
});

export async function listFills(
  db: Executor,
  q: { accountId: string; symbol?: string; orderId?: string; limit: number },
): Promise<Fill[]> {
  let query = db.selectFrom('fills').selectAll().where('account_id', '=', q.accountId);
  if (q.symbol) query = query.where('symbol', '=', q.symbol);
  if (q.orderId) query = query.where('order_id', '=', q.orderId);
  const rows = await query.orderBy('ts', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  return (rows as FillRow[]).map(toFill);
}

export interface OrderRow {
  id: string;
  account_id: string;
  client_order_id: string;
  request_hash: string;
  venue: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: Order['type'];
  time_in_force: Order['timeInForce'];
  post_only: boolean;
  reduce_only: boolean;
  quantity: string;
  price: string | null;
  stop_price: string | null;
  status: OrderStatus;
  filled_quantity: string;
  filled_notional: string;
  average_price: string;
  fees: string;
  reason: string | null;
  reason_message: string | null;
  triggered_at: Date | null;
  hold_currency: string | null;
  hold_remaining: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** An order as stored, with what the domain `Order` does not carry. */
export interface StoredOrder {
  order: Order;
  requestHash: string;
  reasonMessage: string | undefined;
  hold: { currency: string; remaining: Decimal } | undefined;
}

export function toStored(r: OrderRow): StoredOrder {
  const order: Order = {
    id: r.id,
    accountId: r.account_id,
    clientOrderId: r.client_order_id,
    venue: r.venue,
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    timeInForce: r.time_in_force,
    postOnly: r.post_only,
    reduceOnly: r.reduce_only,
    quantity: Decimal.parse(r.quantity),
    status: r.status,
    filledQuantity: Decimal.parse(r.filled_quantity),
    filledNotional: Decimal.parse(r.filled_notional),
    averagePrice: Decimal.parse(r.average_price),
    fees: Decimal.parse(r.fees),
    createdAt: ms(r.created_at),
    updatedAt: ms(r.updated_at),
    version: Number(r.version),
  };
  const price = num(r.price);
  const stopPrice = num(r.stop_price);
  if (price) order.price = price;
  if (stopPrice) order.stopPrice = stopPrice;
  if (r.reason !== null) order.reason = r.reason;
  if (r.triggered_at !== null) order.triggeredAt = ms(r.triggered_at);
  const remaining = Decimal.parse(r.hold_remaining);
  return {
    order,
    requestHash: r.request_hash,
    reasonMessage: r.reason_message ?? undefined,
    hold:
      r.hold_currency !== null && remaining.isPositive()
        ? { currency: r.hold_currency, remaining }
        : undefined,
  };
}

const mutable = (o: Order, reasonMessage: string | undefined, hold: Decimal, holdCcy?: string) => ({
  status: o.status,
  quantity: o.quantity.toString(),
  price: o.price?.toString() ?? null,
  filled_quantity: o.filledQuantity.toString(),
  filled_notional: o.filledNotional.toString(),
  average_price: o.averagePrice.toString(),
  fees: o.fees.toString(),
  reason: o.reason ?? null,
  reason_message: reasonMessage ?? null,
  triggered_at: o.triggeredAt === undefined ? null : new Date(o.triggeredAt),
  hold_remaining: hold.toString(),
  ...(holdCcy === undefined ? {} : { hold_currency: holdCcy }),
  version: o.version,
  updated_at: new Date(o.updatedAt),
});

export async function insertOrder(
  tx: Executor,
  o: Order,
  extra: { requestHash: string; reasonMessage?: string; holdCurrency?: string; held: Decimal },
): Promise<void> {
  await tx
    .insertInto('orders')
    .values({
      id: o.id,
      account_id: o.accountId,
      client_order_id: o.clientOrderId,
      request_hash: extra.requestHash,
      venue: o.venue,
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      time_in_force: o.timeInForce,
      post_only: o.postOnly,
      reduce_only: o.reduceOnly,
      stop_price: o.stopPrice?.toString() ?? null,
      created_at: new Date(o.createdAt),
      ...mutable(o, extra.reasonMessage, extra.held, extra.holdCurrency),
    })
    .execute();
}

/** Writes an order's latest state; the version guard refuses a stale overwrite. */
export async function updateOrder(
  tx: Executor,
  o: Order,
  held: Decimal,
  reasonMessage?: string,
): Promise<void> {
  const r = await tx
    .updateTable('orders')
    .set(mutable(o, reasonMessage, held))
    .where('id', '=', o.id)
    .where('version', '<', o.version)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new Error(`order ${o.id} was changed elsewhere (writing version ${o.version})`);
  }
}

export async function findOrder(db: Executor, id: string): Promise<StoredOrder | undefined> {
  const r = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toStored(r as OrderRow) : undefined;
}

export async function findByClientId(
  db: Executor,
  accountId: string,
  clientOrderId: string,
): Promise<StoredOrder | undefined> {
  const r = await db
    .selectFrom('orders')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_order_id', '=', clientOrderId)
    .executeTakeFirst();
  return r ? toStored(r as OrderRow) : undefined;
}

export async function listOrders(
  db: Executor,
  q: { accountId: string; open: boolean; symbol?: string; before?: string; limit: number },
): Promise<StoredOrder[]> {
  let query = db.selectFrom('orders').selectAll().where('account_id', '=', q.accountId);
  if (q.open) query = query.where('status', 'in', OPEN_STATUSES);
  if (q.symbol) query = query.where('symbol', '=', q.symbol);
  if (q.before) query = query.where('id', '<', q.before);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return (rows as OrderRow[]).map(toStored);
}

export async function openOrders(db: Executor, q: { venue?: string; accountId?: string }) {
  let query = db.selectFrom('orders').selectAll().where('status', 'in', OPEN_STATUSES);
  if (q.venue) query = query.where('venue', '=', q.venue);
  if (q.accountId) query = query.where('account_id', '=', q.accountId);
  const rows = await query.orderBy('id').execute();
  return (rows as OrderRow[]).map(toStored);
}

export interface RiskLimitRow {
  max_order_notional: string | null;
  max_position: string | null;
  max_open_orders: number | null;
  price_band_pct: string | null;
  max_daily_loss: string | null;
}

export const riskLimitsOf = async (
  db: Executor,
  accountId: string,
): Promise<RiskLimitRow | undefined> =>
  (await db
    .selectFrom('risk_limits')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst()) as RiskLimitRow | undefined;
