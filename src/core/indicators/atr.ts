import { checkPeriod, type CandleIndicator } from './types.js';

/**
 * Average true range with Wilder's smoothing, as TA-Lib's ATR: true ranges start with the
 * second candle; the first ATR is their simple average over `period` candles, later ones
 * `atr = (atr * (period - 1) + tr) / period`. The first value comes after `period + 1`
 * candles (lookback `period`).
 *
 * The update is written `atr = atr * ((period - 1) / period) + tr / period`: one multiply-add
 * on the chain from one update to the next instead of TA-Lib's multiply, add and divide.
 * The smoothing shrinks rounding by `(period - 1) / period` per candle, so values stay within
 * a few units in the last place of TA-Lib's.
 *
 * (StockCharts' ATR counts the first candle's high - low as a true range, so it starts one
 * candle earlier from a slightly different seed; the difference fades by
 * `(period - 1) / period` per candle.)
 */
export class Atr implements CandleIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly decay: number;
  private readonly share: number;
  private ready = false;
  private seen = 0;
  private prevClose = 0;
  private v = 0;

  constructor(period = 14) {
    this.period = checkPeriod('period', period, 1);
    this.lookback = period;
    this.decay = (period - 1) / period;
    this.share = 1 / period;
  }

  update(high: number, low: number, close: number): number {
    const pc = this.prevClose;
    this.prevClose = close;
    const tr = (high > pc ? high : pc) - (low < pc ? low : pc);
    if (this.ready) return (this.v = this.v * this.decay + tr * this.share);
    if (this.seen++ === 0) return Number.NaN;
    this.v += tr;
    if (this.seen <= this.period) return Number.NaN;
    this.ready = true;
    return (this.v /= this.period);
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
    this.prevClose = 0;
    this.v = 0;
  }
}
