import { describe, expect, it } from 'vitest';
import { SupportResistance } from './support-resistance.js';

/** Feeds candles given as [high, low, close]. */
function feed(sr: SupportResistance, rows: Array<[number, number, number]>): void {
  for (const [h, l, c] of rows) sr.update(h, l, c);
}

describe('SupportResistance', () => {
  // Strength 2: a swing high tops the two highs on each side.
  //   index  0    1    2    3    4    5    6    7    8    9
  //   high   10   11   15   12   11   13   17   14   13   12
  //   low     9    8   10    9    7    9   12   11    8   10
  // Swing highs: 2 (15 > 10, 11 and ≥ 12, 11) and 6 (17). Swing lows: 4 (7), and 8 (8)
  // once index 10 has arrived, since a swing needs two candles after it.
  const rows: Array<[number, number, number]> = [
    [10, 9, 9.5],
    [11, 8, 10],
    [15, 10, 14],
    [12, 9, 11],
    [11, 7, 8],
    [13, 9, 12],
    [17, 12, 16],
    [14, 11, 13],
    [13, 8, 9],
    [12, 10, 11],
  ];

  it('finds swing highs and lows once `strength` candles have followed them', () => {
    const sr = new SupportResistance(20, 2);
    feed(sr, rows);
    expect(sr.highsInWindow()).toEqual([
      { index: 2, price: 15 },
      { index: 6, price: 17 },
    ]);
    expect(sr.lowsInWindow()).toEqual([{ index: 4, price: 7 }]);
    sr.update(12.5, 10.5, 12); // index 10 confirms index 8's low of 8
    expect(sr.lowsInWindow()).toEqual([
      { index: 4, price: 7 },
      { index: 8, price: 8 },
    ]);
  });

  it('reports the nearest levels around the last close once the window is full', () => {
    const sr = new SupportResistance(11, 2);
    feed(sr, rows);
    expect(sr.isReady).toBe(false);
    expect(sr.support).toBeUndefined();
    sr.update(12.5, 10.5, 12);
    expect(sr.isReady).toBe(true);
    // Close 12: swing highs 15 and 17 are above, the nearer is 15; lows 7 and 8 below: 8.
    expect(sr.value).toEqual({ support: 8, resistance: 15 });
  });

  it('has no resistance at a new high and no support at a new low', () => {
    const sr = new SupportResistance(11, 2);
    feed(sr, rows);
    sr.update(20, 18, 19.5); // also confirms index 8's low of 8
    expect(sr.resistance).toBeUndefined();
    expect(sr.support).toBe(8);
    sr.update(19, 5, 6);
    expect(sr.support).toBeUndefined();
  });

  it('takes the first of equal highs as the swing, and counts a level equal to the close', () => {
    // Highs 10, 12, 12, 10, 11, 11, 11 with strength 1: index 1 (12 > 10, 12 ≥ 12) is a swing
    // and index 2 is not (12 is not above 12); of the flat top 11, 11, 11 only index 4 is.
    const sr = new SupportResistance(7, 1);
    feed(sr, [
      [10, 9, 9.5],
      [12, 9, 11],
      [12, 9, 11],
      [10, 8, 9],
      [11, 9, 10],
      [11, 10, 10.5],
      [11, 10, 12],
    ]);
    expect(sr.highsInWindow().map((s) => s.index)).toEqual([1, 4]);
    expect(sr.resistance).toBe(12); // the close equals the level
  });

  it('forgets swings that leave the window', () => {
    const sr = new SupportResistance(5, 1);
    feed(sr, [
      [10, 9, 9.5],
      [20, 9, 15],
      [10, 9, 9.5],
      [10, 9, 9.5],
      [10, 9, 9.5],
    ]);
    expect(sr.resistance).toBe(20);
    sr.update(10, 9, 9.5); // the window is candles 1–5: the swing at 1 is still in
    expect(sr.resistance).toBe(20);
    sr.update(10, 9, 9.5);
    expect(sr.highsInWindow()).toEqual([]);
    expect(sr.resistance).toBeUndefined();
  });

  it('replays identically after reset', () => {
    const sr = new SupportResistance(11, 2);
    feed(sr, [...rows, [12.5, 10.5, 12]]);
    const first = sr.value;
    sr.reset();
    expect(sr.isReady).toBe(false);
    feed(sr, [...rows, [12.5, 10.5, 12]]);
    expect(sr.value).toEqual(first);
  });

  it('rejects a window too short to ever confirm a swing', () => {
    expect(() => new SupportResistance(4, 2)).toThrow(/window/);
  });
});
