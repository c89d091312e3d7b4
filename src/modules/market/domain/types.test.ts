import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.js';
import { AppError } from '../../../core/errors.js';
import {
  candleEvent,
  isTimeframe,
  parseTimeframe,
  periodStart,
  TIMEFRAME_MS,
  timeframeOfLength,
  type Candle,
} from './types.js';

describe('timeframes', () => {
  it('knows the length of every timeframe', () => {
    expect(TIMEFRAME_MS).toEqual({
      '1m': 60_000,
      '5m': 300_000,
      '15m': 900_000,
      '1h': 3_600_000,
      '4h': 14_400_000,
      '1d': 86_400_000,
    });
    expect(timeframeOfLength(14_400_000)).toBe('4h');
    expect(timeframeOfLength(1000)).toBeUndefined();
  });

  it('parses user input and names the field when it cannot', () => {
    expect(parseTimeframe(' 15m ')).toBe('15m');
    expect(isTimeframe('1M')).toBe(false);
    const err = (() => {
      try {
        parseTimeframe('1w', 'query/timeframe');
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect([err!.code, err!.fields[0]!.field]).toEqual(['invalid_timeframe', 'query/timeframe']);
  });

  it('aligns periods to UTC epoch multiples, days to midnight UTC', () => {
    const ts = Date.UTC(2026, 6, 4, 13, 47, 12, 345);
    expect(new Date(periodStart('15m', ts)).toISOString()).toBe('2026-07-04T13:45:00.000Z');
    expect(new Date(periodStart('4h', ts)).toISOString()).toBe('2026-07-04T12:00:00.000Z');
    expect(new Date(periodStart('1d', ts)).toISOString()).toBe('2026-07-04T00:00:00.000Z');
    expect(periodStart('1m', Date.UTC(2026, 0, 1))).toBe(Date.UTC(2026, 0, 1));
  });

  it('stamps a closed candle event at the end of its period', () => {
    const c: Candle = {
      venue: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      openTime: 60_000,
      closeTime: 119_999,
      open: dec('1'),
      high: dec('1'),
      low: dec('1'),
      close: dec('1'),
      volume: dec('0'),
      quoteVolume: dec('0'),
      trades: 0,
      closed: true,
    };
    expect(candleEvent(c)).toMatchObject({ kind: 'candle', ts: 120_000, openTime: 60_000 });
  });
});
