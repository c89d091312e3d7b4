import { checkPeriod, type ScalarIndicator } from './types.js';

/**
 * Exponential moving average as TA-Lib computes it: seeded with the simple average of the
 * first `period` inputs, then `ema += (x - ema) * k` with `k = 2 / (period + 1)`. The first
 * value comes after `period` inputs (lookback `period - 1`).
 *
 * The update is written `ema = ema * (1 - k) + x * k`, which leaves one multiply-add on the
 * chain from one update to the next (TA-Lib's form has a subtraction, a multiplication and an
 * addition on it). The EMA shrinks any rounding by `1 - k` per update, so values stay within
 * a few units in the last place of TA-Lib's.
 *
 * @example
 * const ema = new Ema(10);
 * for (const close of closes) ema.update(close);
 * ema.value; // undefined until 10 closes were seen
 */
export class Ema implements ScalarIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly k: number;
  private readonly decay: number;
  private ready = false;
  private seen = 0;
  private seedSum = 0;
  private v = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('period', period, 1);
    this.lookback = period - 1;
    this.k = 2 / (period + 1);
    this.decay = 1 - this.k;
  }

  update(x: number): number {
    if (this.ready) return (this.v = this.v * this.decay + x * this.k);
    this.seedSum += x;
    if (++this.seen < this.period) return Number.NaN;
    this.ready = true;
    return (this.v = this.seedSum / this.period);
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
    this.seedSum = 0;
    this.v = Number.NaN;
  }
}
