import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  Atr,
  BollingerBands,
  Ema,
  Macd,
  Rsi,
  Sma,
  TrueRange,
  batch,
  batchCandles,
  type Indicator,
} from './index.js';

describe("warm-up follows TA-Lib's lookback", () => {
  const cases: Array<[string, Indicator & { update(x: number): unknown }, number]> = [
    ['EMA(10)', new Ema(10), 9],
    ['SMA(10)', new Sma(10), 9],
    ['RSI(14)', new Rsi(14), 14],
    ['MACD(12, 26, 9)', new Macd(), 33],
    ['BBANDS(20)', new BollingerBands(20), 19],
  ];

  it.each(cases)('%s is ready after lookback + 1 inputs', (_name, ind, lookback) => {
    expect(ind.lookback).toBe(lookback);
    for (let i = 0; i < lookback; i++) {
      ind.update(100 + (i % 3));
      expect(ind.isReady).toBe(false);
    }
    ind.update(101);
    expect(ind.isReady).toBe(true);
    ind.reset();
    expect(ind.isReady).toBe(false);
  });

  it('candle indicators: ATR(14) after 15 candles, true range after 2', () => {
    const atr = new Atr(14);
    const tr = new TrueRange();
    expect([atr.lookback, tr.lookback]).toEqual([14, 1]);
    expect(tr.update(11, 9, 10)).toBeNaN();
    expect(tr.value).toBeUndefined();
    expect(tr.update(12, 10.5, 11)).toBe(2); // max(12, 10) - min(10.5, 10)
    for (let i = 0; i < 14; i++) expect(atr.update(11, 9, 10)).toBeNaN();
    expect(atr.update(11, 9, 10)).toBe(2);
  });
});

describe('value, update and the numeric getters', () => {
  it('value is undefined until ready; update returns NaN until ready, then the value', () => {
    const ema = new Ema(3);
    expect(ema.value).toBeUndefined();
    expect(ema.update(1)).toBeNaN();
    expect(ema.update(2)).toBeNaN();
    expect(ema.update(3)).toBe(2); // seed: (1 + 2 + 3) / 3
    expect(ema.value).toBe(2);
    expect(ema.update(6)).toBe(4); // 2 · 0.5 + 6 · 0.5
    expect(ema.value).toBe(4);
  });

  it('MACD and Bollinger read NaN from their getters and undefined from value until ready', () => {
    const m = new Macd(2, 3, 2);
    const b = new BollingerBands(3, 2);
    for (const x of [10, 11, 13]) {
      m.update(x);
      b.update(x);
    }
    expect([m.macd, m.signal, m.histogram]).toEqual([NaN, NaN, NaN]);
    expect(m.value).toBeUndefined();
    expect(b.value).toEqual({ upper: b.upper, middle: b.middle, lower: b.lower });
    expect(b.middle).toBeCloseTo(34 / 3, 12);
    m.update(12);
    expect(m.value).toEqual({ macd: m.macd, signal: m.signal, histogram: m.histogram });
  });

  it('RSI reads 100 when prices only rose, 0 when they only fell, and 0 when flat (as TA-Lib)', () => {
    expect(batch(new Rsi(3), [1, 2, 3, 4, 5]).at(-1)).toBe(100);
    expect(batch(new Rsi(3), [5, 4, 3, 2, 1]).at(-1)).toBe(0);
    expect(batch(new Rsi(3), [7, 7, 7, 7, 7]).at(-1)).toBe(0);
  });

  it('an RSI stays where it was through a flat stretch, however long', () => {
    // TA-Lib drops to 0 once avgGain + avgLoss decays below 1e-14, here after ~430 flat
    // closes; the ratio, and so the RSI, has not changed.
    const rsi = new Rsi(14);
    const before = batch(rsi, [1, 2, 1.5, 2.5, 2, 3, 2.5, 3.5, 3, 4, 3.5, 4.5, 4, 5, 4.5, 5.5]).at(
      -1,
    )!;
    for (let i = 0; i < 1000; i++) rsi.update(5.5);
    expect(rsi.value).toBeCloseTo(before, 9);
  });

  it('ATR of period 1 is the true range, as TA-Lib', () => {
    const high = [11, 12, 15, 13];
    const low = [9, 10.5, 12, 8];
    const close = [10, 11, 14, 9];
    expect(Array.from(batchCandles(new Atr(1), high, low, close))).toEqual(
      Array.from(batchCandles(new TrueRange(), high, low, close)),
    );
  });

  it('MACD swaps a fast period longer than the slow one, as TA-Lib', () => {
    const m = new Macd(26, 12, 9);
    expect([m.fast, m.slow, m.lookback]).toEqual([12, 26, 33]);
  });

  it('Bollinger bands may be asymmetric', () => {
    const b = new BollingerBands(4, 3, 1);
    for (const x of [1, 2, 3, 4]) b.update(x);
    // mean 2.5, σ = √1.25
    expect(b.upper).toBeCloseTo(2.5 + 3 * Math.sqrt(1.25), 12);
    expect(b.lower).toBeCloseTo(2.5 - Math.sqrt(1.25), 12);
  });

  it('a bad tick leaving the window leaves no trace in SMA or Bollinger Bands', () => {
    const quiet = Array.from({ length: 200 }, (_, i) => 100 + ((i * 7) % 5) / 100);
    const spiked = [...quiet];
    spiked[50] = 1e12;
    const sma = [new Sma(20), new Sma(20)];
    const bb = [new BollingerBands(20, 2), new BollingerBands(20, 2)];
    quiet.forEach((x, i) => {
      sma[0]!.update(x);
      sma[1]!.update(spiked[i]!);
      bb[0]!.update(x);
      bb[1]!.update(spiked[i]!);
    });
    expect(Math.abs(sma[1]!.value! - sma[0]!.value!)).toBeLessThan(1e-12);
    expect(bb[1]!.stdDev).toBeCloseTo(bb[0]!.stdDev, 12);
  });
});

describe('parameters are validated', () => {
  it.each([
    ['EMA(0)', () => new Ema(0)],
    ['SMA(2.5)', () => new Sma(2.5)],
    ['RSI(1)', () => new Rsi(1)],
    ['ATR(0)', () => new Atr(0)],
    ['MACD(1, 26, 9)', () => new Macd(1, 26, 9)],
    ['MACD(12, 26, 0)', () => new Macd(12, 26, 0)],
    ['BBANDS(1)', () => new BollingerBands(1)],
    ['BBANDS(20, NaN)', () => new BollingerBands(20, Number.NaN)],
  ])('%s is a validation error', (_name, make) => {
    expect(make).toThrow(AppError);
    try {
      make();
    } catch (e) {
      expect((e as AppError).kind).toBe('validation');
      expect((e as AppError).code).toBe('invalid_indicator_parameter');
    }
  });

  it('batch helpers refuse arrays of different lengths', () => {
    expect(() => batchCandles(new Atr(3), [1, 2], [1], [1, 2])).toThrow(RangeError);
  });
});
