import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { createOrder } from '../domain/order-machine.js';
import type { Order, OrderIntent } from '../domain/types.js';
import { OrderTracker, type OrderSnapshot, type TradeSnapshot } from './tracker.js';
import type { VenueUpdate } from './types.js';

const d = (s: string) => Decimal.parse(s);
const T = Date.UTC(2026, 0, 1);

function setup() {
  const updates: VenueUpdate[] = [];
  const tracker = new OrderTracker({
    exchange: 'binance',
    emit: (u) => updates.push(u),
    now: () => T,
    logger: pino({ level: 'silent' }),
  });
  const text = () =>
    updates.map((u) =>
      u.kind === 'fill'
        ? `fill ${u.fill.id} ${u.fill.quantity}`
        : `${u.status} ${u.filledQuantity}${u.reason ? ` ${u.reason}` : ''}`,
    );
  return { tracker, updates, text };
}

const order = (o: Partial<OrderIntent> = {}): Order =>
  createOrder(
    {
      accountId: 'a',
      venue: 'binance',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: d('1'),
      price: d('100'),
      timeInForce: 'GTC',
      postOnly: false,
      reduceOnly: false,
      clientOrderId: 'c-1',
      ...o,
    },
    'o-1',
    T,
  );

const snap = (s: Partial<OrderSnapshot>): OrderSnapshot => ({
  venueOrderId: 'v1',
  state: 'open',
  filled: Decimal.ZERO,
  ts: T,
  ...s,
});

const trade = (id: string, amount: string, venueOrderId = 'v1'): TradeSnapshot => ({
  tradeId: id,
  marketId: 'BTCUSDT',
  venueOrderId,
  price: d('100'),
  amount: d(amount),
  fee: d('0.001'),
  feeCurrency: 'BTC',
  liquidity: 'maker',
  ts: T,
});

describe('OrderTracker', () => {
  it('delivers accepted first, each fill once, and the final status after its fills', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    // The stream says "filled" before any fill has been seen: held back.
    expect(tracker.observeOrder(t, snap({ state: 'closed', filled: d('1') }), 'stream')).toBe(
      'needs_fills',
    );
    expect(text()).toEqual(['accepted 0']);
    tracker.observeTrade(trade('7', '0.4'), 'stream');
    tracker.observeTrade(trade('7', '0.4'), 'reconcile');
    tracker.observeTrade(trade('8', '0.6'), 'reconcile');
    expect(text()).toEqual([
      'accepted 0',
      'fill binance:BTCUSDT:7 0.4',
      'partially_filled 0.4',
      'fill binance:BTCUSDT:8 0.6',
      'filled 1',
    ]);
    expect(tracker.open()).toEqual([]);
  });

  it('keeps a trade that arrives before its order is known, and applies it once matched', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    expect(tracker.observeTrade(trade('1', '0.5', 'v9'), 'stream')).toBe(false);
    tracker.observeOrder(t, snap({ venueOrderId: 'v9', filled: d('0.5') }), 'stream');
    expect(text()).toEqual(['accepted 0', 'fill binance:BTCUSDT:1 0.5', 'partially_filled 0.5']);
  });

  it('names cancellations ours or the venue’s, and maps expiries like the paper venue', () => {
    const a = setup();
    const t1 = a.tracker.track(order(), 'c-1');
    t1.cancelRequested = true;
    a.tracker.observeOrder(t1, snap({ state: 'canceled' }), 'rest');
    const b = setup();
    const t2 = b.tracker.track(order({ timeInForce: 'IOC' }), 'c-1');
    b.tracker.observeOrder(t2, snap({ state: 'expired' }), 'rest');
    expect([a.text().at(-1), b.text().at(-1)]).toEqual([
      'cancelled 0 user_canceled',
      'cancelled 0 ioc_remainder',
    ]);
  });

  it('never goes back: reports after a final status change nothing', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    tracker.observeOrder(t, snap({ state: 'canceled' }), 'stream');
    tracker.observeOrder(t, snap({ state: 'open' }), 'reconcile');
    expect(text()).toEqual(['accepted 0', 'cancelled 0 venue_cancelled']);
  });

  it('a stop waits for its trigger; its first fill triggers it', () => {
    const { tracker, text } = setup();
    const t = tracker.track(
      order({ type: 'stop_market', price: undefined, stopPrice: d('90') }),
      'c-1',
    );
    tracker.observeOrder(t, snap({ triggered: false }), 'rest');
    tracker.observeTrade(trade('3', '1'), 'stream');
    expect(text()).toEqual([
      'pending_trigger 0',
      'accepted 0',
      'fill binance:BTCUSDT:3 1',
      'filled 1',
    ]);
  });

  it('after a replacing amendment, the old order’s cancellation is not ours and fills add up', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    tracker.observeOrder(t, snap({}), 'rest');
    tracker.observeTrade(trade('1', '0.3'), 'stream');
    tracker.replace(t, 'v2', d('0.3'), { ...t.order, price: d('101') });
    tracker.observeOrder(t, snap({ state: 'canceled', filled: d('0.3') }), 'stream');
    tracker.observeTrade(trade('2', '0.7', 'v2'), 'stream');
    tracker.observeOrder(
      t,
      snap({ venueOrderId: 'v2', state: 'closed', filled: d('0.7') }),
      'stream',
    );
    expect(text()).toEqual([
      'accepted 0',
      'fill binance:BTCUSDT:1 0.3',
      'partially_filled 0.3',
      'fill binance:BTCUSDT:2 0.7',
      'filled 1',
    ]);
  });

  it('refuses a fill that would exceed the order', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    tracker.observeOrder(t, snap({}), 'rest');
    tracker.observeTrade(trade('1', '1.5'), 'stream');
    expect(text()).toEqual(['accepted 0']);
  });

  it('closes a never-acknowledged order the exchange does not know as rejected', () => {
    const { tracker, text } = setup();
    const t = tracker.track(order(), 'c-1');
    tracker.notFound(t, 'reconcile');
    expect(text()).toEqual(['rejected 0 not_found_on_venue']);
  });
});
