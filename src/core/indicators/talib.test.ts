import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomWalkCandles, type CandleSeries } from './indicators.fixtures.js';
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

type TaResult = { begIndex: number; nbElement: number; result: Record<string, number[]> };
const talib = createRequire(import.meta.url)('talib') as {
  execute(o: Record<string, unknown>): TaResult;
};

const plainArrays = new WeakMap<CandleSeries, Record<string, number[]>>();

/**
 * TA-Lib on a candle series, every output placed at the index of the input it belongs to
 * (NaN before its lookback). The binding silently misreads typed arrays, so inputs go in as
 * plain arrays.
 */
function ta(s: CandleSeries, o: Record<string, unknown>): Record<string, Float64Array> {
  const n = s.close.length;
  let plain = plainArrays.get(s);
  if (!plain) {
    const close = Array.from(s.close);
    plain = { inReal: close, high: Array.from(s.high), low: Array.from(s.low), close };
    plainArrays.set(s, plain);
  }
  const r = talib.execute({ startIdx: 0, endIdx: n - 1, ...plain, ...o });
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(r.result)) {
    out[k] = new Float64Array(n).fill(Number.NaN);
    out[k].set(v.length === r.nbElement ? v : v.slice(0, r.nbElement), r.begIndex);
  }
  return out;
}

/**
 * Relative deviation with a floor of 1e-3: values near zero (a MACD crossing its zero line on
 * prices near 100) are compared absolutely, at 1e-12, where a relative error means nothing.
 */
const deviation = (a: number, b: number) =>
  Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-3);

/**
 * Checks that ours has NaN exactly where TA-Lib has no output yet (so the first value
 * appears at the same index) and agrees within `tol` everywhere after; returns the largest
 * deviation, for the record.
 */
function expectMatches(ours: Float64Array, theirs: Float64Array, tol = 1e-9): number {
  expect(ours.length).toBe(theirs.length);
  const firstOurs = ours.findIndex((x) => !Number.isNaN(x));
  const firstTheirs = theirs.findIndex((x) => !Number.isNaN(x));
  expect(firstOurs).toBe(firstTheirs);
  let worst = 0;
  let at = -1;
  for (let i = firstTheirs; i < ours.length; i++) {
    const d = deviation(ours[i]!, theirs[i]!);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(
    worst,
    `largest deviation at index ${at}: ${ours[at]} vs ${theirs[at]}`,
  ).toBeLessThanOrEqual(tol);
  return worst;
}

const series = randomWalkCandles(20_000, 7);
const periods = [2, 5, 14, 20, 50, 200];

describe('against TA-Lib on a 20,000-candle random walk', () => {
  it.each(periods)('EMA(%i)', (p) => {
    expectMatches(
      batch(new Ema(p), series.close),
      ta(series, { name: 'EMA', optInTimePeriod: p }).outReal!,
    );
  });

  it.each(periods)('SMA(%i)', (p) => {
    expectMatches(
      batch(new Sma(p), series.close),
      ta(series, { name: 'SMA', optInTimePeriod: p }).outReal!,
    );
  });

  it.each(periods)('RSI(%i)', (p) => {
    expectMatches(
      batch(new Rsi(p), series.close),
      ta(series, { name: 'RSI', optInTimePeriod: p }).outReal!,
    );
  });

  it.each([1, ...periods])('ATR(%i)', (p) => {
    const ours = batchCandles(new Atr(p), series.high, series.low, series.close);
    expectMatches(ours, ta(series, { name: 'ATR', optInTimePeriod: p }).outReal!);
  });

  it('true range', () => {
    const ours = batchCandles(new TrueRange(), series.high, series.low, series.close);
    expectMatches(ours, ta(series, { name: 'TRANGE' }).outReal!);
  });

  it.each([
    [12, 26, 9],
    [5, 35, 5],
    [3, 10, 16],
    [26, 12, 9], // swapped into 12/26, as TA-Lib does
    [8, 8, 2],
  ])('MACD(%i, %i, %i)', (fast, slow, signal) => {
    const ours = batchMacd(new Macd(fast, slow, signal), series.close);
    const theirs = ta(series, {
      name: 'MACD',
      optInFastPeriod: fast,
      optInSlowPeriod: slow,
      optInSignalPeriod: signal,
    });
    expectMatches(ours.macd, theirs.outMACD!);
    expectMatches(ours.signal, theirs.outMACDSignal!);
    expectMatches(ours.histogram, theirs.outMACDHist!);
  });

  // Periods from 5: for 2 and 3, windows of equal closes are common on a 0.01 tick, and there
  // TA-Lib's Σx²/n − mean² leaves a variance of ~1e-10 instead of 0, so its bands are off by
  // ~1e-7 relative; the exact-value test below covers those periods.
  it.each([
    [5, 2, 2],
    [10, 1, 1],
    [20, 2, 2],
    [20, 2.5, 1.5],
    [50, 2, 2],
    [200, 3, 3],
  ])('BBANDS(%i, %f, %f)', (p, up, down) => {
    const ours = batchBollinger(new BollingerBands(p, up, down), series.close);
    const theirs = ta(series, {
      name: 'BBANDS',
      optInTimePeriod: p,
      optInNbDevUp: up,
      optInNbDevDn: down,
      optInMAType: 0,
    });
    expectMatches(ours.upper, theirs.outRealUpperBand!);
    expectMatches(ours.middle, theirs.outRealMiddleBand!);
    expectMatches(ours.lower, theirs.outRealLowerBand!);
  });

  it('reads TA-Lib MACD with a signal period of 1 as broken, and keeps the identity', () => {
    // TA-Lib's MACD (0.6.0-dev, as bundled) with signal period 1 starts a candle early,
    // shifts the MACD line against the signal and emits uninitialised memory as its first
    // value; an EMA of period 1 is its input, so here signal = MACD line, histogram 0.
    const theirs = ta(series, {
      name: 'MACD',
      optInFastPeriod: 12,
      optInSlowPeriod: 26,
      optInSignalPeriod: 1,
    });
    expect(theirs.outMACD!.findIndex((x) => !Number.isNaN(x))).toBe(24);
    const ours = batchMacd(new Macd(12, 26, 1), series.close);
    expect(ours.macd.findIndex((x) => !Number.isNaN(x))).toBe(25);
    expect(ours.signal.slice(25)).toEqual(ours.macd.slice(25));
    expect(ours.histogram.slice(25).every((h) => h === 0)).toBe(true);
    // The MACD line itself still matches TA-Lib's where TA-Lib's is right.
    const line = ta(series, {
      name: 'MACD',
      optInFastPeriod: 12,
      optInSlowPeriod: 26,
      optInSignalPeriod: 2,
    });
    expectMatches(
      ours.macd.map((x, i) => (i < 26 ? Number.NaN : x)),
      line.outMACD!,
    );
  });
});

/**
 * Exact bands for prices on a 0.01 tick: sums of cents and of squared cents are integers
 * below 2^53, so the variance is exact before the final square root.
 */
function exactBands(x: Float64Array, period: number, k: number) {
  const upper = new Float64Array(x.length).fill(Number.NaN);
  const middle = new Float64Array(x.length).fill(Number.NaN);
  const lower = new Float64Array(x.length).fill(Number.NaN);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const c = Math.round(x[i]! * 100);
    s1 += c;
    s2 += c * c;
    if (i >= period) {
      const o = Math.round(x[i - period]! * 100);
      s1 -= o;
      s2 -= o * o;
    }
    if (i < period - 1) continue;
    const sd = Math.sqrt(period * s2 - s1 * s1) / (period * 100);
    middle[i] = s1 / (period * 100);
    upper[i] = middle[i]! + k * sd;
    lower[i] = middle[i]! - k * sd;
  }
  return { upper, middle, lower };
}

describe('Bollinger Bands against exact values', () => {
  it.each([2, 3, 4, 5, 20, 200])('period %i on 20,000 candles, flat windows included', (p) => {
    const ours = batchBollinger(new BollingerBands(p, 2), series.close);
    const exact = exactBands(series.close, p, 2);
    expectMatches(ours.upper, exact.upper, 1e-14);
    expectMatches(ours.middle, exact.middle, 1e-14);
    expectMatches(ours.lower, exact.lower, 1e-14);
  });

  it('gives σ = 0 exactly on a flat window, where TA-Lib leaves rounding noise', () => {
    // 507 + 20: the flat window ends between two window boundaries, away from a recomputation.
    const closes = [...series.close.slice(0, 507), ...new Array<number>(20).fill(101.37)];
    const bb = new BollingerBands(20, 2);
    for (const c of closes) bb.update(c);
    expect(bb.stdDev).toBe(0);
    expect([bb.lower, bb.middle, bb.upper]).toEqual([101.37, 101.37, 101.37]);
    const theirs = ta(
      { ...series, close: Float64Array.from(closes) },
      { name: 'BBANDS', optInTimePeriod: 20, optInNbDevUp: 2, optInNbDevDn: 2, optInMAType: 0 },
    );
    expect(theirs.outRealUpperBand!.at(-1)).not.toBe(101.37);
  });
});

describe('against TA-Lib on arbitrary series', () => {
  // Prices on a 0.01 tick between 0.01 and 100,000, in runs of equal prices, with candles
  // around them. Values near zero are compared absolutely at 1e-14 of the series' top price.
  const arbitrary = fc
    .array(
      fc.tuple(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 500 }),
        fc.nat({ max: 500 }),
      ),
      { minLength: 1, maxLength: 150 },
    )
    .map((rows) => {
      const close: number[] = [];
      const high: number[] = [];
      const low: number[] = [];
      for (const [c, run, up, down] of rows)
        for (let k = 0; k < run; k++) {
          close.push(c / 100);
          high.push((c + up) / 100);
          low.push(Math.max(1, c - down) / 100);
        }
      const f = (xs: number[]) => Float64Array.from(xs);
      return { open: f(close), high: f(high), low: f(low), close: f(close), volume: f(close) };
    });

  const within = (ours: Float64Array, theirs: Float64Array, top: number) => {
    expect(ours.findIndex((x) => !Number.isNaN(x))).toBe(theirs.findIndex((x) => !Number.isNaN(x)));
    for (let i = 0; i < ours.length; i++) {
      if (Number.isNaN(theirs[i]!)) continue;
      const d = Math.abs(ours[i]! - theirs[i]!);
      expect(d).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(theirs[i]!), 1e-5 * top));
    }
  };

  it('EMA, RSI, ATR and MACD agree, with the first value at the same index', () => {
    fc.assert(
      fc.property(arbitrary, fc.integer({ min: 2, max: 30 }), (s, p) => {
        const top = Math.max(...s.high);
        within(
          batch(new Ema(p), s.close),
          ta(s, { name: 'EMA', optInTimePeriod: p }).outReal!,
          top,
        );
        within(
          batch(new Rsi(p), s.close),
          ta(s, { name: 'RSI', optInTimePeriod: p }).outReal!,
          100,
        );
        const atr = batchCandles(new Atr(p), s.high, s.low, s.close);
        within(atr, ta(s, { name: 'ATR', optInTimePeriod: p }).outReal!, top);
        const m = batchMacd(new Macd(p, p + 7, 4), s.close);
        const t = ta(s, {
          name: 'MACD',
          optInFastPeriod: p,
          optInSlowPeriod: p + 7,
          optInSignalPeriod: 4,
        });
        within(m.macd, t.outMACD!, top);
        within(m.signal, t.outMACDSignal!, top);
        within(m.histogram, t.outMACDHist!, top);
      }),
      { numRuns: 200 },
    );
  });
});

describe('over 1,000,000 candles', () => {
  const long = randomWalkCandles(1_000_000, 42);

  it('EMA, RSI, ATR and MACD stay within 1e-9 of TA-Lib', () => {
    expectMatches(
      batch(new Ema(14), long.close),
      ta(long, { name: 'EMA', optInTimePeriod: 14 }).outReal!,
    );
    expectMatches(
      batch(new Rsi(14), long.close),
      ta(long, { name: 'RSI', optInTimePeriod: 14 }).outReal!,
    );
    expectMatches(
      batchCandles(new Atr(14), long.high, long.low, long.close),
      ta(long, { name: 'ATR', optInTimePeriod: 14 }).outReal!,
    );
    const m = batchMacd(new Macd(), long.close);
    const t = ta(long, {
      name: 'MACD',
      optInFastPeriod: 12,
      optInSlowPeriod: 26,
      optInSignalPeriod: 9,
    });
    expectMatches(m.macd, t.outMACD!);
    expectMatches(m.signal, t.outMACDSignal!);
    expectMatches(m.histogram, t.outMACDHist!);
  });

  it('Bollinger Bands (20, 2) stay within 1e-9 of TA-Lib and 1e-14 of the exact bands', () => {
    const ours = batchBollinger(new BollingerBands(20, 2), long.close);
    const theirs = ta(long, {
      name: 'BBANDS',
      optInTimePeriod: 20,
      optInNbDevUp: 2,
      optInNbDevDn: 2,
      optInMAType: 0,
    });
    expectMatches(ours.upper, theirs.outRealUpperBand!);
    expectMatches(ours.middle, theirs.outRealMiddleBand!);
    expectMatches(ours.lower, theirs.outRealLowerBand!);
    const exact = exactBands(long.close, 20, 2);
    expectMatches(ours.upper, exact.upper, 1e-14);
    expectMatches(ours.lower, exact.lower, 1e-14);
  });

  it.each([2, 3, 200])('Bollinger Bands (%i, 2) stay within 1e-14 of the exact bands', (p) => {
    const ours = batchBollinger(new BollingerBands(p, 2), long.close);
    const exact = exactBands(long.close, p, 2);
    expectMatches(ours.upper, exact.upper, 1e-14);
    expectMatches(ours.lower, exact.lower, 1e-14);
  });

  it('SMA(20) stays within 1e-9 of TA-Lib', () => {
    expectMatches(
      batch(new Sma(20), long.close),
      ta(long, { name: 'SMA', optInTimePeriod: 20 }).outReal!,
    );
  });
});
