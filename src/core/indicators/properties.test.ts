import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Atr,
  BollingerBands,
  Ema,
  Macd,
  Rsi,
  Sma,
  TrueRange,
  batch,
  batchBollinger,
  batchCandles,
  batchMacd,
} from './index.js';

/** Prices on a 0.01 tick from 0.01 to 100,000, with repeats and runs of equal prices. */
const price = fc.integer({ min: 1, max: 10_000_000 }).map((c) => c / 100);
const prices = fc
  .array(fc.tuple(price, fc.integer({ min: 1, max: 30 })), { maxLength: 120 })
  .map((runs) => runs.flatMap(([p, n]) => (n > 25 ? new Array<number>(n - 25).fill(p) : [p])));

/** Candles with low ≤ open, close ≤ high; highs and lows may gap past the previous close. */
const candles = fc
  .array(
    fc.tuple(
      price,
      fc.nat({ max: 1000 }),
      fc.nat({ max: 1000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    ),
    { maxLength: 300 },
  )
  .map((rows) => {
    const high: number[] = [];
    const low: number[] = [];
    const close: number[] = [];
    for (const [mid, up, down, at] of rows) {
      const l = Math.max(0.01, mid - down / 100);
      const h = mid + up / 100;
      high.push(h);
      low.push(l);
      close.push(l + (h - l) * at);
    }
    return { high, low, close };
  });

const period = fc.integer({ min: 2, max: 40 });

describe('properties', () => {
  it('RSI stays within [0, 100]', () => {
    fc.assert(
      fc.property(prices, period, (xs, p) => {
        for (const v of batch(new Rsi(p), xs))
          if (!Number.isNaN(v)) expect(v >= 0 && v <= 100).toBe(true);
      }),
    );
  });

  it('Bollinger upper ≥ middle ≥ lower, symmetric around the middle', () => {
    fc.assert(
      fc.property(prices, period, fc.double({ min: 0, max: 5, noNaN: true }), (xs, p, k) => {
        const bb = batchBollinger(new BollingerBands(p, k), xs);
        for (let i = p - 1; i < xs.length; i++) {
          expect(bb.upper[i]).toBeGreaterThanOrEqual(bb.middle[i]!);
          expect(bb.middle[i]).toBeGreaterThanOrEqual(bb.lower[i]!);
          const halfUp = bb.upper[i]! - bb.middle[i]!;
          const halfDown = bb.middle[i]! - bb.lower[i]!;
          expect(Math.abs(halfUp - halfDown)).toBeLessThanOrEqual(1e-9 * bb.middle[i]!);
        }
      }),
    );
  });

  it('the middle band lies within the window, and σ within half its range', () => {
    fc.assert(
      fc.property(prices, period, (xs, p) => {
        const bb = new BollingerBands(p, 2);
        let peak = 0;
        xs.forEach((x, i) => {
          bb.update(x);
          peak = Math.max(peak, Math.abs(x));
          if (!bb.isReady) return;
          const w = xs.slice(i - p + 1, i + 1);
          const lo = Math.min(...w);
          const hi = Math.max(...w);
          // The mean and σ come from running sums (as TA-Lib computes them), which carry a
          // rounding error scaled by the largest price they have held, not by the window's: a
          // few ε·peak in the mean, and a few ε·peak² in the variance, so √ε·peak in σ near zero.
          const slack = 1e-12 * peak;
          expect(bb.middle).toBeGreaterThanOrEqual(lo - slack);
          expect(bb.middle).toBeLessThanOrEqual(hi + slack);
          expect(bb.stdDev).toBeLessThanOrEqual(
            (hi - lo) / 2 + Math.sqrt(4 * Number.EPSILON) * peak,
          );
          if (lo === hi) expect(bb.stdDev).toBe(0);
        });
      }),
    );
  });

  it("ATR and true range are ≥ 0, and true range ≥ the candle's own range", () => {
    fc.assert(
      fc.property(candles, period, ({ high, low, close }, p) => {
        for (const v of batchCandles(new Atr(p), high, low, close))
          if (!Number.isNaN(v)) expect(v).toBeGreaterThanOrEqual(0);
        const tr = batchCandles(new TrueRange(), high, low, close);
        for (let i = 1; i < tr.length; i++)
          expect(tr[i]).toBeGreaterThanOrEqual(high[i]! - low[i]!);
      }),
    );
  });

  it('the MACD histogram is the MACD line minus the signal line', () => {
    fc.assert(
      fc.property(
        prices,
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 15 }),
        (xs, f, s, g) => {
          const m = batchMacd(new Macd(f, s, g), xs);
          for (let i = 0; i < xs.length; i++)
            if (!Number.isNaN(m.histogram[i]!))
              expect(m.histogram[i]).toBe(m.macd[i]! - m.signal[i]!);
        },
      ),
    );
  });

  /** Every indicator, fed one price or candle at a time, reporting its outputs as numbers. */
  const streams: Array<
    [string, () => { feed(h: number, l: number, c: number): number[]; reset(): void }]
  > = [
    ['EMA', () => wrap(new Ema(5), (i, _h, _l, c) => [i.update(c)])],
    ['SMA', () => wrap(new Sma(5), (i, _h, _l, c) => [i.update(c)])],
    ['RSI', () => wrap(new Rsi(5), (i, _h, _l, c) => [i.update(c)])],
    ['ATR', () => wrap(new Atr(5), (i, h, l, c) => [i.update(h, l, c)])],
    ['TR', () => wrap(new TrueRange(), (i, h, l, c) => [i.update(h, l, c)])],
    [
      'MACD',
      () =>
        wrap(new Macd(3, 7, 4), (i, _h, _l, c) => (i.update(c), [i.macd, i.signal, i.histogram])),
    ],
    [
      'BBANDS',
      () =>
        wrap(
          new BollingerBands(5, 2),
          (i, _h, _l, c) => (i.update(c), [i.upper, i.middle, i.lower]),
        ),
    ],
  ];

  it.each(streams)('%s: reset and replay gives identical output', (_name, make) => {
    fc.assert(
      fc.property(candles, ({ high, low, close }) => {
        const ind = make();
        const first = close.map((c, i) => ind.feed(high[i]!, low[i]!, c));
        ind.reset();
        const again = close.map((c, i) => ind.feed(high[i]!, low[i]!, c));
        expect(again).toEqual(first);
      }),
    );
  });

  it('streaming equals batch, whole or in chunks', () => {
    fc.assert(
      fc.property(prices, fc.nat({ max: 200 }), (xs, cut) => {
        const at = Math.min(cut, xs.length);
        const rsi = new Rsi(7);
        const streamed = xs.map((x) => rsi.update(x));
        expect(Array.from(batch(new Rsi(7), xs))).toEqual(streamed);
        const chunks = new Rsi(7);
        expect([...batch(chunks, xs.slice(0, at)), ...batch(chunks, xs.slice(at))]).toEqual(
          streamed,
        );

        const m = new Macd(4, 9, 3);
        const one = xs.map((x) => (m.update(x), [m.macd, m.signal, m.histogram]));
        const mb = batchMacd(new Macd(4, 9, 3), xs);
        expect(xs.map((_, i) => [mb.macd[i], mb.signal[i], mb.histogram[i]])).toEqual(one);

        const b = new BollingerBands(6, 2);
        const two = xs.map((x) => (b.update(x), [b.upper, b.middle, b.lower]));
        const bc = new BollingerBands(6, 2);
        const parts = [batchBollinger(bc, xs.slice(0, at)), batchBollinger(bc, xs.slice(at))];
        const joined = parts.flatMap((p) =>
          Array.from(p.upper, (u, i) => [u, p.middle[i], p.lower[i]]),
        );
        expect(joined).toEqual(two);
      }),
    );
  });
});

function wrap<T extends { reset(): void }>(
  ind: T,
  step: (ind: T, high: number, low: number, close: number) => number[],
) {
  return {
    feed: (h: number, l: number, c: number) => step(ind, h, l, c),
    reset: () => ind.reset(),
  };
}
