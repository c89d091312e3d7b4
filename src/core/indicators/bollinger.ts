import { checkFinite, checkPeriod, type Indicator } from './types.js';

export interface BollingerValue {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
}

/**
 * Bollinger Bands as TA-Lib's BBANDS with the simple moving average: middle = SMA(period),
 * upper/lower = middle ± k · σ, where σ is the population standard deviation of the same
 * `period` inputs. Lookback `period - 1`.
 *
 * Numerics (measured errors in README.md): TA-Lib computes the variance as Σx²/n − mean²
 * from a running Σx², subtracting numbers of the size of price², so in flat or nearly flat
 * windows its bands drift up to 1e-6 of the price over a million candles; these stay within
 * about 1e-15 of the exact bands.
 * Here the mean and the sum of squared deviations follow a sliding-window Welford update,
 * and both are kept relative to a shift `c`, one of the window's own prices, so that every
 * rounding is relative to how far prices move within a window, not to the price itself. At
 * each window boundary (every `period` updates) the shift moves to the newest price and both
 * sums are recomputed exactly from the ring buffer, which bounds any drift to one window's
 * worth of updates and costs two passes per window, O(1) amortised. A window of equal
 * prices (an illiquid market) is recognised by counting repeats and reads σ = 0 exactly.
 *
 * TA-Lib reports σ = 0 whenever the variance is below 1e-14 in absolute terms, which for an
 * asset priced around 1e-5 is most windows; here only a variance that rounds to ≤ 0 does.
 */
export class BollingerBands implements Indicator {
  readonly period: number;
  readonly kUp: number;
  readonly kDown: number;
  readonly lookback: number;
  private readonly invN: number;
  private readonly buf: Float64Array;
  private head = 0;
  private ready = false;
  private seen = 0;
  /** The shift: a price from the window; `mean` and `m2` are relative to it. */
  private c = 0;
  private mean = 0;
  private m2 = 0;
  /** The last input and how many inputs in a row have equalled it. */
  private last = Number.NaN;
  private run = 0;
  private up = Number.NaN;
  private mid = Number.NaN;
  private lo = Number.NaN;

  constructor(period = 20, kUp = 2, kDown = kUp) {
    this.period = checkPeriod('period', period, 2);
    this.kUp = checkFinite('kUp', kUp);
    this.kDown = checkFinite('kDown', kDown);
    this.lookback = period - 1;
    this.invN = 1 / period;
    this.buf = new Float64Array(period);
  }

  /** Consumes one input; read `upper`, `middle` and `lower` (or `value`) afterwards. */
  update(x: number): void {
    const buf = this.buf;
    const h = this.head;
    const next = h + 1 === this.period ? 0 : h + 1;
    this.head = next;
    if (this.ready) {
      const dOld = buf[h]! - this.c;
      const dNew = x - this.c;
      buf[h] = x;
      const m0 = this.mean;
      const m1 = m0 + (dNew - dOld) * this.invN;
      this.mean = m1;
      this.m2 += (dNew - dOld) * (dNew - m1 + (dOld - m0));
      if (x !== this.last) {
        this.last = x;
        this.run = 1;
      } else if (++this.run >= this.period) {
        // A flat window: σ is exactly 0, not the rounding left by the updates that led here.
        this.mean = dNew;
        this.m2 = 0;
      }
      if (next === 0) this.resync(x);
    } else {
      buf[h] = x;
      if (this.seen === 0) this.c = x;
      if (x !== this.last) {
        this.last = x;
        this.run = 1;
      } else this.run++;
      const n = ++this.seen;
      const d = x - this.c - this.mean;
      this.mean += d / n;
      this.m2 += d * (x - this.c - this.mean);
      if (n < this.period) return;
      this.ready = true;
      this.resync(x);
    }
    const v = this.m2 * this.invN;
    const sd = v > 0 ? Math.sqrt(v) : 0;
    const mid = this.c + this.mean;
    this.mid = mid;
    this.up = mid + sd * this.kUp;
    this.lo = mid - sd * this.kDown;
  }

  /** Middle + kUp · σ, NaN until ready. */
  get upper(): number {
    return this.ready ? this.up : Number.NaN;
  }

  /** The simple moving average, NaN until ready. */
  get middle(): number {
    return this.ready ? this.mid : Number.NaN;
  }

  /** Middle − kDown · σ, NaN until ready. */
  get lower(): number {
    return this.ready ? this.lo : Number.NaN;
  }

  /** Population standard deviation of the window (σ), NaN until ready. */
  get stdDev(): number {
    if (!this.ready) return Number.NaN;
    const v = this.m2 * this.invN;
    return v > 0 ? Math.sqrt(v) : 0;
  }

  /**
   * All three bands, or `undefined` until ready. A fresh object per read: per-update loops
   * should read the numeric getters, which allocate nothing.
   */
  get value(): BollingerValue | undefined {
    return this.ready ? { upper: this.up, middle: this.mid, lower: this.lo } : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.ready = false;
    this.seen = 0;
    this.c = 0;
    this.mean = 0;
    this.m2 = 0;
    this.last = Number.NaN;
    this.run = 0;
    this.up = this.mid = this.lo = Number.NaN;
  }

  /** Exact two-pass recomputation around the newest price `c`; flat windows give exactly 0. */
  private resync(c: number): void {
    const buf = this.buf;
    const n = this.period;
    let s = 0;
    for (let i = 0; i < n; i++) s += buf[i]! - c;
    const mean = s / n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const d = buf[i]! - c - mean;
      m2 += d * d;
    }
    this.c = c;
    this.mean = mean;
    this.m2 = m2;
  }
}
