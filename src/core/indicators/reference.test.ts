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

/**
 * Published worked examples, so that correctness does not rest on TA-Lib alone. The
 * published figures are rounded to cents, hence the half-cent tolerance.
 */
const cents = (xs: ArrayLike<number>) => Array.from(xs, (x) => Math.round(x * 100) / 100);
const expectCents = (ours: ArrayLike<number>, published: number[]) => {
  expect(ours.length).toBe(published.length);
  for (let i = 0; i < published.length; i++)
    expect(
      Math.abs(ours[i]! - published[i]!),
      `value ${i}: ${ours[i]} vs ${published[i]}`,
    ).toBeLessThanOrEqual(0.005 + 1e-9);
};

describe("RSI: Wilder's worked example as published by StockCharts", () => {
  // StockCharts ChartSchool, "Relative Strength Index (RSI)", spreadsheet cs-rsi.xls: the
  // 33 closes and the 14-day RSI column (first value on the 15th close).
  const closes = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826,
    45.8931, 46.0328, 45.614, 46.282, 46.282, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122,
    46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205,
    42.6628, 43.1314,
  ];
  const published = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99,
    41.46, 41.87, 45.46, 37.3, 33.08, 37.77,
  ];

  it('matches every published value, starting on the 15th close', () => {
    const rsi = batch(new Rsi(14), closes);
    expect(rsi.slice(0, 14).every(Number.isNaN)).toBe(true);
    expect(cents(rsi.slice(14))).toEqual(published);
  });

  it('matches the unrounded first and last values', () => {
    // First: over the first 14 changes gains sum to 3.3374 and losses to 1.3943, so
    // 100 · (3.3374 / 14) / ((3.3374 + 1.3943) / 14) = 70.5328.
    const rsi = batch(new Rsi(14), closes);
    expect(rsi[14]).toBeCloseTo(70.53278948, 8);
    expect(rsi[32]).toBeCloseTo(37.77295211, 8);
  });
});

describe('SMA and EMA: StockCharts moving-average example', () => {
  // StockCharts ChartSchool, "Moving Averages - Simple and Exponential", spreadsheet
  // cs-movavg.xls: 30 closes, 10-day SMA and EMA (EMA seeded with the SMA, k = 2/11).
  const closes = [
    22.2734, 22.194, 22.0847, 22.1741, 22.184, 22.1344, 22.2337, 22.4323, 22.2436, 22.2933, 22.1542,
    22.3926, 22.3816, 22.6109, 23.3558, 24.0519, 23.753, 23.8324, 23.9516, 23.6338, 23.8225,
    23.8722, 23.6537, 23.187, 23.0976, 23.326, 22.6805, 23.0976, 22.4025, 22.1725,
  ];

  it('10-day SMA', () => {
    expect(cents(batch(new Sma(10), closes).slice(9))).toEqual([
      22.22, 22.21, 22.23, 22.26, 22.31, 22.42, 22.61, 22.77, 22.91, 23.08, 23.21, 23.38, 23.53,
      23.65, 23.71, 23.69, 23.61, 23.51, 23.43, 23.28, 23.13,
    ]);
  });

  it("10-day EMA, to the spreadsheet's eight decimals", () => {
    const ema = batch(new Ema(10), closes);
    expect(ema.slice(0, 9).every(Number.isNaN)).toBe(true);
    const published = [
      22.22475, 22.21192273, 22.24477314, 22.26965075, 22.33169607, 22.51789678, 22.79680646,
      22.97065983, 23.12733986, 23.27720534, 23.34204073, 23.42939696, 23.50990661, 23.53605086,
      23.47258707, 23.4044076, 23.39015167, 23.2611241, 23.23139244, 23.08068473, 22.91556023,
    ];
    for (let i = 0; i < published.length; i++) expect(ema[9 + i]).toBeCloseTo(published[i]!, 8);
  });
});

describe('Bollinger Bands: StockCharts example', () => {
  // StockCharts ChartSchool, "Bollinger Bands", spreadsheet cs-bollinger.xls: 20-day SMA
  // ± 2 population standard deviations.
  const closes = [
    86.1557, 89.0867, 88.7829, 90.3228, 89.0671, 91.1453, 89.4397, 89.175, 86.9302, 87.6752,
    86.9596, 89.4299, 89.3221, 88.7241, 87.4497, 87.2634, 89.4985, 87.9006, 89.126, 90.7043,
    92.9001, 92.9784, 91.8021, 92.6647, 92.6843, 92.3021, 92.7725, 92.5373, 92.949, 93.2039,
    91.0669, 89.8318, 89.7435, 90.3994, 90.7387, 88.0177, 88.0867, 88.8439, 90.7781, 90.5416,
    91.3894, 90.65,
  ];

  it('matches the published middle, upper and lower bands', () => {
    const bb = batchBollinger(new BollingerBands(20, 2), closes);
    expectCents(
      bb.middle.slice(19),
      [
        88.71, 89.05, 89.24, 89.39, 89.51, 89.69, 89.75, 89.91, 90.08, 90.38, 90.66, 90.86, 90.88,
        90.91, 90.99, 91.15, 91.19, 91.12, 91.17, 91.25, 91.24, 91.17, 91.05,
      ],
    );
    expectCents(
      bb.upper.slice(19),
      [
        91.29, 91.95, 92.61, 92.93, 93.31, 93.73, 93.9, 94.27, 94.57, 94.79, 95.04, 94.91, 94.9,
        94.9, 94.86, 94.67, 94.56, 94.68, 94.58, 94.53, 94.53, 94.37, 94.15,
      ],
    );
    expectCents(
      bb.lower.slice(19),
      [
        86.12, 86.14, 85.87, 85.85, 85.7, 85.65, 85.59, 85.56, 85.6, 85.98, 86.27, 86.82, 86.87,
        86.91, 87.12, 87.63, 87.83, 87.56, 87.76, 87.97, 87.95, 87.96, 87.95,
      ],
    );
  });
});

describe('ATR: StockCharts example (QQQQ, 1 April – 13 May 2010)', () => {
  // StockCharts ChartSchool, "Average True Range (ATR)", spreadsheet cs-atr.xls.
  const high = [
    48.7, 48.72, 48.9, 48.87, 48.82, 49.05, 49.2, 49.35, 49.92, 50.19, 50.12, 49.66, 49.88, 50.19,
    50.36, 50.57, 50.65, 50.43, 49.63, 50.33, 50.29, 50.17, 49.32, 48.5, 48.32, 46.8, 47.8, 48.39,
    48.66, 48.79,
  ];
  const low = [
    47.79, 48.14, 48.39, 48.37, 48.24, 48.635, 48.94, 48.86, 49.5, 49.87, 49.2, 48.9, 49.43, 49.725,
    49.26, 50.09, 50.3, 49.21, 48.98, 49.61, 49.2, 49.43, 48.08, 47.64, 41.55, 44.283, 47.31, 47.2,
    47.9, 47.73,
  ];
  const close = [
    48.16, 48.61, 48.75, 48.63, 48.74, 49.03, 49.07, 49.32, 49.91, 50.13, 49.53, 49.5, 49.75, 50.03,
    50.31, 50.52, 50.41, 49.34, 49.37, 50.23, 49.238, 49.93, 48.43, 48.18, 46.57, 45.41, 47.77,
    47.72, 48.62, 47.85,
  ];
  const publishedAtr = [
    0.56, 0.59, 0.59, 0.57, 0.62, 0.62, 0.64, 0.67, 0.69, 0.78, 0.78, 1.21, 1.3, 1.38, 1.37, 1.34,
    1.32,
  ];

  it('true range, worked by hand on the same candles', () => {
    // Day 2: high 48.72, low 48.14, previous close 48.16: max(48.72, 48.16) - min(48.14, 48.16)
    // = 0.58. Day 25 (6 May 2010): 48.32 - 41.55 = 6.77, the day's own range. Day 27 opened
    // above day 26's close of 45.41: 47.80 - 45.41 = 2.39, wider than its range of 0.49.
    const tr = batchCandles(new TrueRange(), high, low, close);
    expect(tr[0]).toBeNaN();
    expect(tr[1]).toBeCloseTo(0.58, 12);
    expect(tr[24]).toBeCloseTo(6.77, 12);
    expect(tr[26]).toBeCloseTo(2.39, 12);
  });

  it('Wilder smoothing reproduces the published ATR column', () => {
    // StockCharts counts the first day's high - low as a true range, so its first ATR (day 14)
    // averages 14 ranges from day 1. TA-Lib's ATR, and ours, only starts true ranges on day
    // 2. A leading candle that closes inside day 1's range makes day 1's true range its
    // high - low, so the same data with that candle in front gives StockCharts' column:
    // first ATR = (0.91 + 0.58 + … + 0.465) / 14 = 7.77 / 14 = 0.555, published as 0.56.
    const atr = batchCandles(
      new Atr(14),
      [high[0]!, ...high],
      [low[0]!, ...low],
      [close[0]!, ...close],
    );
    expectCents(atr.slice(14), publishedAtr);
    expect(atr[14]).toBeCloseTo(7.77 / 14, 12);
  });
});

describe("MACD: TA-Lib's alignment, worked by hand", () => {
  // MACD(fast 2, slow 3, signal 2) of 10, 11, 13, 12, 15, 14.
  // Slow EMA (k = 1/2) seeds on closes 0–2: (10 + 11 + 13) / 3 = 34/3.
  // TA-Lib seeds the fast EMA (k = 2/3) on the two closes ending at the same close, 1–2:
  // (11 + 13) / 2 = 12, not on closes 0–1 as the textbook MACD does.
  //   close 2: MACD 12 - 34/3 = 2/3
  //   close 3: slow 34/3 + (12 - 34/3)/2 = 35/3, fast 12 + (12 - 12)·2/3 = 12, MACD 1/3;
  //            signal seeds on the first two MACD values: (2/3 + 1/3) / 2 = 1/2; hist -1/6
  //   close 4: slow 40/3, fast 14, MACD 2/3; signal 1/2 + (2/3 - 1/2)·2/3 = 11/18; hist 1/18
  //   close 5: slow 41/3, fast 14, MACD 1/3; signal 11/18 + (1/3 - 11/18)·2/3 = 23/54;
  //            hist -5/54
  const closes = [10, 11, 13, 12, 15, 14];

  it('gives the hand-computed values, the first on close 3 (lookback slow + signal - 2)', () => {
    const m = batchMacd(new Macd(2, 3, 2), closes);
    expect(Array.from(m.macd.slice(0, 3)).every(Number.isNaN)).toBe(true);
    const expected = [
      [1 / 3, 1 / 2, -1 / 6],
      [2 / 3, 11 / 18, 1 / 18],
      [1 / 3, 23 / 54, -5 / 54],
    ];
    expected.forEach(([macd, signal, hist], j) => {
      expect(m.macd[3 + j]).toBeCloseTo(macd!, 14);
      expect(m.signal[3 + j]).toBeCloseTo(signal!, 14);
      expect(m.histogram[3 + j]).toBeCloseTo(hist!, 14);
    });
  });
});
