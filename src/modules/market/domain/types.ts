import type { Decimal } from '../../../core/decimal.js';
import { validationError } from '../../../core/errors.js';

/**
 * The one normalized market-data model. Synthetic, replayed and live sources all produce
 * these shapes, so strategies, the paper venue and charts never know where data came from.
 * Amounts are exact decimals; times are milliseconds since the Unix epoch (UTC).
 */

/** Side of the aggressor (the taker), i.e. the order that crossed the spread. */
export type AggressorSide = 'buy' | 'sell';

export interface Trade {
  readonly venue: string;
  readonly symbol: string;
  /** Venue trade id, as text because venues disagree on its type. */
  readonly id: string;
  readonly price: Decimal;
  readonly quantity: Decimal;
  readonly side: AggressorSide;
  readonly ts: number;
}

/** Best bid and offer. */
export interface BookTop {
  readonly venue: string;
  readonly symbol: string;
  readonly bidPrice: Decimal;
  readonly bidSize: Decimal;
  readonly askPrice: Decimal;
  readonly askSize: Decimal;
  readonly ts: number;
}

/**
 * OHLCV bar. `closeTime` is the last millisecond inside the period (`openTime + length - 1`),
 * as Binance klines have it, so that replayed klines and aggregated candles compare equal.
 */
export interface Candle {
  readonly venue: string;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  /** Base-asset volume. */
  readonly volume: Decimal;
  /** Quote-asset volume: Σ price × quantity. */
  readonly quoteVolume: Decimal;
  readonly trades: number;
  /** False while the period is still running (the candle may still change). */
  readonly closed: boolean;
}

/** Rolling 24-hour statistics. */
export interface Ticker {
  readonly venue: string;
  readonly symbol: string;
  readonly last: Decimal;
  /** Null until the first book top is seen: a made-up quote would mislead the paper venue. */
  readonly bid: Decimal | null;
  readonly ask: Decimal | null;
  readonly open24h: Decimal;
  readonly high24h: Decimal;
  readonly low24h: Decimal;
  readonly change24h: Decimal;
  /** change24h / open24h × 100, rounded half-even to 2 places. */
  readonly changePercent24h: Decimal;
  readonly volume24h: Decimal;
  readonly quoteVolume24h: Decimal;
  readonly ts: number;
}

export type TradeEvent = Trade & { readonly kind: 'trade' };
export type BookTopEvent = BookTop & { readonly kind: 'book' };
/** `ts` is when the candle became known: its end for a closed candle, the update for a live one. */
export type CandleEvent = Candle & { readonly kind: 'candle'; readonly ts: number };
export type TickerEvent = Ticker & { readonly kind: 'ticker' };

/** Every market-data event carries `kind` and `ts`, so one stream can be merged and replayed. */
export type MarketEvent = TradeEvent | BookTopEvent | CandleEvent | TickerEvent;
export type MarketEventKind = MarketEvent['kind'];

/** A closed candle as an event, stamped at the end of its period (no look-ahead in backtests). */
export const candleEvent = (c: Candle, ts = c.closeTime + 1): CandleEvent => ({
  kind: 'candle',
  ...c,
  ts,
});

// ── Timeframes ────────────────────────────────────────────────────────────────────────────

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

const MINUTE = 60_000;
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '4h': 240 * MINUTE,
  '1d': 1440 * MINUTE,
};

export const isTimeframe = (text: string): text is Timeframe =>
  (TIMEFRAMES as readonly string[]).includes(text);

/** Checked parser for user input (query strings, config, CLI flags). */
export function parseTimeframe(text: string, field = 'timeframe'): Timeframe {
  const t = text.trim();
  if (isTimeframe(t)) return t;
  throw validationError(field, `must be one of ${TIMEFRAMES.join(', ')}`, 'invalid_timeframe');
}

/**
 * Start of the period containing `ts`. Unix time has no leap seconds and the epoch is a UTC
 * midnight, so plain epoch multiples also align 1d candles to 00:00 UTC.
 */
export const periodStart = (timeframe: Timeframe, ts: number): number => {
  const len = TIMEFRAME_MS[timeframe];
  return Math.floor(ts / len) * len;
};

/** The timeframe whose period is exactly `ms` long, if any (used to recognize kline files). */
export const timeframeOfLength = (ms: number): Timeframe | undefined =>
  TIMEFRAMES.find((t) => TIMEFRAME_MS[t] === ms);
