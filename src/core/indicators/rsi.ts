import { checkPeriod, type ScalarIndicator } from './types.js';

/**
 * Relative strength index with Wilder's smoothing, as TA-Lib's RSI: the first average gain
 * and loss are simple averages of the first `period` changes, later ones
 * `avg = (avg * (period - 1) + change) / period`, and `RSI = 100 * avgGain / (avgGain + avgLoss)`.
 * The first value comes after `period + 1` inputs (lookback `period`).
 *
 * RSI is a ratio, so the averages are kept multiplied by `period`: `sum = sum * (period - 1) /
 * period + change`, one multiply-add per update where TA-Lib divides twice, which would put
 * the division's latency on the chain that carries from one update to the next. The
 * smoothing shrinks any rounding by `(period - 1) / period` per update, so values stay within
 * a few units in the last place of TA-Lib's.
 *
 * A market that has not moved at all over the whole history reads 0, as in TA-Lib. TA-Lib
 * also reads 0 whenever avgGain + avgLoss is below 1e-14 in absolute terms, which happens
 * routinely for assets priced below about 1e-10, and after a few hundred unchanged closes at
 * any price; here only an exact zero does, and a flat stretch leaves the RSI where it was.
 */
export class Rsi implements ScalarIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly decay: number;
  private ready = false;
  private seen = 0;
  private prev = 0;
  private gain = 0;
  private loss = 0;
  private v = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('period', period, 2);
    this.lookback = period;
    this.decay = (period - 1) / period;
  }

  update(x: number): number {
    const d = x - this.prev;
    this.prev = x;
    // Both are exact: (|d| + d) / 2 is d or 0, (|d| - d) / 2 is -d or 0, with no branch to
    // mispredict on a random walk.
    const a = Math.abs(d);
    const up = (a + d) * 0.5;
    const down = (a - d) * 0.5;
    if (this.ready) {
      const g = (this.gain = this.gain * this.decay + up);
      const s = g + (this.loss = this.loss * this.decay + down);
      return (this.v = s === 0 ? 0 : 100 * (g / s));
    }
    if (this.seen++ === 0) return Number.NaN;
    const g = (this.gain += up);
    const s = g + (this.loss += down);
    if (this.seen <= this.period) return Number.NaN;
    this.ready = true;
    return (this.v = s === 0 ? 0 : 100 * (g / s));
  }

  get value(): number | undefined {
    return this.ready ? this.v : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  reset(): void {
    this.ready = false;
    this.seen = 0;
    this.prev = 0;
    this.gain = 0;
    this.loss = 0;
    this.v = Number.NaN;
  }
}
