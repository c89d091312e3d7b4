import type { BollingerBands } from './bollinger.js';
import type { Macd } from './macd.js';
import type { CandleIndicator, ScalarIndicator } from './types.js';

/**
 * Runs indicators over whole arrays, for the backtester and for charts. Outputs are aligned
 * with the inputs (output `i` belongs to input `i`) and hold NaN while warming up. Each helper
 * continues from the indicator's current state, so after `reset()` it gives exactly what
 * streaming the same inputs one by one gives.
 *
 * @example
 * const rsi = batch(new Rsi(14), closes); // rsi[13] is NaN, rsi[14] the first value
 */
export function batch(indicator: ScalarIndicator, values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = indicator.update(values[i]!);
  return out;
}

export function batchCandles(
  indicator: CandleIndicator,
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
): Float64Array {
  const n = sameLength(high, low, close);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = indicator.update(high[i]!, low[i]!, close[i]!);
  return out;
}

export function batchMacd(
  indicator: Macd,
  values: ArrayLike<number>,
): { macd: Float64Array; signal: Float64Array; histogram: Float64Array } {
  const n = values.length;
  const macd = new Float64Array(n);
  const signal = new Float64Array(n);
  const histogram = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    indicator.update(values[i]!);
    macd[i] = indicator.macd;
    signal[i] = indicator.signal;
    histogram[i] = indicator.histogram;
  }
  return { macd, signal, histogram };
}

export function batchBollinger(
  indicator: BollingerBands,
  values: ArrayLike<number>,
): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
  const n = values.length;
  const upper = new Float64Array(n);
  const middle = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    indicator.update(values[i]!);
    upper[i] = indicator.upper;
    middle[i] = indicator.middle;
    lower[i] = indicator.lower;
  }
  return { upper, middle, lower };
}

function sameLength(...arrays: ArrayLike<number>[]): number {
  const n = arrays[0]!.length;
  if (arrays.some((a) => a.length !== n))
    throw new RangeError(
      `input arrays differ in length: ${arrays.map((a) => a.length).join(', ')}`,
    );
  return n;
}
