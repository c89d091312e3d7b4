import { checkPeriod, type ScalarIndicator } from './types.js';
import { WINDOWS_BETWEEN_RESYNCS, SHRINK_BEFORE_RESYNC } from './window.js';

/**
 * Simple moving average over the last `period` inputs (lookback `period - 1`), kept as a
 * running sum over a ring buffer, adding and removing in TA-Lib's order, so that values agree
 * with TA-Lib's SMA bit for bit up to the first recomputation below, and to the last unit or
 * so after it.
 *
 * A running sum remembers the rounding of every value that passed through it. After a bad
 * tick a million times the price has left the window, the sum still carries its rounding
 * error, about 1e-16 of the tick, forever; so the sum is recomputed from the window when it
 * has shrunk a thousandfold since the last check, and every 1,024 windows regardless.
 */
export class Sma implements ScalarIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private head = 0;
  private ready = false;
  private seen = 0;
  private sum = 0;
  private peak = 0;
  private windows = 0;
  private v = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('period', period, 1);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
  }

  update(x: number): number {
    const buf = this.buf;
    let h = this.head;
    buf[h] = x;
    h = h + 1 === this.period ? 0 : h + 1;
    this.head = h;
    const sum = this.sum + x;
    if (!this.ready) {
      if (++this.seen < this.period) {
        this.sum = sum;
        return Number.NaN;
      }
      this.ready = true;
    }
    this.v = sum / this.period;
    // The oldest input leaves now, so the sum holds the newest period - 1 before the next.
    this.sum = sum - buf[h]!;
    const a = Math.abs(sum);
    if (a > this.peak) this.peak = a;
    if (h === 0) this.checkDrift();
    return this.v;
  }

  get value(): number | undefined {
    return this.ready ? this.v : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.ready = false;
    this.seen = 0;
    this.sum = 0;
    this.peak = 0;
    this.windows = 0;
    this.v = Number.NaN;
  }

  private checkDrift(): void {
    if (
      ++this.windows < WINDOWS_BETWEEN_RESYNCS &&
      this.peak <= SHRINK_BEFORE_RESYNC * Math.abs(this.sum)
    )
      return;
    // Head is 0 here, so buf[0] is the oldest input and has already left the sum.
    let s = 0;
    for (let i = 1; i < this.period; i++) s += this.buf[i]!;
    this.sum = s;
    this.windows = 0;
    this.peak = Math.abs(s);
  }
}
