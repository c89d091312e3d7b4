import { describe, expect, it } from 'vitest';
import { Decimal } from '../../core/decimal.js';
import { joinCandles, partialsBefore } from './carry.js';
import type { Candle } from './domain/types.js';
import { T0 } from './market.fixtures.js';

const d = Decimal.parse;
const MINUTE = 60_000;
const minute = (m: number, o: string, h: string, l: string, c: string, v: string): Candle => ({
  venue: 'paper',
  symbol: 'BTC/USDT',
  timeframe: '1m',
  openTime: T0 + m * MINUTE,
  closeTime: T0 + (m + 1) * MINUTE - 1,
  open: d(o),
  high: d(h),
  low: d(l),
  close: d(c),
  volume: d(v),
  quoteVolume: d(v).mul(d(c)),
  trades: v === '0' ? 0 : 1,
  closed: true,
});
const text = (c: Candle) =>
  [c.open, c.high, c.low, c.close, c.volume, c.trades].map(String).join(' ');

describe('candles spanning a restart', () => {
  // Stored before the restart at 00:07: minutes 0–6, minute 3 without trades.
  const stored = [
    minute(0, '100', '104', '99', '103', '1'),
    minute(1, '103', '103', '101', '102', '2'),
    minute(2, '102', '108', '102', '107', '1'),
    minute(3, '107', '107', '107', '107', '0'),
    minute(4, '106', '106', '95', '96', '3'),
    minute(5, '96', '97', '96', '97', '1'),
    minute(6, '97', '98', '97', '98', '1'),
  ];

  it('folds the stored minutes of each running period into its earlier part', () => {
    const parts = partialsBefore(stored, T0 + 7 * MINUTE);
    expect(parts.map((c) => c.timeframe)).toEqual(['5m', '15m', '1h', '4h', '1d']);
    // 5m period 00:05–00:10: minutes 5 and 6 only.
    expect(text(parts[0]!)).toBe('96 98 96 98 2 2');
    // 15m and longer: all seven minutes; the empty minute adds nothing.
    expect(text(parts[1]!)).toBe('100 108 95 98 9 6');
    expect(parts[1]!.quoteVolume.toString()).toBe(
      stored.reduce((a, c) => a.add(c.quoteVolume), Decimal.ZERO).toString(),
    );
    // A restart on a period boundary leaves nothing to carry for that timeframe.
    expect(partialsBefore(stored, T0 + 5 * MINUTE).map((c) => c.timeframe)).not.toContain('5m');
  });

  it('joins the earlier part to what is built after the restart', () => {
    const [, quarter] = partialsBefore(stored, T0 + 7 * MINUTE);
    const after: Candle = {
      ...quarter!,
      open: d('98.5'),
      high: d('110'),
      low: d('98'),
      close: d('99'),
      volume: d('4'),
      quoteVolume: d('396'),
      trades: 5,
      closed: true,
    };
    // Open from before, the extremes of both, close from after, sums of both.
    expect(text(joinCandles(quarter!, after))).toBe('100 110 95 99 13 11');
    expect(joinCandles(quarter!, after).closed).toBe(true);
    const untraded = {
      ...after,
      open: d('98'),
      high: d('98'),
      low: d('98'),
      close: d('98'),
      volume: d('0'),
      quoteVolume: d('0'),
      trades: 0,
    };
    expect(text(joinCandles(quarter!, untraded))).toBe('100 108 95 98 9 6');
  });
});
