/**
 * Streaming indicator throughput, beside the `trading-signals` package measured in the same
 * run on the same candles:
 *
 *   npm run bench:indicators
 *   BENCH_CANDLES=200000 BENCH_ROUNDS=7 npx tsx bench/indicators.ts
 *
 * One seeded random walk of 1,000,000 candles (`randomWalkCandles`, the tests' generator) is
 * streamed through RSI(14), MACD(12, 26, 9), ATR(14), Bollinger Bands(20, 2) and EMA(14),
 * one update at a time, reading every output of every update (each loop sums them, which
 * also keeps the work from being optimised away). trading-signals 8.3.0 exports no `Faster*`
 * classes: its classes compute in JS numbers and are its fastest. For RSI and ATR it smooths
 * with `WSMA` (Wilder's, the definition) by default; `RMA` is faster but seeds differently, so
 * both run and the faster one is the baseline.
 *
 * Ours and the baseline run back to back within each round; each figure is the median of
 * the rounds, in updates per second of CPU time, and the ratio is the median of the rounds'
 * ratios, since load on the machine changes between rounds more than within one.
 * Targets: ≥ 5× the baseline for RSI, MACD, ATR and Bollinger Bands, ≥ 1× for EMA.
 *
 * Last, the whole series goes through TA-Lib (the `talib` package) and the largest relative
 * deviation of our values from TA-Lib's is printed per output. For the bands, the deviation
 * from the exact value (computed in integer cents; prices are on a 0.01 tick) is printed too,
 * because TA-Lib's own variance formula is the larger error there.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  Atr,
  BollingerBands,
  Ema,
  Macd,
  Rsi,
  batch,
  batchBollinger,
  batchCandles,
  batchMacd,
} from '../src/core/indicators/index.js';
import { randomWalkCandles } from '../src/core/indicators/indicators.fixtures.js';
import * as ts from 'trading-signals';

const CANDLES = Number(process.env.BENCH_CANDLES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const require = createRequire(import.meta.url);
const talib = require('talib') as {
  execute(o: Record<string, unknown>): { begIndex: number; result: Record<string, number[]> };
};
const tsVersion = (
  JSON.parse(
    readFileSync(new URL('../node_modules/trading-signals/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

const s = randomWalkCandles(CANDLES, 42);
const n = CANDLES;
const { high, low, close } = s;
// trading-signals takes numbers and candle objects; give it plain arrays, as its users would.
const closes = Array.from(close);
const candles = Array.from({ length: n }, (_, i) => ({
  high: high[i]!,
  low: low[i]!,
  close: close[i]!,
}));

/**
 * The data reach each loop as arguments, so the loop reads them from locals, as a caller's
 * loop would. (Read from module-level bindings, a loop runs at full speed only when V8 happens
 * to compile it on-stack, which made figures of the same code differ by 2× between runs.)
 */
const data = { high, low, close, closes, candles };
type Data = typeof data;
/** One pass over the first `count` candles: returns updates per second. */
type Pass = (count: number) => number;
/** The loops' sums, which keep their work from being optimised away. */
let sink = 0;

/**
 * Updates per second of CPU time used by this process (all its threads, so a baseline's
 * garbage collection counts against it). On these shared two-core machines wall time also
 * counts whatever else was scheduled meanwhile.
 */
function timed(count: number, run: (d: Data, count: number) => number): number {
  const t0 = process.cpuUsage();
  sink += run(data, count);
  const t = process.cpuUsage(t0);
  return count / ((t.user + t.system) / 1e6);
}

const ours: Record<string, Pass> = {
  RSI: (m) =>
    timed(m, ({ close }, m) => {
      const r = new Rsi(14);
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const v = r.update(close[i]!);
        if (!Number.isNaN(v)) acc += v;
      }
      return acc;
    }),
  MACD: (m) =>
    timed(m, ({ close }, m) => {
      const r = new Macd(12, 26, 9);
      let acc = 0;
      for (let i = 0; i < m; i++) {
        r.update(close[i]!);
        if (r.isReady) acc += r.macd + r.signal + r.histogram;
      }
      return acc;
    }),
  ATR: (m) =>
    timed(m, ({ high, low, close }, m) => {
      const r = new Atr(14);
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const v = r.update(high[i]!, low[i]!, close[i]!);
        if (!Number.isNaN(v)) acc += v;
      }
      return acc;
    }),
  'Bollinger Bands': (m) =>
    timed(m, ({ close }, m) => {
      const r = new BollingerBands(20, 2);
      let acc = 0;
      for (let i = 0; i < m; i++) {
        r.update(close[i]!);
        if (r.isReady) acc += r.upper + r.middle + r.lower;
      }
      return acc;
    }),
  EMA: (m) =>
    timed(m, ({ close }, m) => {
      const r = new Ema(14);
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const v = r.update(close[i]!);
        if (!Number.isNaN(v)) acc += v;
      }
      return acc;
    }),
};

const scalar =
  (make: () => { update(x: number, replace: boolean): number | null }): Pass =>
  (m) =>
    timed(m, ({ closes }, m) => {
      const r = make();
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const v = r.update(closes[i]!, false);
        if (v !== null) acc += v;
      }
      return acc;
    });

const atrPass =
  (make: () => ts.ATR): Pass =>
  (m) =>
    timed(m, ({ candles }, m) => {
      const r = make();
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const v = r.update(candles[i]!, false);
        if (v !== null) acc += v;
      }
      return acc;
    });

/** Each indicator's candidate baselines; the fastest median is the one compared against. */
const baselines: Record<string, Record<string, Pass>> = {
  RSI: {
    'RSI, WSMA': scalar(() => new ts.RSI(14)),
    'RSI, RMA': scalar(() => new ts.RSI(14, ts.RMA)),
  },
  MACD: {
    MACD: (m) =>
      timed(m, ({ closes }, m) => {
        const r = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
        let acc = 0;
        for (let i = 0; i < m; i++) {
          const v = r.update(closes[i]!, false);
          if (v !== null) acc += v.macd + v.signal + v.histogram;
        }
        return acc;
      }),
  },
  ATR: {
    'ATR, WSMA': atrPass(() => new ts.ATR(14)),
    'ATR, RMA': atrPass(() => new ts.ATR(14, ts.RMA)),
  },
  'Bollinger Bands': {
    BollingerBands: (m) =>
      timed(m, ({ closes }, m) => {
        const r = new ts.BollingerBands(20, 2);
        let acc = 0;
        for (let i = 0; i < m; i++) {
          const v = r.update(closes[i]!, false);
          if (v !== null) acc += v.upper + v.middle + v.lower;
        }
        return acc;
      }),
  },
  EMA: { EMA: scalar(() => new ts.EMA(14)) },
};

const targets: Record<string, number> = {
  RSI: 5,
  MACD: 5,
  ATR: 5,
  'Bollinger Bands': 5,
  EMA: 1,
};

/**
 * A pause before each measured pass, so that the collector's background threads (marking
 * and sweeping the baseline's garbage) have finished and their CPU time is not billed to the
 * next pass. (Forcing a collection instead throws away optimised code, which is worse.)
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

console.log(
  `${fmt(n)} candles, ${ROUNDS} rounds, median updates per CPU second; baseline: trading-signals ${tsVersion}\n`,
);

// Warm every path up on a slice first, so the rounds measure optimised code.
const warm = Math.min(n, 200_000);
for (const name of Object.keys(ours)) {
  ours[name]!(warm);
  for (const pass of Object.values(baselines[name]!)) pass(warm);
}

const rows: string[][] = [
  ['indicator', 'ours', 'trading-signals', 'ratio', 'target', 'baseline class (others)'],
];
const misses: string[] = [];
for (const name of Object.keys(ours)) {
  const mine: number[] = [];
  const theirs: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    await settle();
    mine.push(ours[name]!(n));
    for (const [label, pass] of Object.entries(baselines[name]!)) {
      await settle();
      (theirs[label] ??= []).push(pass(n));
    }
  }
  const m = median(mine);
  const [label, base] = Object.entries(theirs)
    .map(([l, xs]) => [l, median(xs)] as const)
    .sort((a, b) => b[1] - a[1])[0]!;
  // Ours and the baseline of one round ran seconds apart under the same load: compare those.
  const ratio = median(mine.map((x, r) => x / theirs[label]![r]!));
  const target = targets[name]!;
  if (ratio < target) misses.push(`${name} ${ratio.toFixed(2)}× < ${target}×`);
  const others = Object.entries(theirs)
    .filter(([l]) => l !== label)
    .map(([l, xs]) => ` (${l}: ${fmt(median(xs))})`)
    .join('');
  rows.push([
    name,
    fmt(m),
    fmt(base),
    `${ratio.toFixed(2)}×`,
    `≥ ${target}× ${ratio >= target ? 'met' : 'MISSED'}`,
    label + others,
  ]);
}
printTable(rows, [5]);

// Deviation from TA-Lib over the whole series. The binding reads only plain arrays.
const h = Array.from(high);
const l = Array.from(low);
const c = closes;
type TaResult = { begIndex: number; result: Record<string, number[]> };
const ta = (o: Record<string, unknown>): TaResult =>
  talib.execute({ startIdx: 0, endIdx: n - 1, ...o });
/** TA-Lib's output `key`, placed at the input index it belongs to (NaN before). */
const at = (r: TaResult, key: string): Float64Array => {
  const out = new Float64Array(n).fill(Number.NaN);
  out.set(r.result[key]!, r.begIndex);
  return out;
};

/**
 * Largest |a - b| / max(|a|, |b|, 1e-3), and largest |a - b|, where `b` has a value. The
 * floor compares values near zero (MACD crossing its zero line, on prices near 100)
 * absolutely, at 1e-12, since a relative error means nothing there.
 */
function deviation(a: Float64Array, b: Float64Array): [number, number] {
  let rel = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(b[i]!)) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= abs)) abs = d;
    const q = d / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), 1e-3);
    if (!(q <= rel)) rel = q;
  }
  return [rel, abs];
}

const dev: string[][] = [['output', 'max relative', 'max absolute']];
const add = (label: string, [rel, abs]: [number, number]) =>
  dev.push([label, rel.toExponential(2), abs.toExponential(2)]);
const rsiTa = ta({ name: 'RSI', inReal: c, optInTimePeriod: 14 });
add('RSI(14)', deviation(batch(new Rsi(14), close), at(rsiTa, 'outReal')));
const macd = batchMacd(new Macd(12, 26, 9), close);
const macdTa = ta({
  name: 'MACD',
  inReal: c,
  optInFastPeriod: 12,
  optInSlowPeriod: 26,
  optInSignalPeriod: 9,
});
add('MACD line', deviation(macd.macd, at(macdTa, 'outMACD')));
add('MACD signal', deviation(macd.signal, at(macdTa, 'outMACDSignal')));
add('MACD histogram', deviation(macd.histogram, at(macdTa, 'outMACDHist')));
const atrTa = ta({ name: 'ATR', high: h, low: l, close: c, optInTimePeriod: 14 });
add('ATR(14)', deviation(batchCandles(new Atr(14), high, low, close), at(atrTa, 'outReal')));
const bb = batchBollinger(new BollingerBands(20, 2), close);
const bbTa = ta({
  name: 'BBANDS',
  inReal: c,
  optInTimePeriod: 20,
  optInNbDevUp: 2,
  optInNbDevDn: 2,
  optInMAType: 0,
});
const taUpper = at(bbTa, 'outRealUpperBand');
add('Bollinger upper', deviation(bb.upper, taUpper));
add('Bollinger middle', deviation(bb.middle, at(bbTa, 'outRealMiddleBand')));
add('Bollinger lower', deviation(bb.lower, at(bbTa, 'outRealLowerBand')));
const emaTa = ta({ name: 'EMA', inReal: c, optInTimePeriod: 14 });
add('EMA(14)', deviation(batch(new Ema(14), close), at(emaTa, 'outReal')));
console.log('\ndeviation from TA-Lib over the whole series:');
printTable(dev);

// Exact bands: with prices on a 0.01 tick, sums of cents and squared cents are exact integers.
const exact = exactBands(close, 20, 2);
const ours2 = Math.max(deviation(bb.upper, exact.upper)[0], deviation(bb.lower, exact.lower)[0]);
const theirs2 = Math.max(
  deviation(taUpper, exact.upper)[0],
  deviation(at(bbTa, 'outRealLowerBand'), exact.lower)[0],
);
console.log(
  `\nBollinger bands against their exact values (max relative error): ours ${ours2.toExponential(2)}, TA-Lib ${theirs2.toExponential(2)}`,
);

console.log(misses.length === 0 ? '\nall targets met' : `\ntargets missed: ${misses.join('; ')}`);
if (sink === 42) console.log('');

function exactBands(x: Float64Array, period: number, k: number) {
  const upper = new Float64Array(x.length).fill(Number.NaN);
  const lower = new Float64Array(x.length).fill(Number.NaN);
  let s1 = 0;
  let s2 = 0;
  const cents = (i: number) => Math.round(x[i]! * 100);
  for (let i = 0; i < x.length; i++) {
    const ci = cents(i);
    s1 += ci;
    s2 += ci * ci;
    if (i >= period) {
      const co = cents(i - period);
      s1 -= co;
      s2 -= co * co;
    }
    if (i < period - 1) continue;
    // n²·variance in cents², an exact integer below 2^53 for these prices and periods.
    const v = period * s2 - s1 * s1;
    const sd = Math.sqrt(v) / (period * 100);
    const mid = s1 / (period * 100);
    upper[i] = mid + k * sd;
    lower[i] = mid - k * sd;
  }
  return { upper, lower };
}

/** Text columns (the first, and any named in `left`) align left, figures right. */
function printTable(rows: string[][], left: number[] = []): void {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, j) =>
          j === 0 || left.includes(j) ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!),
        )
        .join('  ')
        .trimEnd(),
    );
}
