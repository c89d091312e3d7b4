/**
 * Hand-built enriched signals for the quant models' tests. The default is a BTC/USDT long on
 * 1h with the last trade at 50000, ATR 250 and a clean uptrend: EMA9 50100 > EMA21 49800 >
 * EMA50 49200 (gaps of 1.2 and 2.4 ATR), MACD histogram +40 (0.16 ATR), RSI 60, Bollinger
 * 49200 … 50600 (so %b ≈ 0.571).
 */
import type {
  EnrichedSignal,
  Features,
  MarketContext,
  QualityFlag,
  Signal,
} from '../domain/types.js';

export const T0 = Date.UTC(2026, 0, 5, 12);

export const UPTREND: Features = {
  ema9: 50100,
  ema21: 49800,
  ema50: 49200,
  macd: { macd: 120, signal: 80, histogram: 40 },
  rsi14: 60,
  atr14: 250,
  bollinger: { upper: 50600, middle: 49900, lower: 49200 },
};

/** The uptrend mirrored around 50000. */
export const DOWNTREND: Features = {
  ema9: 49900,
  ema21: 50200,
  ema50: 50800,
  macd: { macd: -120, signal: -80, histogram: -40 },
  rsi14: 40,
  atr14: 250,
  bollinger: { upper: 50800, middle: 50100, lower: 49400 },
};

/** EMAs tangled within 0.1 ATR of each other: a range between the bands 49500 … 50500. */
export const RANGE: Features = {
  ema9: 50010,
  ema21: 49990,
  ema50: 50000,
  macd: { macd: 2, signal: 1, histogram: 1 },
  rsi14: 50,
  atr14: 250,
  bollinger: { upper: 50500, middle: 50000, lower: 49500 },
};

export function signal(over: Partial<Signal> = {}): Signal {
  return {
    eventId: '018f3a3c-0000-7000-8000-000000000001',
    userId: '018f3a3c-0000-7000-8000-0000000000aa',
    keyId: null,
    source: 'test',
    venue: 'paper',
    symbol: 'BTC/USDT',
    direction: 'long',
    timeframe: '1h',
    entry: null,
    stop: null,
    takeProfit: null,
    strategy: null,
    profile: 'full_v1',
    sentAt: T0 - 1000,
    receivedAt: T0 - 900,
    payload: null,
    ...over,
  };
}

export function market(over: Partial<MarketContext> = {}): MarketContext {
  return {
    lastPrice: '50000',
    bid: '49999.5',
    ask: '50000.5',
    spreadBps: 0.2,
    timeframe: '1h',
    candles: 200,
    lastCandleAt: T0 - 60_000,
    asOf: T0 - 500,
    ...over,
  };
}

export function enriched(
  over: {
    signal?: Partial<Signal>;
    market?: Partial<MarketContext>;
    features?: Features;
    quality?: QualityFlag[];
  } = {},
): EnrichedSignal {
  return {
    signal: signal(over.signal),
    market: market(over.market),
    features: over.features ?? UPTREND,
    quality: over.quality ?? [],
    enrichedAt: T0,
  };
}
