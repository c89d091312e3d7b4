import { checkPeriod, type Indicator } from './types.js';

/** A confirmed swing: the candle's sequence number since the last reset, and its level. */
export interface Swing {
  readonly index: number;
  readonly price: number;
}

export interface SupportResistanceValue {
  /** Highest swing low at or below the last close, if any is in the window. */
  readonly support: number | undefined;
  /** Lowest swing high at or above the last close, if any is in the window. */
  readonly resistance: number | undefined;
}

/**
 * Support and resistance from recent swing highs and lows (fractals).
 *
 * Definition: candle `j` is a swing high when its high is strictly above the highs of the
 * `strength` candles before it and at least the highs of the `strength` candles after it
 * (so a flat top of equal highs yields one swing, its first candle); a swing low mirrors
 * this with lows. A swing is known only `strength` candles after it, and counts while it is
 * among the last `window` candles. Resistance is the lowest swing high at or above the last
 * close, support the highest swing low at or below it: the nearest levels price would meet.
 * Both are `undefined` until `window` candles were seen (lookback `window - 1`), and when
 * no swing lies on that side (price at a new high has no resistance).
 *
 * Cost: `update` is O(strength) for the pivot test plus O(1) amortised for expiring swings.
 * Reading support or resistance scans the swings in the window, at most
 * `window / (strength + 1)` of each kind, since two swing highs are more than `strength`
 * candles apart.
 */
export class SupportResistance implements Indicator {
  readonly window: number;
  readonly strength: number;
  readonly lookback: number;
  private readonly span: number;
  private readonly highs: Float64Array;
  private readonly lows: Float64Array;
  private readonly swingHighs: SwingRing;
  private readonly swingLows: SwingRing;
  private seen = 0;
  private close = Number.NaN;

  constructor(window = 50, strength = 2) {
    this.strength = checkPeriod('strength', strength, 1);
    this.window = checkPeriod('window', window, 2 * strength + 1);
    this.lookback = window - 1;
    this.span = 2 * strength + 1;
    this.highs = new Float64Array(this.span);
    this.lows = new Float64Array(this.span);
    const capacity = Math.floor((window - 1) / (strength + 1)) + 1;
    this.swingHighs = new SwingRing(capacity);
    this.swingLows = new SwingRing(capacity);
  }

  update(high: number, low: number, close: number): void {
    const i = this.seen++;
    const span = this.span;
    this.highs[i % span] = high;
    this.lows[i % span] = low;
    this.close = close;
    const oldest = i - this.window + 1;
    this.swingHighs.expire(oldest);
    this.swingLows.expire(oldest);
    if (i + 1 < span) return;
    const j = i - this.strength;
    const h = this.highs[j % span]!;
    const l = this.lows[j % span]!;
    let isHigh = true;
    let isLow = true;
    for (let k = i - span + 1; k <= i && (isHigh || isLow); k++) {
      if (k === j) continue;
      const hk = this.highs[k % span]!;
      const lk = this.lows[k % span]!;
      if (k < j ? hk >= h : hk > h) isHigh = false;
      if (k < j ? lk <= l : lk < l) isLow = false;
    }
    if (isHigh) this.swingHighs.push(j, h);
    if (isLow) this.swingLows.push(j, l);
  }

  get resistance(): number | undefined {
    return this.isReady ? this.swingHighs.nearestAtOrAbove(this.close) : undefined;
  }

  get support(): number | undefined {
    return this.isReady ? this.swingLows.nearestAtOrBelow(this.close) : undefined;
  }

  get value(): SupportResistanceValue | undefined {
    return this.isReady ? { support: this.support, resistance: this.resistance } : undefined;
  }

  /** Swing highs in the window, oldest first. */
  highsInWindow(): Swing[] {
    return this.swingHighs.toArray();
  }

  /** Swing lows in the window, oldest first. */
  lowsInWindow(): Swing[] {
    return this.swingLows.toArray();
  }

  get isReady(): boolean {
    return this.seen >= this.window;
  }

  reset(): void {
    this.seen = 0;
    this.close = Number.NaN;
    this.swingHighs.clear();
    this.swingLows.clear();
  }
}

/** Swings in index order in a fixed-size ring; the window bounds how many can be live. */
class SwingRing {
  private readonly index: Float64Array;
  private readonly price: Float64Array;
  private head = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.index = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
  }

  push(index: number, price: number): void {
    const at = (this.head + this.size) % this.capacity;
    this.index[at] = index;
    this.price[at] = price;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  expire(oldest: number): void {
    while (this.size > 0 && this.index[this.head]! < oldest) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
  }

  nearestAtOrAbove(x: number): number | undefined {
    let best = Infinity;
    for (let n = 0, at = this.head; n < this.size; n++, at = (at + 1) % this.capacity) {
      const p = this.price[at]!;
      if (p >= x && p < best) best = p;
    }
    return best === Infinity ? undefined : best;
  }

  nearestAtOrBelow(x: number): number | undefined {
    let best = -Infinity;
    for (let n = 0, at = this.head; n < this.size; n++, at = (at + 1) % this.capacity) {
      const p = this.price[at]!;
      if (p <= x && p > best) best = p;
    }
    return best === -Infinity ? undefined : best;
  }

  toArray(): Swing[] {
    const out: Swing[] = [];
    for (let n = 0, at = this.head; n < this.size; n++, at = (at + 1) % this.capacity)
      out.push({ index: this.index[at]!, price: this.price[at]! });
    return out;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
