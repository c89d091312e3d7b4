import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { BTC, T0, d } from './matching.fixtures.js';
import {
  RiskEngine,
  orderDenied,
  reducesPosition,
  type RiskContext,
  type RiskDecision,
} from './risk.js';
import type { OrderIntent } from './types.js';

// BTC/USDT: maker 0.05 %, taker 0.1 %. Default order: limit buy 0.5 @ 50000.00.
const intent = (over: Partial<OrderIntent> = {}): OrderIntent => ({
  accountId: 'acc-1',
  venue: 'paper',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity: d('0.5'),
  price: d('50000.00'),
  timeInForce: 'GTC',
  postOnly: false,
  reduceOnly: false,
  clientOrderId: 'c-1',
  ...over,
});

const ctx = (over: Partial<RiskContext> = {}): RiskContext => ({
  instrument: BTC,
  limits: {},
  tradingState: 'active',
  lastPrice: d('50000'),
  available: d('100000'),
  position: Decimal.ZERO,
  openOrders: 0,
  realizedPnlToday: Decimal.ZERO,
  feesToday: Decimal.ZERO,
  ...over,
});

const risk = new RiskEngine();
const check = (i: Partial<OrderIntent>, c: Partial<RiskContext>) => risk.check(intent(i), ctx(c));
const reason = (r: RiskDecision) => (r.ok ? 'ok' : r.reason);
const message = (r: RiskDecision) => (r.ok ? '' : r.message);
const market = { type: 'market' as const, price: undefined, timeInForce: 'IOC' as const };

describe('pre-trade risk', () => {
  it('passes an order inside every limit', () => {
    const limits = {
      maxOrderNotional: d('30000'),
      maxPosition: d('1'),
      maxOpenOrders: 5,
      maxDailyLoss: d('1000'),
      priceBandPct: d('5'),
    };
    expect(check({}, { limits })).toEqual({ ok: true });
  });

  it('a halted account accepts nothing, not even an order that reduces', () => {
    expect(
      reason(
        check({ side: 'sell' }, { tradingState: 'halted', position: d('1'), available: d('1') }),
      ),
    ).toBe('account_halted');
  });

  it('a reducing-only account accepts a sell of 0.3 against 0.5 held, not 0.6 and not a buy', () => {
    const c = { tradingState: 'reducing' as const, position: d('0.5'), available: d('0.5') };
    expect(reason(check({ side: 'sell', quantity: d('0.3') }, c))).toBe('ok');
    expect(reason(check({ side: 'sell', quantity: d('0.6') }, c))).toBe('account_reducing_only');
    const buy = check({}, c);
    expect(reason(buy)).toBe('account_reducing_only');
    expect(message(buy)).toContain('a buy of 0.5 against a position of 0.5 BTC');
  });

  it('a reduce-only order needs a position on the other side (its size is clamped at the venue)', () => {
    expect(reason(check({ side: 'sell', reduceOnly: true }, { available: d('1') }))).toBe(
      'reduce_only_would_increase',
    );
    expect(reason(check({ reduceOnly: true }, { position: d('0.5') }))).toBe(
      'reduce_only_would_increase',
    );
    expect(
      reason(
        check(
          { side: 'sell', quantity: d('1'), reduceOnly: true },
          { position: d('0.5'), available: d('1') },
        ),
      ),
    ).toBe('ok');
  });

  it('daily loss: realized −950 and fees 50 make a loss of 1000, which reaches a limit of 1000', () => {
    const c = {
      limits: { maxDailyLoss: d('1000') },
      realizedPnlToday: d('-950'),
      feesToday: d('50'),
      position: d('0.5'),
      available: d('100000'),
    };
    const r = check({}, c);
    expect(reason(r)).toBe('max_daily_loss');
    expect(message(r)).toBe(
      "today's loss of 1000 USDT (realized -950, fees 50) has reached the daily limit of 1000 USDT; only orders that reduce a position are accepted",
    );
    expect(reason(check({ side: 'sell', quantity: d('0.5') }, { ...c, available: d('0.5') }))).toBe(
      'ok',
    );
    expect(reason(check({}, { ...c, realizedPnlToday: d('-949.99') }))).toBe('ok'); // 999.99 < 1000
  });

  it('open orders: at 5 of 5, a GTC limit or a stop is denied; market and IOC orders never rest, so pass', () => {
    const c = { limits: { maxOpenOrders: 5 }, openOrders: 5 };
    expect(reason(check({}, c))).toBe('max_open_orders');
    expect(reason(check({ type: 'stop_market', price: undefined, stopPrice: d('51000') }, c))).toBe(
      'max_open_orders',
    );
    expect(reason(check(market, c))).toBe('ok');
    expect(reason(check({ timeInForce: 'IOC' }, c))).toBe('ok');
    expect(reason(check({}, { ...c, openOrders: 4 }))).toBe('ok');
  });

  it('a market order, or any order under a price band, needs a last price', () => {
    expect(reason(check(market, { lastPrice: undefined }))).toBe('no_reference_price');
    expect(reason(check({}, { lastPrice: undefined, limits: { priceBandPct: d('5') } }))).toBe(
      'no_reference_price',
    );
    expect(reason(check({}, { lastPrice: undefined }))).toBe('ok');
  });

  it('price band ±5% of 50000 is 47500 to 52500, for limit and stop prices alike', () => {
    const c = { limits: { priceBandPct: d('5') } };
    expect(reason(check({ price: d('52500.00') }, c))).toBe('ok');
    const r = check({ price: d('52500.01') }, c);
    expect(message(r)).toBe(
      'price 52500.01 is outside ±5% of the last price 50000 (47500 to 52500)',
    );
    expect(reason(check({ side: 'sell', price: d('47499.99') }, c))).toBe('price_out_of_band');
    const stop = check({ type: 'stop_limit', price: d('50000'), stopPrice: d('47000') }, c);
    expect(message(stop)).toContain('stop price 47000 is outside');
  });

  it('order notional 0.5 × 50000 = 25000 exceeds 20000; a market order is measured at the last price', () => {
    const c = { limits: { maxOrderNotional: d('20000') } };
    expect(message(check({}, c))).toBe(
      'order notional 0.5 × 50000 = 25000 USDT exceeds the limit of 20000 USDT',
    );
    expect(reason(check({ ...market, quantity: d('0.4') }, c))).toBe('ok'); // 0.4 × 50000 = 20000
    expect(reason(check({ ...market, quantity: d('0.401') }, c))).toBe('max_order_notional');
  });

  it('max position 1: holding 0.8, a buy of 0.5 (→ 1.3) is denied, a sell is fine, and so is reducing an oversized one', () => {
    const c = { limits: { maxPosition: d('1') }, position: d('0.8'), available: d('100000') };
    const r = check({}, c);
    expect(message(r)).toBe('the position would become 1.3 BTC, beyond the limit of 1 BTC');
    expect(reason(check({ side: 'sell' }, { ...c, available: d('5') }))).toBe('ok');
    expect(reason(check({ side: 'sell', quantity: d('2') }, { ...c, available: d('5') }))).toBe(
      'max_position',
    ); // → −1.2
    expect(
      reason(
        check(
          { side: 'sell', quantity: d('0.2') },
          { ...c, position: d('1.5'), available: d('5') },
        ),
      ),
    ).toBe('ok');
  });

  it('limit buy 0.5 @ 50000 needs 25000 + taker fee 25 = 25025 USDT (post-only: maker fee 12.5)', () => {
    const r = check({}, { available: d('25024.99') });
    expect(message(r)).toBe(
      'buying 0.5 BTC at up to 50000 needs 25025 USDT (25000 + fee 25); 25024.99 USDT is available',
    );
    expect(reason(check({}, { available: d('25025') }))).toBe('ok');
    expect(reason(check({ postOnly: true }, { available: d('25012.5') }))).toBe('ok');
  });

  it('market buy 0.5 at last 50000 + 1% slippage = 50500: needs 25250 + 25.25 = 25275.25 USDT', () => {
    expect(reason(check(market, { available: d('25275.24') }))).toBe('insufficient_balance');
    expect(reason(check(market, { available: d('25275.25') }))).toBe('ok');
    // stop-market: 51000 × 1.01 = 51510; 0.5 × 51510 = 25755; fee 25.755
    const stop = { type: 'stop_market' as const, price: undefined, stopPrice: d('51000') };
    expect(message(check(stop, { available: d('1') }))).toContain('needs 25780.755 USDT');
    const wide = new RiskEngine({ marketSlippagePct: d('2') }); // 51000 → 25500 + 25.5
    expect(wide.check(intent(market), ctx({ available: d('25525.5') }))).toEqual({ ok: true });
  });

  it('a sell spends the base: selling 0.5 BTC with 0.4 available is denied', () => {
    const r = check({ side: 'sell' }, { available: d('0.4'), position: d('0.4') });
    expect(message(r)).toBe('selling 0.5 BTC needs that much; 0.4 BTC is available');
  });

  it('a denial becomes an OrderDenied event', () => {
    const decision = check({}, { tradingState: 'halted' });
    expect(orderDenied(intent(), decision, T0)).toEqual({
      type: 'OrderDenied',
      accountId: 'acc-1',
      clientOrderId: 'c-1',
      venue: 'paper',
      symbol: 'BTC/USDT',
      reason: 'account_halted',
      message: 'trading is halted on this account',
      ts: T0,
    });
    expect(() => orderDenied(intent(), { ok: true }, T0)).toThrow();
  });

  it('reducesPosition: only toward zero, never across it', () => {
    expect(reducesPosition('sell', d('0.5'), d('0.5'))).toBe(true);
    expect(reducesPosition('sell', d('0.6'), d('0.5'))).toBe(false);
    expect(reducesPosition('buy', d('0.2'), d('-0.5'))).toBe(true);
    expect(reducesPosition('buy', d('0.2'), d('0'))).toBe(false);
  });
});
