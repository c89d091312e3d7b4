import type { CandleIndicator } from './types.js';

/**
 * True range as TA-Lib's TRANGE: `max(high, prevClose) - min(low, prevClose)`, the candle's
 * range widened to include a gap from the previous close. The first candle has no previous
 * close, so the first value comes with the second candle (lookback 1), as in TA-Lib.
 *
 * The expression equals TA-Lib's `max(high - low, |prevClose - high|, |prevClose - low|)`
 * bit for bit whenever high ≥ low: both end in the same single subtraction.
 */
export class TrueRange implements CandleIndicator {
  readonly lookback = 1;
  private prevClose = 0;
  private ready = false;
  private seen = 0;
  private v = Number.NaN;

  update(high: number, low: number, close: number): number {
    const pc = this.prevClose;
    this.prevClose = close;
    if (!this.ready) {
      if (this.seen++ === 0) return Number.NaN;
      this.ready = true;
    }
    return (this.v = (high > pc ? high : pc) - (low < pc ? low : pc));
  }

  get value(): number | undefined {
    return this.ready ? this.v : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  reset(): void {
    this.prevClose = 0;
    this.ready = false;
    this.seen = 0;
    this.v = Number.NaN;
  }
}

/** The true range of one candle given the previous close, for callers without state. */
export function trueRange(high: number, low: number, prevClose: number): number {
  return (high > prevClose ? high : prevClose) - (low < prevClose ? low : prevClose);
}
