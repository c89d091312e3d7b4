import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { d, T0 } from './matching.fixtures.js';
import {
  LEGAL_TRANSITIONS,
  accept,
  amend,
  cancel,
  canTransition,
  createOrder,
  expire,
  fill,
  reject,
  trigger,
  type Transition,
} from './order-machine.js';
import type { Fill, Order, OrderIntent, OrderStatus } from './types.js';

const intent = (over: Partial<OrderIntent> = {}): OrderIntent => ({
  accountId: 'acc-1',
  venue: 'paper',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity: d('1.0'),
  price: d('50000.00'),
  timeInForce: 'GTC',
  postOnly: false,
  reduceOnly: false,
  clientOrderId: 'c-1',
  ...over,
});

let fillNo = 0;
const aFill = (o: Order, qty: string, price: string, fee = '0'): Fill => ({
  id: `f-${++fillNo}`,
  orderId: o.id,
  accountId: o.accountId,
  venue: o.venue,
  symbol: o.symbol,
  side: o.side,
  price: d(price),
  quantity: d(qty),
  fee: d(fee),
  feeCurrency: 'USDT',
  liquidity: 'maker',
  ts: T0 + 1,
});

/** Unwraps a successful transition; fails the test otherwise. */
function ok(t: Transition): Extract<Transition, { ok: true }> {
  if (!t.ok) throw new Error(`expected success, got ${t.error.code}: ${t.error.message}`);
  return t;
}
const errorCode = (t: Transition) => (t.ok ? 'ok' : t.error.code);

const fresh = (over: Partial<OrderIntent> = {}) => createOrder(intent(over), 'o-1', T0);
const working = (over: Partial<OrderIntent> = {}) => ok(accept(fresh(over), T0)).order;

describe('order state machine', () => {
  it('a new order starts at version 0 with nothing filled', () => {
    const o = fresh();
    expect(o.status).toBe('new');
    expect(o.version).toBe(0);
    expect(o.filledQuantity.isZero() && o.averagePrice.isZero() && o.fees.isZero()).toBe(true);
  });

  it('accepting a limit makes it accepted; accepting a stop makes it wait for its trigger', () => {
    const t = ok(accept(fresh(), T0 + 5));
    expect(t.order.status).toBe('accepted');
    expect(t.order.version).toBe(1);
    expect(t.order.updatedAt).toBe(T0 + 5);
    expect(t.event).toMatchObject({
      type: 'OrderAccepted',
      status: 'accepted',
      version: 1,
      orderId: 'o-1',
    });

    const stop = ok(
      accept(fresh({ type: 'stop_market', price: undefined, stopPrice: d('51000') }), T0),
    );
    expect(stop.order.status).toBe('pending_trigger');
  });

  it('transitions never mutate the order they are given', () => {
    const o = fresh();
    const before = JSON.stringify(o);
    ok(accept(o, T0));
    expect(JSON.stringify(o)).toBe(before);
  });

  it('a triggered stop becomes accepted and records when', () => {
    const pending = ok(accept(fresh({ type: 'stop_limit', stopPrice: d('49000') }), T0)).order;
    const t = ok(trigger(pending, d('48999.99'), T0 + 7));
    expect(t.order.status).toBe('accepted');
    expect(t.order.triggeredAt).toBe(T0 + 7);
    expect(t.order.version).toBe(2);
    expect(t.event).toMatchObject({ type: 'OrderTriggered' });
    expect(errorCode(trigger(t.order, d('48000'), T0))).toBe('illegal_transition');
  });

  it('fills of 0.4 @ 50000.00 then 0.6 @ 50010.00: avg (20000 + 30006) / 1.0 = 50006.00, fees add up', () => {
    const o = working();
    const a = ok(fill(o, aFill(o, '0.4', '50000.00', '10')));
    expect(a.order.status).toBe('partially_filled');
    expect(a.event).toMatchObject({ type: 'OrderPartiallyFilled' });
    expect(a.order.filledQuantity.toString()).toBe('0.4');
    expect(a.order.averagePrice.toString()).toBe('50000');
    const b = ok(fill(a.order, aFill(a.order, '0.6', '50010.00', '15.003')));
    expect(b.order.status).toBe('filled');
    expect(b.event).toMatchObject({ type: 'OrderFilled', version: 3 });
    expect(b.order.averagePrice.toString()).toBe('50006');
    expect(b.order.fees.toString()).toBe('25.003');
    if (b.event.type === 'OrderFilled') expect(b.event.leavesQuantity.isZero()).toBe(true);
  });

  it('the average of 0.3 @ 50000 + 0.6 @ 50010 = 45006 / 0.9 = 50006.666… is rounded once at 18 places', () => {
    const o = working({ quantity: d('0.9') });
    const a = ok(fill(o, aFill(o, '0.3', '50000')));
    const b = ok(fill(a.order, aFill(a.order, '0.6', '50010')));
    expect(b.order.filledNotional.toString()).toBe('45006');
    expect(b.order.averagePrice.toString()).toBe('50006.666666666666666667');
  });

  it('refuses fills that are not positive, too large or for another order', () => {
    const o = working();
    expect(errorCode(fill(o, aFill(o, '0', '50000')))).toBe('fill_not_positive');
    expect(errorCode(fill(o, aFill(o, '1.001', '50000')))).toBe('fill_exceeds_quantity');
    expect(errorCode(fill(o, { ...aFill(o, '0.1', '50000'), orderId: 'o-2' }))).toBe(
      'fill_order_mismatch',
    );
    expect(errorCode(fill(fresh(), aFill(o, '0.1', '50000')))).toBe('illegal_transition');
    const stop = ok(
      accept(fresh({ type: 'stop_market', price: undefined, stopPrice: d('1') }), T0),
    ).order;
    expect(errorCode(fill(stop, aFill(stop, '0.1', '50000')))).toBe('illegal_transition');
  });

  it('cancel, expire and reject close the order with their reason', () => {
    const c = ok(cancel(working(), 'user_canceled', T0));
    expect(c.order).toMatchObject({ status: 'cancelled', reason: 'user_canceled', version: 2 });
    expect(c.event).toMatchObject({ type: 'OrderCancelled', reason: 'user_canceled' });
    const e = ok(expire(working(), 'end_of_day', T0));
    expect(e.event).toMatchObject({ type: 'OrderExpired', reason: 'end_of_day' });
    const r = ok(reject(fresh(), 'no_market_data', 'no book yet', T0));
    expect(r.order).toMatchObject({ status: 'rejected', reason: 'no_market_data', version: 1 });
    expect(r.event).toMatchObject({ type: 'OrderRejected', message: 'no book yet' });
  });

  it('cancelling a filled order is refused with order_not_open, and so is anything else on a closed order', () => {
    const o = working();
    const filled = ok(fill(o, aFill(o, '1.0', '50000'))).order;
    expect(errorCode(cancel(filled, 'user_canceled', T0))).toBe('order_not_open');
    expect(errorCode(expire(filled, 'x', T0))).toBe('order_not_open');
    expect(errorCode(fill(filled, aFill(filled, '0.1', '50000')))).toBe('order_not_open');
    expect(errorCode(amend(filled, { price: d('1') }, T0))).toBe('order_not_open');
    const cancelled = ok(cancel(working(), 'x', T0)).order;
    expect(errorCode(accept(cancelled, T0))).toBe('order_not_open');
  });

  it('a working order cannot be rejected and a new order cannot be cancelled', () => {
    expect(errorCode(reject(working(), 'x', 'x', T0))).toBe('illegal_transition');
    expect(errorCode(cancel(fresh(), 'x', T0))).toBe('illegal_transition');
    expect(errorCode(accept(working(), T0))).toBe('illegal_transition');
  });

  it('amends the price and quantity of a working limit, keeping what has filled', () => {
    const o = working();
    const part = ok(fill(o, aFill(o, '0.4', '50000'))).order;
    const t = ok(amend(part, { price: d('49990.00'), quantity: d('0.8') }, T0 + 3));
    expect(t.order).toMatchObject({ status: 'partially_filled', version: 3 });
    expect(t.order.price?.toString()).toBe('49990');
    expect(t.order.quantity.toString()).toBe('0.8');
    expect(t.order.filledQuantity.toString()).toBe('0.4');
    expect(t.event).toMatchObject({ type: 'OrderAmended' });
    if (t.event.type === 'OrderAmended') expect(t.event.previousQuantity.toString()).toBe('1');
  });

  it('an amendment to 0.4 or less after 0.4 filled is refused; so is a no-op or a non-limit', () => {
    const o = working();
    const part = ok(fill(o, aFill(o, '0.4', '50000'))).order;
    expect(errorCode(amend(part, { quantity: d('0.4') }, T0))).toBe('quantity_not_above_filled');
    expect(errorCode(amend(part, { quantity: d('0.3') }, T0))).toBe('quantity_not_above_filled');
    expect(errorCode(amend(part, { price: d('50000.00') }, T0))).toBe('nothing_to_amend');
    const stop = ok(accept(fresh({ type: 'stop_limit', stopPrice: d('49000') }), T0)).order;
    expect(errorCode(amend(stop, { price: d('1') }, T0))).toBe('not_amendable');
    const market = working({ type: 'market', price: undefined, timeInForce: 'IOC' });
    expect(errorCode(amend(market, { quantity: d('2') }, T0))).toBe('not_amendable');
    expect(errorCode(amend(fresh(), { quantity: d('2') }, T0))).toBe('not_amendable');
  });

  it('the transition table allows exactly the moves the functions make', () => {
    const statuses = Object.keys(LEGAL_TRANSITIONS) as OrderStatus[];
    for (const s of ['filled', 'cancelled', 'rejected', 'expired'] as const) {
      expect(statuses.every((to) => !canTransition(s, to))).toBe(true);
    }
    expect(canTransition('new', 'filled')).toBe(false);
    expect(canTransition('pending_trigger', 'partially_filled')).toBe(false);
    expect(canTransition('partially_filled', 'accepted')).toBe(false);
    expect(canTransition('accepted', 'accepted')).toBe(true); // an amendment
  });

  it('every version bump is exactly one', () => {
    let o = working();
    const versions = [o.version];
    for (const q of ['0.1', '0.2', '0.3']) {
      o = ok(fill(o, aFill(o, q, '50000'))).order;
      versions.push(o.version);
    }
    o = ok(cancel(o, 'x', T0)).order;
    versions.push(o.version);
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    expect(o.filledQuantity.eq(Decimal.parse('0.6'))).toBe(true);
  });
});
