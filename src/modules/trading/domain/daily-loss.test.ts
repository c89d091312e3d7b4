/**
 * Daily-loss scenarios: realized PnL summed per UTC day of each fill's own timestamp, and the
 * risk check it feeds. Every amount is exact; the arithmetic is written beside it.
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.js';
import { dailyLossContext } from './daily-loss.js';
import { deposit } from './ledger-transactions.js';
import { BTC } from './matching.fixtures.js';
import { INSTRUMENTS, fill, s } from './portfolio.fixtures.js';
import { Portfolio, utcDayStart } from './portfolio.js';
import { RiskEngine, type RiskContext, type RiskDecision } from './risk.js';
import type { OrderIntent } from './types.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MONDAY = Date.UTC(2024, 0, 1); // 00:00 UTC
const TUESDAY = MONDAY + DAY;

function funded(): Portfolio {
  const p = new Portfolio(INSTRUMENTS);
  deposit(p.ledger, {
    id: 'funding',
    ts: MONDAY,
    accountId: 'alice',
    currency: 'USDT',
    amount: dec('10000'),
  });
  return p;
}

/**
 * Monday: buy 0.1 @ 30000 (fee 3, cost 3003), sell 0.1 @ 29000 (fee 2.9):
 *   realized = 2900 − 2.9 − 3003 = −105.9
 * Tuesday: buy 0.2 @ 30000 (fee 6, cost 6006), sell 0.1 @ 28000 (fee 2.8):
 *   removed cost = 6006 × 0.1 / 0.2 = 3003; realized = 2800 − 2.8 − 3003 = −205.8
 *   0.1 BTC stays open at a cost of 3003.
 */
function losingDays(): Portfolio {
  const p = funded();
  const fills = [
    fill('buy', '0.1', '30000', { fee: '3', ts: MONDAY + 9 * HOUR }),
    fill('sell', '0.1', '29000', { fee: '2.9', ts: MONDAY + 10 * HOUR }),
    fill('buy', '0.2', '30000', { fee: '6', ts: TUESDAY + 9 * HOUR }),
    fill('sell', '0.1', '28000', { fee: '2.8', ts: TUESDAY + 10 * HOUR }),
  ];
  for (const f of fills) expect(p.applyFill(f).ok).toBe(true);
  return p;
}

const risk = new RiskEngine();
const intent = (over: Partial<OrderIntent> = {}): OrderIntent => ({
  accountId: 'alice',
  venue: 'paper',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity: dec('0.01'),
  price: dec('28000.00'),
  timeInForce: 'GTC',
  postOnly: false,
  reduceOnly: false,
  clientOrderId: 'c-1',
  ...over,
});

/** The risk check as the order service runs it, at `now` with a daily limit of `limit`. */
function check(p: Portfolio, limit: string, now: number, over: Partial<OrderIntent> = {}) {
  const i = intent(over);
  const spend = i.side === 'buy' ? 'USDT' : 'BTC';
  const ctx: RiskContext = {
    instrument: BTC,
    limits: { maxDailyLoss: dec(limit) },
    tradingState: 'active',
    lastPrice: dec('28000'),
    available: p.ledger.balance('alice', spend).available,
    position: p.position('alice', 'paper', 'BTC/USDT')?.quantity ?? dec('0'),
    openOrders: 0,
    ...dailyLossContext(p, 'alice', BTC.quote, now),
  };
  return risk.check(i, ctx);
}
const reason = (r: RiskDecision) => (r.ok ? 'ok' : r.reason);

describe('daily-loss-sums-realized-pnl-per-utc-day-of-the-fill', () => {
  it('keeps Monday −105.9 and Tuesday −205.8 apart, whatever instant of the day is asked', () => {
    const p = losingDays();
    expect(s(p.realizedOn('alice', MONDAY))).toBe('-105.9');
    expect(s(p.realizedOn('alice', TUESDAY))).toBe('-205.8');
    expect(s(p.realizedOn('alice', TUESDAY + 23 * HOUR))).toBe('-205.8');
    expect(s(p.realizedOn('alice', TUESDAY + DAY))).toBe('0');
    expect(s(p.realizedOn('alice', TUESDAY, 'BTC'))).toBe('0');
    expect(s(p.realizedOn('bob', TUESDAY))).toBe('0');
    // The days add up to the position's lifetime result: −105.9 − 205.8 = −311.7
    expect(s(p.position('alice', 'paper', 'BTC/USDT')!.realizedPnl)).toBe('-311.7');
  });

  it('nets a winning sale against a losing one on the same day', () => {
    const p = losingDays();
    // Sell the remaining 0.1 (cost 3003) @ 31000, fee 3.1: 3100 − 3.1 − 3003 = 93.9
    p.applyFill(fill('sell', '0.1', '31000', { fee: '3.1', ts: TUESDAY + 11 * HOUR }));
    expect(s(p.realizedOn('alice', TUESDAY))).toBe('-111.9'); // −205.8 + 93.9
  });

  it('puts a fill at 23:59:59.999 on its day and one at 00:00 on the next', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.2', '30000', { ts: MONDAY + 12 * HOUR }));
    p.applyFill(fill('sell', '0.1', '29000', { ts: TUESDAY - 1 })); // −100
    p.applyFill(fill('sell', '0.1', '29500', { ts: TUESDAY })); // −50
    expect(s(p.realizedOn('alice', MONDAY))).toBe('-100');
    expect(s(p.realizedOn('alice', TUESDAY))).toBe('-50');
    expect(utcDayStart(TUESDAY - 1)).toBe(MONDAY);
  });

  it('comes back identical when the portfolio is replayed from its journal', () => {
    const p = losingDays();
    const replayed = Portfolio.replay(p.ledger.journal(), INSTRUMENTS);
    expect(s(replayed.realizedOn('alice', MONDAY))).toBe('-105.9');
    expect(s(replayed.realizedOn('alice', TUESDAY))).toBe('-205.8');
  });
});

describe('daily-loss-limit-stops-opening-orders-for-the-rest-of-the-day', () => {
  it("after Tuesday's −205.8, a limit of 200 denies a buy but lets the 0.1 BTC be sold", () => {
    const p = losingDays();
    const now = TUESDAY + 12 * HOUR;
    expect(dailyLossContext(p, 'alice', 'USDT', now)).toEqual({
      realizedPnlToday: dec('-205.8'),
      feesToday: dec('0'),
    });
    const buy = check(p, '200', now);
    expect(buy).toEqual({
      ok: false,
      reason: 'max_daily_loss',
      message:
        "today's realized loss of 205.8 USDT has reached the daily limit of 200 USDT; only orders that reduce a position are accepted",
    });
    expect(reason(check(p, '200', now, { side: 'sell', quantity: dec('0.1') }))).toBe('ok');
    // Selling more than is held would open a short: not a reduction.
    expect(reason(check(p, '200', now, { side: 'sell', quantity: dec('0.2') }))).not.toBe('ok');
  });

  it("does not count Monday's −105.9: with a limit of 300 Tuesday's 205.8 is under it", () => {
    const p = losingDays();
    // Counted together they would be 311.7, over 300.
    expect(reason(check(p, '300', TUESDAY + 12 * HOUR))).toBe('ok');
    expect(reason(check(p, '205.8', TUESDAY + 12 * HOUR))).toBe('max_daily_loss'); // reached
    expect(reason(check(p, '205.81', TUESDAY + 12 * HOUR))).toBe('ok');
  });

  it('starts afresh at 00:00 UTC on Wednesday', () => {
    const p = losingDays();
    expect(reason(check(p, '200', TUESDAY + DAY - 1))).toBe('max_daily_loss');
    expect(reason(check(p, '200', TUESDAY + DAY))).toBe('ok');
  });
});
