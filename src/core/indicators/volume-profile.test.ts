import { describe, expect, it } from 'vitest';
import { VolumeProfile } from './volume-profile.js';

describe('VolumeProfile', () => {
  it('finds the point of control and grows the value area to 70 % of the volume', () => {
    // Buckets of 1. Volumes by bucket: 98 → 5, 99 → 10, 100 → 40, 101 → 20, 102 → 15, 104 → 10
    // (total 100). From the POC (100, 40): above 20 > below 10, take 101 (60); then above 15 >
    // below 10, take 102 (75 ≥ 70): value area 100–103.
    const vp = new VolumeProfile(8, 1);
    const trades: Array<[number, number]> = [
      [98.5, 5],
      [99.2, 10],
      [100.1, 25],
      [100.9, 15],
      [101.5, 20],
      [102.4, 15],
      [104.0, 10],
      [100.5, 0],
    ];
    for (const [p, v] of trades) vp.update(p, v);
    expect(vp.value).toEqual({
      poc: 100.5,
      valueAreaLow: 100,
      valueAreaHigh: 103,
      valueAreaVolume: 75,
      totalVolume: 100,
    });
  });

  it('takes both neighbours on a tie, and the lowest bucket on a POC tie', () => {
    const vp = new VolumeProfile(4, 1);
    vp.update(10.5, 10);
    vp.update(11.5, 30);
    vp.update(12.5, 10);
    vp.update(13.5, 30);
    // POC: buckets 11 and 13 tie at 30, the lower wins. Then 10 and 12 tie at 10: both,
    // 50 of 80 < 56; then only 13 is left: 80.
    expect(vp.poc).toBe(11.5);
    expect([vp.valueAreaLow, vp.valueAreaHigh]).toEqual([10, 14]);
  });

  it('forgets updates that leave the window, and drops emptied buckets', () => {
    const vp = new VolumeProfile(2, 0.5);
    vp.update(100.2, 7);
    vp.update(100.7, 1);
    expect(vp.poc).toBe(100.25);
    vp.update(100.7, 1); // 100.2 leaves
    expect(vp.profile()).toEqual([{ low: 100.5, volume: 2 }]);
    expect(vp.poc).toBe(100.75);
  });

  it('puts a price printed on a bucket edge in the bucket it names', () => {
    const vp = new VolumeProfile(1, 0.1);
    vp.update(100.3, 1); // 100.3 / 0.1 is 1002.9999999999999 in binary
    expect(vp.valueAreaLow).toBeCloseTo(100.3, 12);
  });

  it('uses the typical price of a candle', () => {
    const vp = new VolumeProfile(1, 1);
    vp.updateCandle(12, 6, 9, 5); // (12 + 6 + 9) / 3 = 9
    expect(vp.poc).toBe(9.5);
  });

  it('has no value before the window fills or when nothing traded', () => {
    const vp = new VolumeProfile(3, 1);
    vp.update(10, 5);
    expect(vp.isReady).toBe(false);
    expect(vp.value).toBeUndefined();
    vp.reset();
    for (let i = 0; i < 3; i++) vp.update(10, 0);
    expect(vp.isReady).toBe(true);
    expect(vp.value).toBeUndefined();
  });

  it('rejects bad parameters and negative volume', () => {
    expect(() => new VolumeProfile(0, 1)).toThrow(/window/);
    expect(() => new VolumeProfile(10, 0)).toThrow(/bucketSize/);
    expect(() => new VolumeProfile(10, 1, 1.5)).toThrow(/valueAreaShare/);
    expect(() => new VolumeProfile(10, 1).update(10, -1)).toThrow(RangeError);
  });
});
