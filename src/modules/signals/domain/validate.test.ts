import { describe, expect, it } from 'vitest';
import { parseTime, validateSignal, type ValidationContext } from './validate.js';

const NOW = Date.UTC(2025, 0, 6, 12, 0, 0);
const ctx: ValidationContext = {
  now: NOW,
  timeframes: ['1m', '5m', '15m', '1h', '4h', '1d'],
  resolveSymbol(venue, symbol) {
    if (venue !== 'paper') return 'unknown_venue';
    const s = symbol.toUpperCase().replace('-', '/');
    const canon = s === 'BTCUSDT' ? 'BTC/USDT' : s;
    return ['BTC/USDT', 'ETH/USDT'].includes(canon) ? canon : 'unknown_instrument';
  },
  maxLagMs: (source) => (source === 'slow-bot' ? 300_000 : 60_000),
  maxFutureMs: 5000,
  maxPayloadBytes: 64,
};
const base = { symbol: 'BTC/USDT', direction: 'long', source: 'tv', sentAt: NOW - 1000 };
const check = (o: Record<string, unknown>) => validateSignal({ ...base, ...o }, ctx);
const errorsOf = (o: Record<string, unknown>) => {
  const r = check(o);
  if (r.ok) throw new Error('expected a refusal');
  return r.errors.map((e) => `${e.field} ${e.code}`);
};

describe('validateSignal', () => {
  it('accepts a minimal signal with the defaults filled in', () => {
    const r = check({});
    expect(r).toEqual({
      ok: true,
      value: {
        source: 'tv',
        venue: 'paper',
        symbol: 'BTC/USDT',
        direction: 'long',
        timeframe: null,
        entry: null,
        stop: null,
        takeProfit: null,
        strategy: null,
        profile: 'trend_follow_v1',
        sentAt: NOW - 1000,
        payload: null,
      },
    });
  });

  it('canonicalises the symbol and prices, and reads an ISO time with its zone', () => {
    const r = check({
      symbol: 'BTCUSDT',
      entry: '64000.50',
      stop: '63000',
      takeProfit: '066000.0',
      sentAt: '2025-01-06T13:59:30+02:00',
      timeframe: '15m',
      profile: 'full_v1',
      strategy: 'breakout',
      payload: { note: 'hi' },
    });
    expect(r.ok && r.value).toMatchObject({
      symbol: 'BTC/USDT',
      entry: '64000.5',
      stop: '63000',
      takeProfit: '66000',
      sentAt: NOW - 30_000,
      timeframe: '15m',
      profile: 'full_v1',
      payload: { note: 'hi' },
    });
  });

  it('reports every problem at once, each naming its field', () => {
    expect(
      errorsOf({
        symbol: undefined,
        direction: 'up',
        source: 'bad source!',
        entry: 'NaN',
        timeframe: '2m',
        profile: 'magic',
        sentAt: undefined,
      }),
    ).toEqual([
      '/source invalid_source',
      '/symbol required',
      '/direction invalid_direction',
      '/timeframe invalid_timeframe',
      '/profile invalid_profile',
      '/entry invalid_decimal',
      '/sentAt required',
    ]);
  });

  it('refuses unknown instruments and venues', () => {
    expect(errorsOf({ symbol: 'DOGE/USDT' })).toEqual(['/symbol unknown_instrument']);
    expect(errorsOf({ venue: 'kraken' })).toEqual(['/venue unknown_venue']);
    expect(errorsOf({ venue: 'Not A Venue' })).toEqual(['/venue invalid_venue']);
  });

  it('refuses prices that are not positive plain decimals, and numbers', () => {
    expect(errorsOf({ entry: '-5' })).toEqual(['/entry not_positive']);
    expect(errorsOf({ entry: '0' })).toEqual(['/entry not_positive']);
    expect(errorsOf({ entry: '1e400' })).toEqual(['/entry invalid_decimal']);
    expect(errorsOf({ entry: 'Infinity' })).toEqual(['/entry invalid_decimal']);
    expect(errorsOf({ entry: '1.0000000000000000001' })).toEqual(['/entry invalid_decimal']);
    expect(errorsOf({ entry: 64000 })).toEqual(['/entry not_a_string']);
    expect(errorsOf({ stop: Number.NaN })).toEqual(['/stop invalid_decimal']);
  });

  it('wants the stop below and the target above the entry of a long, mirrored for a short', () => {
    expect(errorsOf({ entry: '100', stop: '101' })).toEqual(['/stop stop_wrong_side']);
    expect(errorsOf({ entry: '100', stop: '100' })).toEqual(['/stop stop_wrong_side']);
    expect(errorsOf({ entry: '100', takeProfit: '99' })).toEqual([
      '/takeProfit take_profit_wrong_side',
    ]);
    expect(check({ direction: 'short', entry: '100', stop: '101', takeProfit: '90' }).ok).toBe(
      true,
    );
    expect(errorsOf({ direction: 'short', entry: '100', stop: '99' })).toEqual([
      '/stop stop_wrong_side',
    ]);
    // Without an entry, stop and target still must not cross.
    expect(errorsOf({ stop: '110', takeProfit: '100' })).toEqual(['/stop stop_wrong_side']);
    expect(errorsOf({ direction: 'close', stop: '90' })).toEqual(['/stop not_applicable']);
  });

  it("refuses a signal older than its source's limit, or sent from the future", () => {
    expect(errorsOf({ sentAt: NOW - 60_001 })).toEqual(['/sentAt stale_signal']);
    expect(check({ sentAt: NOW - 60_000 }).ok).toBe(true);
    expect(check({ source: 'slow-bot', sentAt: NOW - 200_000 }).ok).toBe(true);
    expect(errorsOf({ sentAt: NOW + 5001 })).toEqual(['/sentAt sent_in_future']);
    expect(check({ sentAt: NOW + 5000 }).ok).toBe(true);
    expect(errorsOf({ sentAt: 'yesterday' })).toEqual(['/sentAt invalid_time']);
    expect(errorsOf({ sentAt: '2025-01-06T12:00:00' })).toEqual(['/sentAt invalid_time']);
  });

  it('bounds the payload and wants an object', () => {
    expect(errorsOf({ payload: { text: 'x'.repeat(100) } })).toEqual([
      '/payload payload_too_large',
    ]);
    expect(errorsOf({ payload: [1, 2] })).toEqual(['/payload not_an_object']);
  });
});

describe('parseTime', () => {
  it('reads epoch ms and ISO-8601 with a zone only', () => {
    expect(parseTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseTime(1.5)).toBeUndefined();
    expect(parseTime('2024-03-01T12:00:00Z')).toBe(Date.UTC(2024, 2, 1, 12));
    expect(parseTime('2024-03-01T12:00:00.250Z')).toBe(Date.UTC(2024, 2, 1, 12, 0, 0, 250));
    expect(parseTime('2024-03-01T13:00:00+01:00')).toBe(Date.UTC(2024, 2, 1, 12));
    expect(parseTime('2024-03-01')).toBeUndefined();
  });
});
