import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../../core/decimal.js';
import { CandleAggregator, CandleRollup, rollupCandles } from './candles.js';
import {
  periodStart,
  TIMEFRAME_MS,
  TIMEFRAMES,
  type Candle,
  type Timeframe,
  type Trade,
} from './types.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0); // 10:00:00 UTC
const S = 1000;
const M = 60_000;

let seq = 0;
const trade = (ts: number, price: string, quantity: string, symbol = 'BTC/USDT'): Trade => ({
  venue: 'paper',
  symbol,
  id: String(++seq),
  price: dec(price),
  quantity: dec(quantity),
  side: 'buy',
  ts,
});

/** Candle fields as text, for exact comparisons that read like the arithmetic. */
const ohlcv = (c: Candle | undefined) =>
  c && {
    tf: c.timeframe,
    open: new Date(c.openTime).toISOString().slice(11, 16),
    o: c.open.toString(),
    h: c.high.toString(),
    l: c.low.toString(),
    c: c.close.toString(),
    v: c.volume.toString(),
    q: c.quoteVolume.toString(),
    n: c.trades,
  };

describe('CandleAggregator scenarios', () => {
  it('builds the running minute from its trades', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0 + 1 * S, '100.00', '0.5'));
    agg.onTrade(trade(T0 + 20 * S, '101.50', '0.25'));
    agg.onTrade(trade(T0 + 40 * S, '99.75', '1'));
    agg.onTrade(trade(T0 + 59.999 * S, '100.25', '0.125'));
    // volume 0.5 + 0.25 + 1 + 0.125 = 1.875
    // quote 50 + 25.375 + 99.75 + 12.53125 = 187.65625
    expect(ohlcv(agg.current('paper', 'BTC/USDT', '1m'))).toEqual({
      tf: '1m',
      open: '10:00',
      o: '100',
      h: '101.5',
      l: '99.75',
      c: '100.25',
      v: '1.875',
      q: '187.65625',
      n: 4,
    });
    expect(agg.current('paper', 'BTC/USDT', '1m')!.closed).toBe(false);
    expect(agg.current('paper', 'BTC/USDT', '1m')!.closeTime).toBe(T0 + M - 1);
  });

  it('closes the minute when a trade lands in the next one, and the 5m with it at 10:05', () => {
    const agg = new CandleAggregator({ timeframes: ['1m', '5m'] });
    agg.onTrade(trade(T0 + 10 * S, '100', '1'));
    const at1 = agg.onTrade(trade(T0 + M, '102', '2'));
    expect(at1.map(ohlcv)).toEqual([
      { tf: '1m', open: '10:00', o: '100', h: '100', l: '100', c: '100', v: '1', q: '100', n: 1 },
    ]);
    expect(at1[0]!.closed).toBe(true);
    agg.onTrade(trade(T0 + 4 * M + 59 * S, '98', '1'));
    const at5 = agg.onTrade(trade(T0 + 5 * M, '99', '1'));
    // 10:01 traded at 102; 10:02 and 10:03 are flat at 102; 10:04 traded at 98.
    expect(at5.map(ohlcv)).toEqual([
      { tf: '1m', open: '10:04', o: '98', h: '98', l: '98', c: '98', v: '1', q: '98', n: 1 },
      { tf: '5m', open: '10:00', o: '100', h: '102', l: '98', c: '98', v: '4', q: '402', n: 3 },
    ]);
  });

  it('closes candles of a quiet market on time through flush, as flat candles at the last close', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0 + 30 * S, '250.10', '2'));
    expect(agg.flush(T0 + M - 1)).toEqual([]);
    expect(agg.flush(T0 + M).map(ohlcv)).toEqual([
      {
        tf: '1m',
        open: '10:00',
        o: '250.1',
        h: '250.1',
        l: '250.1',
        c: '250.1',
        v: '2',
        q: '500.2',
        n: 1,
      },
    ]);
    expect(agg.flush(T0 + 3 * M + 5 * S).map(ohlcv)).toEqual([
      {
        tf: '1m',
        open: '10:01',
        o: '250.1',
        h: '250.1',
        l: '250.1',
        c: '250.1',
        v: '0',
        q: '0',
        n: 0,
      },
      {
        tf: '1m',
        open: '10:02',
        o: '250.1',
        h: '250.1',
        l: '250.1',
        c: '250.1',
        v: '0',
        q: '0',
        n: 0,
      },
    ]);
  });

  it('opens a period that starts quiet at its first trade, not at the previous close', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0, '100', '1'));
    agg.flush(T0 + M + 30 * S); // 10:01 is running, still flat at 100
    expect(ohlcv(agg.current('paper', 'BTC/USDT', '1m'))!.n).toBe(0);
    agg.onTrade(trade(T0 + M + 40 * S, '105', '1'));
    expect(ohlcv(agg.current('paper', 'BTC/USDT', '1m'))).toMatchObject({
      o: '105',
      h: '105',
      l: '105',
      n: 1,
    });
  });

  it('aligns daily candles to 00:00 UTC', () => {
    const agg = new CandleAggregator({ timeframes: ['1d', '4h'] });
    agg.onTrade(trade(Date.UTC(2026, 2, 14, 23, 59, 59, 999), '1', '1'));
    const closed = agg.onTrade(trade(Date.UTC(2026, 2, 15, 0, 0), '2', '1'));
    expect(
      closed.map((c) => [c.timeframe, new Date(c.openTime).toISOString(), c.closeTime]),
    ).toEqual([
      ['4h', '2026-03-14T20:00:00.000Z', Date.UTC(2026, 2, 15) - 1],
      ['1d', '2026-03-14T00:00:00.000Z', Date.UTC(2026, 2, 15) - 1],
    ]);
  });

  it('ignores and counts trades behind the last one or inside a period already closed', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0 + 30 * S, '100', '1'));
    expect(agg.onTrade(trade(T0 + 29 * S, '90', '1'))).toEqual([]);
    agg.flush(T0 + M);
    expect(agg.onTrade(trade(T0 + 59 * S, '90', '1'))).toEqual([]);
    expect(agg.lateCount).toBe(2);
    expect(agg.current('paper', 'BTC/USDT', '1m')!.low.toString()).toBe('100');
  });

  it('keeps symbols apart', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0, '100', '1', 'BTC/USDT'));
    agg.onTrade(trade(T0 + S, '5', '3', 'ETH/USDT'));
    expect(agg.current('paper', 'BTC/USDT', '1m')!.volume.toString()).toBe('1');
    expect(agg.current('paper', 'ETH/USDT', '1m')!.volume.toString()).toBe('3');
    expect(agg.currentAll('paper', 'SOL/USDT')).toEqual([]);
    expect(agg.flush(T0 + M).map((c) => c.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
  });

  it('hands out snapshots that later trades do not change', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    agg.onTrade(trade(T0, '100', '1'));
    const before = agg.current('paper', 'BTC/USDT', '1m')!;
    agg.onTrade(trade(T0 + S, '200', '1'));
    expect(before.high.toString()).toBe('100');
  });

  it('rejects an empty or unknown timeframe list', () => {
    expect(() => new CandleAggregator({ timeframes: [] })).toThrow(/timeframes/);
    expect(() => new CandleAggregator({ timeframes: ['2m' as Timeframe] })).toThrow(/2m/);
  });
});

describe('CandleRollup', () => {
  it('rolls 1m candles into 5m, skipping flat minutes for open, high and low', () => {
    const agg = new CandleAggregator({ timeframes: ['1m'] });
    const minutes: Candle[] = [];
    agg.onTrade(trade(T0 + 3 * M, '100', '1')); // 10:03 first trade
    minutes.push(...agg.onTrade(trade(T0 + 4 * M, '110', '1')));
    minutes.push(...agg.onTrade(trade(T0 + 6 * M + S, '90', '2')));
    minutes.push(...agg.flush(T0 + 10 * M));
    const fives = rollupCandles(minutes, '5m');
    // 10:00 starts at the first trade (10:03); 10:05 is flat in 10:05, trades 90 in 10:06.
    expect(fives.map(ohlcv)).toEqual([
      { tf: '5m', open: '10:00', o: '100', h: '110', l: '100', c: '110', v: '2', q: '210', n: 2 },
      { tf: '5m', open: '10:05', o: '90', h: '90', l: '90', c: '90', v: '2', q: '180', n: 1 },
    ]);
  });

  it('closes a target period as soon as its last source candle arrives, and fills gaps flat', () => {
    const r = new CandleRollup({ timeframes: ['5m'] });
    const one = (minute: number, price: string): Candle => ({
      venue: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      openTime: T0 + minute * M,
      closeTime: T0 + (minute + 1) * M - 1,
      open: dec(price),
      high: dec(price),
      low: dec(price),
      close: dec(price),
      volume: dec('1'),
      quoteVolume: dec(price),
      trades: 1,
      closed: true,
    });
    expect(r.onCandle(one(3, '10'))).toEqual([]);
    expect(r.onCandle(one(4, '11')).map(ohlcv)).toEqual([
      { tf: '5m', open: '10:00', o: '10', h: '11', l: '10', c: '11', v: '2', q: '21', n: 2 },
    ]);
    // The file skips 10:05–10:14: 10:05 and 10:10 close flat when 10:15 arrives.
    expect(r.onCandle(one(15, '12')).map(ohlcv)).toEqual([
      { tf: '5m', open: '10:05', o: '11', h: '11', l: '11', c: '11', v: '0', q: '0', n: 0 },
      { tf: '5m', open: '10:10', o: '11', h: '11', l: '11', c: '11', v: '0', q: '0', n: 0 },
    ]);
    expect(r.onCandle(one(15, '12'))).toEqual([]);
    expect(r.lateCount).toBe(1);
    expect(() => r.onCandle({ ...one(16, '1'), timeframe: '5m' })).toThrow(/expected 1m/);
  });

  it('refuses targets that are not longer multiples of the source', () => {
    expect(() => new CandleRollup({ timeframes: ['1m'] })).toThrow(/longer multiple/);
    expect(() => new CandleRollup({ timeframes: ['1h'], source: '4h' })).toThrow(/longer multiple/);
  });
});

// ── Properties over random trade streams ────────────────────────────────────────────────────

const TICK = dec('0.01');
const LOT = dec('0.001');
/** Mostly seconds apart, sometimes minutes or hours of silence. */
const gap = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 * M }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 * 3_600_000 }) },
);
const tradeStreams = fc
  .record({
    start: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
    steps: fc.array(
      fc.record({
        gap,
        ticks: fc.integer({ min: 1, max: 10_000_000 }),
        lots: fc.integer({ min: 1, max: 1_000_000 }),
        eth: fc.boolean(),
      }),
      { minLength: 1, maxLength: 120 },
    ),
  })
  .map(({ start, steps }) => {
    let ts = start;
    return steps.map((s) => {
      ts += s.gap;
      return trade(
        ts,
        TICK.mulInt(s.ticks).toString(),
        LOT.mulInt(s.lots).toString(),
        s.eth ? 'ETH/USDT' : 'BTC/USDT',
      );
    });
  });

function aggregate(trades: Trade[]): Map<Timeframe, Candle[]> {
  const agg = new CandleAggregator();
  const closed: Candle[] = [];
  for (const t of trades) closed.push(...agg.onTrade(t));
  const last = trades.at(-1)!.ts;
  closed.push(...agg.flush(periodStart('1d', last) + TIMEFRAME_MS['1d']));
  const by = new Map<Timeframe, Candle[]>(TIMEFRAMES.map((t) => [t, []]));
  for (const c of closed) by.get(c.timeframe)!.push(c);
  return by;
}

describe('CandleAggregator properties', () => {
  it('keeps low ≤ min(open, close) ≤ max(open, close) ≤ high in every candle', () => {
    fc.assert(
      fc.property(tradeStreams, (trades) => {
        const bad = [...aggregate(trades).values()]
          .flat()
          .filter(
            (c) =>
              !(
                c.low.lte(Decimal.min(c.open, c.close)) &&
                Decimal.max(c.open, c.close).lte(c.high) &&
                c.closed
              ),
          );
        expect(bad).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('puts exactly the quantity, notional and count of its trades in each candle, with no period missing', () => {
    fc.assert(
      fc.property(tradeStreams, (trades) => {
        for (const [tf, list] of aggregate(trades)) {
          const expected = new Map<string, { v: Decimal; q: Decimal; n: number }>();
          for (const t of trades) {
            const key = `${t.symbol} ${periodStart(tf, t.ts)}`;
            const e = expected.get(key) ?? { v: Decimal.ZERO, q: Decimal.ZERO, n: 0 };
            expected.set(key, {
              v: e.v.add(t.quantity),
              q: e.q.add(t.price.mul(t.quantity)),
              n: e.n + 1,
            });
          }
          const wrong: string[] = [];
          for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
            const mine = list.filter((c) => c.symbol === symbol);
            mine.forEach((c, i) => {
              const key = `${symbol} ${c.openTime}`;
              const e = expected.get(key) ?? { v: Decimal.ZERO, q: Decimal.ZERO, n: 0 };
              const contiguous = i === 0 || c.openTime === mine[i - 1]!.closeTime + 1;
              if (!contiguous || !c.volume.eq(e.v) || !c.quoteVolume.eq(e.q) || c.trades !== e.n) {
                wrong.push(`${tf} ${key}`);
              }
              expected.delete(key);
            });
          }
          expect(wrong).toEqual([]);
          // Every period that had trades produced a candle.
          expect([...expected.keys()]).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives 5m, 15m, 1h, 4h and 1d candles equal to the roll-up of its 1m candles', () => {
    fc.assert(
      fc.property(tradeStreams, (trades) => {
        const by = aggregate(trades);
        const ones = by.get('1m')!;
        for (const tf of ['5m', '15m', '1h', '4h', '1d'] as const) {
          const rolled = new CandleRollup({ timeframes: [tf] });
          const out = ones.flatMap((c) => [...rolled.onCandle(c)]);
          expect(JSON.stringify(out)).toBe(JSON.stringify(by.get(tf)));
        }
      }),
      { numRuns: 150 },
    );
  });
});
