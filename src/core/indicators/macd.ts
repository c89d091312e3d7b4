import { checkPeriod, type Indicator } from './types.js';

export interface MacdValue {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

/**
 * MACD as TA-Lib defines it, which differs from the textbook one in where the fast EMA
 * starts: TA-Lib seeds both EMAs with simple averages that end on the same input (where the
 * slow EMA's first value falls), so the fast EMA ignores the first `slow - fast` inputs. The signal line is
 * an EMA of the MACD line seeded with the average of its first `signal` values. All three
 * outputs appear together after `slow + signal - 1` inputs (lookback `slow + signal - 2`,
 * 33 for 12/26/9). A fast period larger than the slow one is swapped, as TA-Lib does.
 *
 * The EMAs are written out here rather than composed from `Ema`, so that one update is one
 * call with its state in one object, and in `Ema`'s form (`ema * (1 - k) + x * k`, see there),
 * which keeps values within a few units in the last place of TA-Lib's.
 */
export class Macd implements Indicator {
  readonly fast: number;
  readonly slow: number;
  readonly signalPeriod: number;
  readonly lookback: number;
  private readonly kFast: number;
  private readonly kSlow: number;
  private readonly kSignal: number;
  private readonly dFast: number;
  private readonly dSlow: number;
  private readonly dSignal: number;
  /** Input index at which the fast EMA starts accumulating its seed. */
  private readonly fastStart: number;
  private ready = false;
  private seen = 0;
  private fastEma = 0;
  private slowEma = 0;
  private signalEma = 0;
  private m = Number.NaN;
  private h = Number.NaN;

  constructor(fast = 12, slow = 26, signal = 9) {
    checkPeriod('fast', fast, 2);
    checkPeriod('slow', slow, 2);
    if (slow < fast) [fast, slow] = [slow, fast];
    this.fast = fast;
    this.slow = slow;
    this.signalPeriod = checkPeriod('signal', signal, 1);
    this.lookback = slow + signal - 2;
    this.kFast = 2 / (fast + 1);
    this.kSlow = 2 / (slow + 1);
    this.kSignal = 2 / (signal + 1);
    this.dFast = 1 - this.kFast;
    this.dSlow = 1 - this.kSlow;
    this.dSignal = 1 - this.kSignal;
    this.fastStart = slow - fast;
  }

  /** Consumes one input; read `macd`, `signal` and `histogram` (or `value`) afterwards. */
  update(x: number): void {
    if (this.ready) {
      const f = (this.fastEma = this.fastEma * this.dFast + x * this.kFast);
      const s = (this.slowEma = this.slowEma * this.dSlow + x * this.kSlow);
      const m = (this.m = f - s);
      const sig = (this.signalEma = this.signalEma * this.dSignal + m * this.kSignal);
      this.h = m - sig;
      return;
    }
    this.warmUp(this.seen++, x);
  }

  private warmUp(i: number, x: number): void {
    const slow1 = this.slow - 1;
    if (i < slow1) {
      this.slowEma += x;
      if (i >= this.fastStart) this.fastEma += x;
      return;
    }
    let m: number;
    if (i === slow1) {
      this.slowEma = (this.slowEma + x) / this.slow;
      this.fastEma = (this.fastEma + x) / this.fast;
      m = this.fastEma - this.slowEma;
      this.signalEma = m;
    } else {
      this.fastEma = this.fastEma * this.dFast + x * this.kFast;
      this.slowEma = this.slowEma * this.dSlow + x * this.kSlow;
      m = this.fastEma - this.slowEma;
      this.signalEma += m;
    }
    if (i === this.lookback) {
      this.signalEma /= this.signalPeriod;
      this.m = m;
      this.h = m - this.signalEma;
      this.ready = true;
    }
  }

  /** The MACD line (fast EMA − slow EMA), NaN until ready. */
  get macd(): number {
    return this.ready ? this.m : Number.NaN;
  }

  /** The signal line, NaN until ready. */
  get signal(): number {
    return this.ready ? this.signalEma : Number.NaN;
  }

  /** MACD line − signal line, NaN until ready. */
  get histogram(): number {
    return this.ready ? this.h : Number.NaN;
  }

  /**
   * All three, or `undefined` until ready. A fresh object per read: per-update loops should
   * read the numeric getters, which allocate nothing.
   */
  get value(): MacdValue | undefined {
    return this.ready ? { macd: this.m, signal: this.signalEma, histogram: this.h } : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  reset(): void {
    this.ready = false;
    this.seen = 0;
    this.fastEma = 0;
    this.slowEma = 0;
    this.signalEma = 0;
    this.m = Number.NaN;
    this.h = Number.NaN;
  }
}
