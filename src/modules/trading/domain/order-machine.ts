import { Decimal } from '../../../core/decimal.js';
import { TERMINAL, type Fill, type Order, type OrderIntent, type OrderStatus } from './types.js';

/**
 * The order state machine as pure functions: each takes an order and returns a new order with
 * its version bumped and the event that records the change, or an error value when the
 * transition is illegal. Nothing here mutates, reads a clock or performs I/O; the OMS persists
 * the order and writes the event to the outbox in one transaction.
 *
 *   new ─accept─► accepted ─fill─► partially_filled ─fill─► filled
 *    │              ▲  │ amend ⟲         │ amend ⟲
 *    │   accept     │  └──────┬──────────┴──► cancelled / expired
 *    ├─────► pending_trigger ─┘ trigger
 *    └─reject─► rejected
 */
export const LEGAL_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  new: ['accepted', 'pending_trigger', 'rejected'],
  pending_trigger: ['accepted', 'cancelled', 'expired'],
  accepted: ['accepted', 'partially_filled', 'filled', 'cancelled', 'expired'],
  partially_filled: ['partially_filled', 'filled', 'cancelled', 'expired'],
  filled: [],
  cancelled: [],
  rejected: [],
  expired: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean =>
  LEGAL_TRANSITIONS[from].includes(to);

interface EventBase {
  orderId: string;
  clientOrderId: string;
  accountId: string;
  venue: string;
  symbol: string;
  /** The order's version after this event: consumers apply events in version order. */
  version: number;
  /** When it happened (market event time for fills, command time otherwise). */
  ts: number;
}

export type OrderEvent =
  | (EventBase & { type: 'OrderAccepted'; status: 'accepted' | 'pending_trigger' })
  | (EventBase & { type: 'OrderTriggered'; lastPrice: Decimal })
  | (EventBase & {
      type: 'OrderPartiallyFilled' | 'OrderFilled';
      fill: Fill;
      filledQuantity: Decimal;
      leavesQuantity: Decimal;
      averagePrice: Decimal;
    })
  | (EventBase & { type: 'OrderCancelled'; reason: string; leavesQuantity: Decimal })
  | (EventBase & { type: 'OrderRejected'; reason: string; message: string })
  | (EventBase & { type: 'OrderExpired'; reason: string })
  | (EventBase & {
      type: 'OrderAmended';
      price: Decimal | undefined;
      quantity: Decimal;
      previousPrice: Decimal | undefined;
      previousQuantity: Decimal;
    });

export type OrderEventType = OrderEvent['type'];

export type TransitionErrorCode =
  | 'order_not_open'
  | 'illegal_transition'
  | 'fill_order_mismatch'
  | 'fill_not_positive'
  | 'fill_exceeds_quantity'
  | 'not_amendable'
  | 'nothing_to_amend'
  | 'quantity_not_above_filled';

export interface TransitionError {
  code: TransitionErrorCode;
  message: string;
}

export type Transition =
  { ok: true; order: Order; event: OrderEvent } | { ok: false; error: TransitionError };

export const leavesQuantity = (o: Order): Decimal => o.quantity.sub(o.filledQuantity);
export const isOpen = (o: Order): boolean => !TERMINAL.has(o.status) && o.status !== 'new';
const isStop = (o: Order) => o.type === 'stop_market' || o.type === 'stop_limit';

/** A fresh order in status `new`, version 0, from a validated intent. */
export function createOrder(intent: OrderIntent, id: string, ts: number): Order {
  // Written out field by field: a spread followed by new keys makes V8 build a fresh hidden
  // class for every order (about 10 µs and a kilobyte of garbage each on Node 20).
  const order: Order = {
    accountId: intent.accountId,
    venue: intent.venue,
    symbol: intent.symbol,
    side: intent.side,
    type: intent.type,
    quantity: intent.quantity,
    timeInForce: intent.timeInForce,
    postOnly: intent.postOnly,
    reduceOnly: intent.reduceOnly,
    clientOrderId: intent.clientOrderId,
    id,
    status: 'new',
    filledQuantity: Decimal.ZERO,
    averagePrice: Decimal.ZERO,
    filledNotional: Decimal.ZERO,
    fees: Decimal.ZERO,
    createdAt: ts,
    updatedAt: ts,
    version: 0,
  };
  if ('price' in intent) order.price = intent.price;
  if ('stopPrice' in intent) order.stopPrice = intent.stopPrice;
  return order;
}

function fail(code: TransitionErrorCode, message: string): Transition {
  return { ok: false, error: { code, message } };
}

/** Refuses anything on a closed order with the one code users see for it. */
function guard(order: Order, to: OrderStatus, action: string): Transition | undefined {
  if (TERMINAL.has(order.status)) {
    return fail('order_not_open', `cannot ${action} order ${order.id}: it is ${order.status}`);
  }
  if (!canTransition(order.status, to)) {
    return fail(
      'illegal_transition',
      `cannot ${action} order ${order.id} in status ${order.status}`,
    );
  }
  return undefined;
}

function next(order: Order, patch: Partial<Order>, ts: number): Order {
  return { ...order, ...patch, updatedAt: ts, version: order.version + 1 };
}

/**
 * The fields every event of `o` carries, as an object that the event's own fields are then
 * assigned to (`Object.assign(base(o, ts), {...})`): a spread followed by new keys, as in
 * `{ ...base(o, ts), type }`, builds a fresh hidden class on Node 20, about 5 µs an event
 * against 0.1 µs, and a venue emits one or two events per order.
 */
function base(o: Order, ts: number): EventBase {
  return {
    orderId: o.id,
    clientOrderId: o.clientOrderId,
    accountId: o.accountId,
    venue: o.venue,
    symbol: o.symbol,
    version: o.version,
    ts,
  };
}

/** Venue acknowledgement: stops wait for their trigger, everything else is working. */
export function accept(order: Order, ts: number): Transition {
  const status: 'accepted' | 'pending_trigger' = isStop(order) ? 'pending_trigger' : 'accepted';
  const err = guard(order, status, 'accept');
  if (err) return err;
  if (order.status !== 'new')
    return fail('illegal_transition', `order ${order.id} was already accepted`);
  const o = next(order, { status }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), { type: 'OrderAccepted' as const, status }),
  };
}

/** The stop condition held at `lastPrice`; from now on it is a market or limit order. */
export function trigger(order: Order, lastPrice: Decimal, ts: number): Transition {
  const err = guard(order, 'accepted', 'trigger');
  if (err) return err;
  if (order.status !== 'pending_trigger') {
    return fail('illegal_transition', `order ${order.id} is not waiting for a trigger`);
  }
  const o = next(order, { status: 'accepted', triggeredAt: ts }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), { type: 'OrderTriggered' as const, lastPrice }),
  };
}

/**
 * Applies one execution. The average price is Σ(price × quantity) / Σ quantity, computed from
 * the exact running notional and rounded half-even at 18 places only once, so it never drifts.
 */
export function fill(order: Order, f: Fill): Transition {
  if (f.orderId !== order.id) {
    return fail(
      'fill_order_mismatch',
      `fill ${f.id} belongs to order ${f.orderId}, not ${order.id}`,
    );
  }
  const err = guard(order, 'partially_filled', 'fill');
  if (err) return err;
  if (!f.quantity.isPositive()) {
    return fail('fill_not_positive', `fill quantity ${f.quantity} must be positive`);
  }
  const filledQuantity = order.filledQuantity.add(f.quantity);
  if (filledQuantity.gt(order.quantity)) {
    return fail(
      'fill_exceeds_quantity',
      `fill of ${f.quantity} exceeds the ${leavesQuantity(order)} left on order ${order.id}`,
    );
  }
  const filledNotional = order.filledNotional.add(f.price.mul(f.quantity));
  const status = filledQuantity.eq(order.quantity) ? 'filled' : 'partially_filled';
  const o = next(
    order,
    {
      status,
      filledQuantity,
      filledNotional,
      averagePrice: filledNotional.div(filledQuantity),
      fees: order.fees.add(f.fee),
    },
    f.ts,
  );
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, f.ts), {
      type: status === 'filled' ? ('OrderFilled' as const) : ('OrderPartiallyFilled' as const),
      fill: f,
      filledQuantity,
      leavesQuantity: leavesQuantity(o),
      averagePrice: o.averagePrice,
    }),
  };
}

export function cancel(order: Order, reason: string, ts: number): Transition {
  const err = guard(order, 'cancelled', 'cancel');
  if (err) return err;
  const o = next(order, { status: 'cancelled', reason }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), {
      type: 'OrderCancelled' as const,
      reason,
      leavesQuantity: leavesQuantity(o),
    }),
  };
}

/** Refusal before the venue took the order; nothing was filled. */
export function reject(order: Order, reason: string, message: string, ts: number): Transition {
  const err = guard(order, 'rejected', 'reject');
  if (err) return err;
  const o = next(order, { status: 'rejected', reason }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), { type: 'OrderRejected' as const, reason, message }),
  };
}

export function expire(order: Order, reason: string, ts: number): Transition {
  const err = guard(order, 'expired', 'expire');
  if (err) return err;
  const o = next(order, { status: 'expired', reason }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), { type: 'OrderExpired' as const, reason }),
  };
}

export interface Amendment {
  price?: Decimal;
  quantity?: Decimal;
}

/**
 * Changes the price and/or quantity of a working limit order (a plain limit, or a stop-limit
 * after its trigger). The new quantity must stay above what has already filled: equal would
 * be a cancel in disguise and below would un-fill. Tick and lot checks belong to validation.
 */
export function amend(order: Order, change: Amendment, ts: number): Transition {
  if (TERMINAL.has(order.status)) {
    return fail('order_not_open', `cannot amend order ${order.id}: it is ${order.status}`);
  }
  const working = order.status === 'accepted' || order.status === 'partially_filled';
  if (!working || (order.type !== 'limit' && order.type !== 'stop_limit')) {
    return fail(
      'not_amendable',
      `only a working limit order can be amended; ${order.id} is a ${order.status} ${order.type}`,
    );
  }
  const price = change.price ?? order.price;
  const quantity = change.quantity ?? order.quantity;
  const samePrice = price === undefined || (order.price !== undefined && price.eq(order.price));
  if (samePrice && quantity.eq(order.quantity)) {
    return fail('nothing_to_amend', `amendment leaves order ${order.id} unchanged`);
  }
  if (quantity.lte(order.filledQuantity)) {
    return fail(
      'quantity_not_above_filled',
      `new quantity ${quantity} must exceed the ${order.filledQuantity} already filled`,
    );
  }
  const o = next(order, { price, quantity }, ts);
  return {
    ok: true,
    order: o,
    event: Object.assign(base(o, ts), {
      type: 'OrderAmended' as const,
      price,
      quantity,
      previousPrice: order.price,
      previousQuantity: order.quantity,
    }),
  };
}
