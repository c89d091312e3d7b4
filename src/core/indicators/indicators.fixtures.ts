/**
 * Seeded candle series shared by the indicator tests and `bench/indicators.ts`, so both
 * measure the same data. Pure: no I/O, no test framework.
 */

export interface CandleSeries {
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** mulberry32: tiny, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A minute-candle-like random walk in log price around 100 (0.2 % per candle, pulled gently
 * back so a million candles stay between roughly 50 and 200), on a 0.01 tick, so flat candles
 * and repeated closes occur as in real data. Volumes are log-normal.
 */
export function randomWalkCandles(n: number, seed = 42): CandleSeries {
  const rand = rng(seed);
  const gauss = () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const tick = (p: number) => Math.max(0.01, Math.round(p * 100) / 100);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const home = Math.log(100);
  let logp = home;
  let prev = 100;
  for (let i = 0; i < n; i++) {
    logp += 0.002 * gauss() - 1e-4 * (logp - home);
    const o = prev;
    const c = tick(Math.exp(logp));
    open[i] = o;
    close[i] = c;
    high[i] = tick(Math.max(o, c) * Math.exp(Math.abs(gauss()) * 0.001));
    low[i] = tick(Math.min(o, c) * Math.exp(-Math.abs(gauss()) * 0.001));
    volume[i] = Math.round(Math.exp(gauss()) * 1000 * 100) / 100;
    prev = c;
  }
  return { open, high, low, close, volume };
}
