import { describe, expect, it } from 'vitest';
import { Ema, Rsi } from '../../../core/indicators/index.js';
import { enrich, spreadInBps, type Bar, type EnrichmentInput } from './enrich.js';

const M15 = 15 * 60_000;
const START = Date.UTC(2025, 0, 6, 0, 0);

/** `n` consecutive 15-minute candles of a gentle zig-zag up-trend, ending at `end`. */
function bars(n: number, end = START + 200 * M15): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const openTime = end - (n - i) * M15;
    const close = 100 + i * 0.5 + (i % 3 === 0 ? 1 : -0.5);
    return {
      openTime,
      closeTime: openTime + M15 - 1,
      open: close - 0.25,
      high: close + 1,
      low: close - 1,
      close,
      volume: 10 + (i % 7),
    };
  });
}

const book = { bid: '199.9', ask: '200.1', bidSize: '3', askSize: '1', ts: 0 };
function input(o: Partial<EnrichmentInput> = {}): EnrichmentInput {
  const candles = o.candles ?? bars(120);
  const now = (candles.at(-1)?.closeTime ?? START) + 1 + 1000;
  return {
    profile: 'trend_follow_v1',
    timeframe: '15m',
    timeframeMs: M15,
    now,
    candles,
    lastTrade: { price: '200.05', ts: now - 500 },
    book: { ...book, ts: now - 200 },
    thresholds: { staleMs: 60_000, wideSpreadBps: 50 },
    ...o,
  };
}

describe('enrich', () => {
  it('computes the trend features from the closes, as the indicators do, with no flags', () => {
    const i = input();
    const r = enrich(i);
    expect(r.quality).toEqual([]);
    const closes = i.candles.map((c) => c.close);
    const ema9 = new Ema(9);
    const rsi = new Rsi(14);
    for (const c of closes) {
      ema9.update(c);
      rsi.update(c);
    }
    expect(r.features.ema9).toBe(ema9.value);
    expect(r.features.rsi14).toBe(rsi.value);
    expect(Object.keys(r.features).sort()).toEqual(
      ['atr14', 'ema21', 'ema50', 'ema9', 'macd', 'rsi14'].sort(),
    );
    expect(r.features.ema9!).toBeGreaterThan(r.features.ema50!); // an up-trend
    expect(r.market).toEqual({
      lastPrice: '200.05',
      bid: '199.9',
      ask: '200.1',
      spreadBps: 10,
      timeframe: '15m',
      candles: 120,
      lastCandleAt: i.candles.at(-1)!.closeTime,
      asOf: i.now - 200,
    });
  });

  it('flags thin data instead of failing', () => {
    const r = enrich(input({ candles: bars(30), book: undefined }));
    expect(r.quality).toEqual(['insufficient_history', 'no_book']);
    // What 30 candles allow is still computed; EMA 50 and MACD are not.
    expect(r.features.ema21).toBeDefined();
    expect(r.features.ema50).toBeUndefined();
    expect(r.features.macd).toBeUndefined();
    const empty = enrich(input({ candles: [], book: undefined, lastTrade: undefined }));
    expect(empty.quality).toEqual(['stale_data', 'insufficient_history', 'no_book']);
    expect(empty.features).toEqual({});
    expect(empty.market.asOf).toBeNull();
  });

  it('flags gaps between candles and a series that stops before now', () => {
    const withHole = bars(120).filter((_, i) => i !== 60);
    expect(enrich(input({ candles: withHole })).quality).toEqual(['missing_candles']);
    const candles = bars(120);
    const end = candles.at(-1)!.closeTime + 1;
    // Ten seconds into the next period the last candle may still be on its way…
    expect(enrich(input({ candles, now: end + M15 + 9000 })).quality).not.toContain(
      'missing_candles',
    );
    // …but not one period later.
    expect(enrich(input({ candles, now: end + M15 + 11_000 })).quality).toContain(
      'missing_candles',
    );
  });

  it('flags stale data and a wide spread', () => {
    const i = input();
    const stale = enrich({
      ...i,
      now: i.now + 120_000,
      candles: i.candles,
      lastTrade: { price: '200', ts: i.now - 70_000 },
      book: { ...book, ts: i.now - 70_000 },
    });
    expect(stale.quality).toContain('stale_data');
    const wide = enrich(input({ book: { ...book, bid: '190', ask: '210', ts: i.now } }));
    expect(wide.quality).toEqual(['wide_spread']);
    expect(wide.market.spreadBps).toBe(1000);
  });

  it('adds perpetual data when the source has it, and says so when it does not', () => {
    expect(enrich(input({ profile: 'crypto_perps_v1' })).quality).toEqual([
      'perp_data_unavailable',
    ]);
    const r = enrich(input({ profile: 'crypto_perps_v1', perp: { fundingRate: 0.0001 } }));
    expect(r.quality).toEqual([]);
    expect(r.features.fundingRate).toBe(0.0001);
  });

  it('computes bands, levels, book imbalance and volume profile for full_v1', () => {
    const r = enrich(input({ profile: 'full_v1' }));
    const f = r.features;
    expect(f.bollinger!.upper).toBeGreaterThan(f.bollinger!.middle);
    expect(f.bollinger!.middle).toBeGreaterThan(f.bollinger!.lower);
    expect(f.bookImbalance).toBe(0.5); // (3 − 1) / (3 + 1)
    const close = input().candles.at(-1)!.close;
    expect(f.support!.every((p) => p <= close)).toBe(true);
    expect(f.resistance!.every((p) => p >= close)).toBe(true);
    expect(f.volumeProfile!.valueAreaLow).toBeLessThanOrEqual(f.volumeProfile!.poc);
    expect(f.volumeProfile!.valueAreaHigh).toBeGreaterThanOrEqual(f.volumeProfile!.poc);
  });
});

describe('spreadInBps', () => {
  it('is (ask − bid) / mid in basis points, null for a crossed or empty quote', () => {
    // 0.2 / 200 × 10,000 = 10
    expect(spreadInBps('199.9', '200.1')).toBe(10);
    expect(spreadInBps('200.1', '199.9')).toBeNull();
    expect(spreadInBps('0', '1')).toBeNull();
  });
});
