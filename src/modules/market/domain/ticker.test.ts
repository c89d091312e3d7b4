import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec, divRound } from '../../../core/decimal.js';
import { RollingTicker, TickerBoard } from './ticker.js';
import type { Ticker, Trade } from './types.js';

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const trade = (ts: number, price: string, quantity: string, symbol = 'BTC/USDT'): Trade => ({
  venue: 'paper',
  symbol,
  id: String(ts),
  price: dec(price),
  quantity: dec(quantity),
  side: 'sell',
  ts,
});

const view = (t: Ticker | undefined) =>
  t && {
    last: t.last.toString(),
    open: t.open24h.toString(),
    high: t.high24h.toString(),
    low: t.low24h.toString(),
    change: t.change24h.toString(),
    pct: t.changePercent24h.toString(),
    volume: t.volume24h.toString(),
    quote: t.quoteVolume24h.toString(),
  };

describe('RollingTicker scenarios', () => {
  it('has no ticker before the first trade', () => {
    expect(new RollingTicker('paper', 'BTC/USDT').snapshot(T0)).toBeUndefined();
  });

  it('sums a day of trades and reports the change from the first one', () => {
    const t = new RollingTicker('paper', 'BTC/USDT');
    t.onTrade(trade(T0, '60000', '0.5'));
    t.onTrade(trade(T0 + 5 * H, '63000.50', '0.1'));
    t.onTrade(trade(T0 + 9 * H, '58800', '2'));
    t.onTrade(trade(T0 + 23 * H, '61234.56', '0.25'));
    // volume 0.5 + 0.1 + 2 + 0.25 = 2.85
    // quote 30000 + 6300.05 + 117600 + 15308.64 = 169208.69
    // change 61234.56 − 60000 = 1234.56; 1234.56 / 60000 × 100 = 2.0576 → 2.06
    expect(view(t.snapshot())).toEqual({
      last: '61234.56',
      open: '60000',
      high: '63000.5',
      low: '58800',
      change: '1234.56',
      pct: '2.06',
      volume: '2.85',
      quote: '169208.69',
    });
  });

  it('drops trades older than the 1,440-minute window', () => {
    const t = new RollingTicker('paper', 'BTC/USDT');
    t.onTrade(trade(T0 + 30 * 1000, '100', '1'));
    t.onTrade(trade(T0 + 2 * M, '90', '1'));
    t.onTrade(trade(T0 + 10 * H, '95', '1'));
    // At 24:00:59.999 the window starts at minute 00:01: the 00:00 trade is gone.
    expect(view(t.snapshot(T0 + 24 * H + 59_999))).toMatchObject({
      open: '90',
      high: '95',
      volume: '2',
    });
    // At 24:02 the window starts at 00:03: the 90 trade is gone too.
    // change 95 − 95 = 0
    expect(view(t.snapshot(T0 + 24 * H + 2 * M))).toMatchObject({
      open: '95',
      low: '95',
      pct: '0',
      volume: '1',
    });
  });

  it('falls back to the last price, with zero volume, when nothing traded for a day', () => {
    const t = new RollingTicker('paper', 'BTC/USDT');
    t.onTrade(trade(T0, '100', '1'));
    t.onTrade(trade(T0 + M, '80', '1'));
    expect(view(t.snapshot(T0 + 48 * H))).toEqual({
      last: '80',
      open: '80',
      high: '80',
      low: '80',
      change: '0',
      pct: '0',
      volume: '0',
      quote: '0',
    });
    expect(t.snapshot()!.ts).toBe(T0 + 48 * H);
  });

  it('rounds the percentage half-even from the exact quotient', () => {
    const t = new RollingTicker('paper', 'X/USDT');
    t.onTrade(trade(T0, '8', '1'));
    t.onTrade(trade(T0 + 1, '7.999', '1'));
    // −0.001 / 8 × 100 = −0.0125 → −0.01 (half-even keeps the even 1)
    expect(t.snapshot()!.changePercent24h.toString()).toBe('-0.01');
    t.onTrade(trade(T0 + 2, '7.9989', '1'));
    // −0.0011 / 8 × 100 = −0.01375 → −0.01
    expect(t.snapshot()!.changePercent24h.toString()).toBe('-0.01');
    t.onTrade(trade(T0 + 3, '7.998', '1'));
    // −0.002 / 8 × 100 = −0.025 → −0.02
    expect(t.snapshot()!.changePercent24h.toString()).toBe('-0.02');
  });

  it('takes bid and ask from the latest book top, and counts late trades without using them', () => {
    const t = new RollingTicker('paper', 'BTC/USDT');
    t.onTrade(trade(T0 + 1000, '100', '1'));
    expect(t.snapshot()!.bid).toBeNull();
    t.onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: dec('99.99'),
      bidSize: dec('1'),
      askPrice: dec('100.01'),
      askSize: dec('2'),
      ts: T0 + 1000,
    });
    t.onTrade(trade(T0 + 500, '1', '1'));
    const s = t.snapshot()!;
    expect([s.bid?.toString(), s.ask?.toString(), s.low24h.toString(), t.lateCount]).toEqual([
      '99.99',
      '100.01',
      '100',
      1,
    ]);
  });
});

describe('TickerBoard', () => {
  it('keeps one ticker per instrument, in first-seen order', () => {
    const b = new TickerBoard();
    b.onTrade(trade(T0, '5', '2', 'ETH/USDT'));
    b.onTrade(trade(T0 + 1, '100', '1', 'BTC/USDT'));
    expect(b.all().map((t) => [t.symbol, t.volume24h.toString()])).toEqual([
      ['ETH/USDT', '2'],
      ['BTC/USDT', '1'],
    ]);
    expect(b.ticker('paper', 'SOL/USDT')).toBeUndefined();
  });
});

/** The 24-hour figures recomputed from scratch over every trade seen so far. */
function bruteForce(trades: Trade[], now: number) {
  const first = Math.floor(now / M) * M - 1439 * M;
  const inWindow = trades.filter((t) => t.ts >= first && t.ts <= now);
  const last = trades.at(-1)!.price;
  const open = inWindow[0]?.price ?? last;
  const prices = inWindow.map((t) => t.price);
  const change = last.sub(open);
  return {
    last: last.toString(),
    open: open.toString(),
    high: prices.reduce((a, b) => Decimal.max(a, b), open).toString(),
    low: prices.reduce((a, b) => Decimal.min(a, b), open).toString(),
    change: change.toString(),
    pct: Decimal.fromUnits(
      divRound(change.units * 10_000n, open.units, 'half-even') * 10n ** 16n,
    ).toString(),
    volume: inWindow.reduce((a, t) => a.add(t.quantity), Decimal.ZERO).toString(),
    quote: inWindow.reduce((a, t) => a.add(t.price.mul(t.quantity)), Decimal.ZERO).toString(),
  };
}

describe('RollingTicker properties', () => {
  it('matches a brute-force recomputation after every trade and at quiet times in between', () => {
    const steps = fc.array(
      fc.record({
        gap: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 30_000 }) },
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 * H }) },
          { weight: 1, arbitrary: fc.integer({ min: 20 * H, max: 30 * H }) },
        ),
        cents: fc.integer({ min: 1, max: 10_000_000 }),
        lots: fc.integer({ min: 1, max: 100_000 }),
        query: fc.boolean(),
      }),
      { minLength: 1, maxLength: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: T0, max: T0 + 365 * 24 * H }), steps, (start, list) => {
        const ticker = new RollingTicker('paper', 'BTC/USDT');
        const seen: Trade[] = [];
        let ts = start;
        for (const s of list) {
          ts += s.gap;
          if (s.query && seen.length > 0) {
            expect(view(ticker.snapshot(ts))).toEqual(bruteForce(seen, ts));
            continue;
          }
          const t = trade(
            ts,
            Decimal.fromUnits(BigInt(s.cents) * 10n ** 16n).toString(),
            `0.${String(s.lots).padStart(5, '0')}`,
          );
          ticker.onTrade(t);
          seen.push(t);
          expect(view(ticker.snapshot())).toEqual(bruteForce(seen, ts));
        }
      }),
      { numRuns: 300 },
    );
  });
});
