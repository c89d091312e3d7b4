/**
 * Turns what the venue did with copy orders into copy_trades rows and copied positions, in one
 * transaction per group: a row that was already recorded (a redelivered fill, a resumed
 * fan-out) is left as it was and moves no position, so every execution counts exactly once.
 */
import { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import type { Database, Tx } from '../../platform/db/index.js';
import type { OrderView, PlaceOutcome } from '../trading/index.js';
import type { Side } from './domain/index.js';
import { applyExecution, emptyPosition, type CopyPosition, type Execution } from './positions.js';
import {
  insertCopyTrades,
  lockFollows,
  positionsOf,
  upsertPositions,
  type CopyTradeRow,
} from './store-fanout.js';

/** A copy_trades row before its outcome: who, what and why, with the order fields empty. */
export type TradeBase = Omit<
  CopyTradeRow,
  | 'id'
  | 'status'
  | 'created_at'
  | 'order_id'
  | 'filled_quantity'
  | 'average_price'
  | 'fees'
  | 'slippage_pct'
  | 'latency_ms'
>;

export interface Recorded {
  row: CopyTradeRow;
  execution?: Execution;
}

/** What the venue made of a copy: the row's outcome fields. */
type Outcome = Omit<CopyTradeRow, keyof TradeBase>;

/**
 * The full row, every field written out: spreading `base` and adding fields makes V8 derive a
 * new hidden class per row, which at a fan-out's thousands of rows is most of their cost.
 */
const rowOf = (b: TradeBase, o: Outcome): CopyTradeRow => ({
  id: o.id,
  follow_id: b.follow_id,
  leader_id: b.leader_id,
  kind: b.kind,
  leader_fill_id: b.leader_fill_id,
  action: b.action,
  symbol: b.symbol,
  side: b.side,
  leader_price: b.leader_price,
  leader_quantity: b.leader_quantity,
  leader_ts: b.leader_ts,
  status: o.status,
  reason: b.reason,
  message: b.message,
  capped_by: b.capped_by,
  target_quantity: b.target_quantity,
  client_order_id: b.client_order_id,
  order_id: o.order_id,
  quantity: b.quantity,
  limit_price: b.limit_price,
  filled_quantity: o.filled_quantity,
  average_price: o.average_price,
  fees: o.fees,
  slippage_pct: o.slippage_pct,
  latency_ms: o.latency_ms,
  created_at: o.created_at,
});

const unplaced = (status: CopyTradeRow['status'], at: Date): Outcome => ({
  id: newId(),
  status,
  order_id: null,
  filled_quantity: null,
  average_price: null,
  fees: null,
  slippage_pct: null,
  latency_ms: null,
  created_at: at,
});

/** A skip, as the planner decided it. */
export function skipped(base: TradeBase, at: Date): Recorded {
  return { row: rowOf(base, unplaced('skipped', at)) };
}

/** Adverse slippage in percent, 4 places: a buy filled above or a sell below the leader's price. */
function slippagePct(side: Side, leaderPrice: Decimal, average: Decimal): string {
  const diff = side === 'buy' ? average.sub(leaderPrice) : leaderPrice.sub(average);
  return diff.mulInt(100).div(leaderPrice).round(4).toString();
}

/** The row of an order the venue took: copied when something filled, failed (and why) if not. */
export function placed(
  base: TradeBase,
  order: OrderView,
  filledNotional: string,
  at: Date,
  leaderTs: number | undefined,
): Recorded {
  const filled = Decimal.parse(order.filledQuantity);
  const any = filled.isPositive();
  const leaderPrice = base.leader_price === null ? undefined : Decimal.parse(base.leader_price);
  const row = rowOf(
    {
      follow_id: base.follow_id,
      leader_id: base.leader_id,
      kind: base.kind,
      leader_fill_id: base.leader_fill_id,
      action: base.action,
      symbol: base.symbol,
      side: base.side,
      leader_price: base.leader_price,
      leader_quantity: base.leader_quantity,
      leader_ts: base.leader_ts,
      reason: any ? base.reason : (order.reason ?? 'not_filled'),
      message: any ? base.message : (order.reasonMessage ?? 'the order did not fill'),
      capped_by: base.capped_by,
      target_quantity: base.target_quantity,
      client_order_id: order.clientOrderId,
      quantity: order.quantity,
      limit_price: base.limit_price ?? order.price ?? null,
    },
    {
      id: newId(),
      status: any ? 'copied' : 'failed',
      order_id: order.id,
      filled_quantity: order.filledQuantity,
      average_price: any ? order.averagePrice : null,
      fees: order.fees,
      slippage_pct:
        any && leaderPrice
          ? slippagePct(base.side, leaderPrice, Decimal.parse(order.averagePrice))
          : null,
      latency_ms:
        leaderTs === undefined ? null : Math.max(0, Date.parse(order.createdAt) - leaderTs),
      created_at: at,
    },
  );
  if (!any) return { row };
  return {
    row,
    execution: {
      side: order.side as Side,
      quantity: filled,
      notional: Decimal.parse(filledNotional),
      fee: Decimal.parse(order.fees),
    },
  };
}

/** Refusals that will not change on retry; anything else (a lost venue, a failed commit) may. */
const FINAL_KINDS = new Set(['validation', 'conflict', 'forbidden', 'not_found']);

/**
 * The row of one placement, or undefined when its outcome is not known yet (the venue was
 * unreachable, or the client order id is taken by an order looked up separately).
 */
export function fromOutcome(
  base: TradeBase,
  outcome: PlaceOutcome,
  at: Date,
  leaderTs: number | undefined,
): Recorded | undefined {
  if (outcome.ok) return placed(base, outcome.order, outcome.filledNotional, at, leaderTs);
  const { kind, code, message } = outcome.error;
  if (!FINAL_KINDS.has(kind) || code === 'client_order_id_reused') return undefined;
  return { row: rowOf({ ...base, reason: code, message }, unplaced('failed', at)) };
}

/**
 * Inserts the rows and applies the executions of those inserted to the copied positions, their
 * follows locked for the transaction. Returns every copied position of each follow whose
 * position moved, after the move.
 */
export async function recordTrades(
  database: Database,
  items: readonly Recorded[],
  at: Date,
  alongside?: (tx: Tx) => Promise<void>,
): Promise<Map<string, CopyPosition[]>> {
  if (!items.length && !alongside) return new Map();
  return database.db.transaction().execute(async (tx) => {
    const inserted = await insertCopyTrades(
      tx,
      items.map((i) => i.row),
    );
    const moves = items.filter((i) => i.execution && inserted.has(i.row.id));
    const follows = [...new Set(moves.map((m) => m.row.follow_id))].sort();
    // The follow rows are the lock: a position row may not exist yet to be locked itself.
    if (follows.length) await lockFollows(tx, follows);
    const held = follows.length
      ? await positionsOf(tx, follows)
      : new Map<string, CopyPosition[]>();
    const changed: CopyPosition[] = [];
    for (const m of moves) {
      const list: CopyPosition[] = held.get(m.row.follow_id) ?? [];
      if (!held.has(m.row.follow_id)) held.set(m.row.follow_id, list);
      let i = list.findIndex((p) => p.symbol === m.row.symbol);
      if (i < 0) i = list.push(emptyPosition(m.row.follow_id, m.row.symbol)) - 1;
      list[i] = applyExecution(list[i]!, m.execution!);
      changed.push(list[i]!);
    }
    await upsertPositions(tx, changed, at);
    await alongside?.(tx);
    return held;
  });
}
