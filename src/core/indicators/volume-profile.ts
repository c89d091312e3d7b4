import { validationError } from '../errors.js';
import { checkFinite, checkPeriod, type Indicator } from './types.js';

export interface VolumeProfileValue {
  /** Point of control: the middle of the bucket that traded the most volume. */
  readonly poc: number;
  /** Lower edge of the lowest bucket in the value area. */
  readonly valueAreaLow: number;
  /** Upper edge of the highest bucket in the value area. */
  readonly valueAreaHigh: number;
  /** Volume in the value area, at least `valueAreaShare` of the total. */
  readonly valueAreaVolume: number;
  readonly totalVolume: number;
}

export interface VolumeBucket {
  /** Lower edge; the bucket covers [low, low + bucketSize). */
  readonly low: number;
  readonly volume: number;
}

/**
 * Volume traded per price bucket over the last `window` updates (candles or trades).
 *
 * Definition: bucket `b` covers prices [b · bucketSize, (b + 1) · bucketSize). Each update
 * puts its whole volume in the bucket of its price; for candles `updateCandle` uses the
 * typical price (high + low + close) / 3 rather than spreading volume over the candle's
 * range, which keeps updates O(1) and, over a window of many candles, gives the same shape.
 *
 * The point of control (POC) is the bucket with the most volume; on a tie, the lowest. The
 * value area grows from the POC one bucket at a time, taking whichever neighbouring
 * non-empty bucket (next above or next below) holds more volume, both on a tie, until it
 * holds at least `valueAreaShare` (70 % by default) of the window's volume: the usual market
 * profile rule, with single rather than paired rows.
 *
 * Cost: `update` is O(1) (a map update and a ring buffer). Reading `value` sorts the
 * non-empty buckets, O(B log B) for B buckets, and is cached until the next update. Values
 * are `undefined` until `window` updates were seen (lookback `window - 1`) or while the
 * window traded no volume.
 */
export class VolumeProfile implements Indicator {
  readonly window: number;
  readonly bucketSize: number;
  readonly valueAreaShare: number;
  readonly lookback: number;
  private readonly buckets = new Map<number, { volume: number; count: number }>();
  private readonly ringBucket: Float64Array;
  private readonly ringVolume: Float64Array;
  private seen = 0;
  private cached: VolumeProfileValue | undefined | null = null;

  constructor(window: number, bucketSize: number, valueAreaShare = 0.7) {
    this.window = checkPeriod('window', window, 1);
    this.bucketSize = checkFinite('bucketSize', bucketSize, 0);
    if (bucketSize === 0)
      throw validationError('bucketSize', 'must be > 0', 'invalid_indicator_parameter');
    this.valueAreaShare = checkFinite('valueAreaShare', valueAreaShare, 0);
    if (valueAreaShare > 1)
      throw validationError('valueAreaShare', 'must be ≤ 1', 'invalid_indicator_parameter');
    this.lookback = window - 1;
    this.ringBucket = new Float64Array(window);
    this.ringVolume = new Float64Array(window);
  }

  update(price: number, volume: number): void {
    if (!(volume >= 0)) throw new RangeError(`volume must be ≥ 0, got ${volume}`);
    // The small nudge puts a price printed on a bucket edge (100.3 with 0.1 buckets, which
    // divides to 1002.9999999999999) in the bucket it names.
    const b = Math.floor(price / this.bucketSize + 1e-9);
    const at = this.seen % this.window;
    if (this.seen >= this.window) this.remove(this.ringBucket[at]!, this.ringVolume[at]!);
    this.ringBucket[at] = b;
    this.ringVolume[at] = volume;
    const e = this.buckets.get(b);
    if (e) {
      e.volume += volume;
      e.count++;
    } else this.buckets.set(b, { volume, count: 1 });
    this.seen++;
    this.cached = null;
  }

  updateCandle(high: number, low: number, close: number, volume: number): void {
    this.update((high + low + close) / 3, volume);
  }

  get value(): VolumeProfileValue | undefined {
    if (this.cached === null) this.cached = this.compute();
    return this.cached;
  }

  get poc(): number | undefined {
    return this.value?.poc;
  }

  get valueAreaLow(): number | undefined {
    return this.value?.valueAreaLow;
  }

  get valueAreaHigh(): number | undefined {
    return this.value?.valueAreaHigh;
  }

  /** Non-empty buckets of the current window, lowest price first. */
  profile(): VolumeBucket[] {
    return [...this.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, e]) => ({ low: b * this.bucketSize, volume: e.volume }));
  }

  get isReady(): boolean {
    return this.seen >= this.window;
  }

  reset(): void {
    this.buckets.clear();
    this.seen = 0;
    this.cached = null;
  }

  private remove(b: number, volume: number): void {
    const e = this.buckets.get(b)!;
    // Dropping an emptied bucket also drops the rounding left by adding and removing.
    if (--e.count === 0) this.buckets.delete(b);
    else e.volume -= volume;
  }

  private compute(): VolumeProfileValue | undefined {
    if (!this.isReady) return undefined;
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const vols = keys.map((k) => this.buckets.get(k)!.volume);
    let total = 0;
    let p = 0;
    for (let i = 0; i < vols.length; i++) {
      total += vols[i]!;
      if (vols[i]! > vols[p]!) p = i;
    }
    if (!(total > 0)) return undefined;
    const target = this.valueAreaShare * total;
    let lo = p;
    let hi = p;
    let acc = vols[p]!;
    while (acc < target && (lo > 0 || hi < keys.length - 1)) {
      const below = lo > 0 ? vols[lo - 1]! : -1;
      const above = hi < keys.length - 1 ? vols[hi + 1]! : -1;
      if (below >= above) acc += vols[--lo]!;
      if (above >= below) acc += vols[++hi]!;
    }
    const s = this.bucketSize;
    return {
      poc: (keys[p]! + 0.5) * s,
      valueAreaLow: keys[lo]! * s,
      valueAreaHigh: (keys[hi]! + 1) * s,
      valueAreaVolume: acc,
      totalVolume: total,
    };
  }
}
