/**
 * Enrichment: the market context of a signal and the features of its profile, computed from
 * closed candles and the latest quote with the streaming indicators of `core/indicators`.
 * Thin data never fails a signal: what cannot be computed is left out and flagged.
 */
import { Decimal } from '../../../core/decimal.js';
import {
  Atr,
  BollingerBands,
  bookImbalance,
  Ema,
  Macd,
  Rsi,
  SupportResistance,
  VolumeProfile,
} from '../../../core/indicators/index.js';
import type { FeatureProfile, Features, MarketContext, QualityFlag } from './types.js';

/** A closed candle as numbers: indicators are float64 analytics (see core/indicators). */
export interface Bar {
  openTime: number;
  closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Quote {
  bid: string;
  ask: string;
  bidSize: string;
  askSize: string;
  ts: number;
}

/** Perpetual-swap data, when the market source has it (the synthetic market does not). */
export interface PerpData {
  fundingRate?: number;
  openInterest?: number;
  markPrice?: number;
  indexPrice?: number;
}

export interface EnrichmentThresholds {
  /** The newest datum may be at most this old (ms). */
  staleMs: number;
  /** A spread wider than this many basis points of the mid is flagged. */
  wideSpreadBps: number;
}

export interface EnrichmentInput {
  profile: FeatureProfile;
  timeframe: string;
  timeframeMs: number;
  /** When the enrichment happens (ms). */
  now: number;
  /** Closed candles of the timeframe, oldest first. */
  candles: readonly Bar[];
  lastTrade?: { price: string; ts: number } | undefined;
  book?: Quote | undefined;
  perp?: PerpData | undefined;
  thresholds: EnrichmentThresholds;
}

export interface Enrichment {
  market: MarketContext;
  features: Features;
  quality: QualityFlag[];
}

/** Candles the longest indicator of every profile needs for a first value (EMA 50). */
export const MIN_HISTORY = 50;
const SWING_WINDOW = 50;
const SWING_STRENGTH = 2;
const LEVELS = 5;
const PROFILE_WINDOW = 100;
const PROFILE_BUCKETS = 24;
/** A candle closed this recently may not have reached us yet; only later is it missing. */
const ARRIVAL_GRACE_MS = 10_000;

/**
 * Computes market context, features and quality flags. The flags:
 * - `insufficient_history`: fewer than 50 closed candles (EMA 50 has no value yet);
 * - `missing_candles`: a period between two candles has none, or the last complete period has
 *   none (the series stops before now);
 * - `stale_data`: the newest trade, quote or candle is older than `staleMs`, or there is none;
 * - `no_book`: no best bid and ask; `wide_spread`: the spread exceeds `wideSpreadBps`;
 * - `perp_data_unavailable`: `crypto_perps_v1` without funding, open interest, mark or index.
 */
export function enrich(input: EnrichmentInput): Enrichment {
  const { candles, book, lastTrade, now, timeframeMs, thresholds } = input;
  const quality = new Set<QualityFlag>();
  const last = candles.at(-1);

  if (candles.length < MIN_HISTORY) quality.add('insufficient_history');
  if (hasGap(candles, timeframeMs, now)) quality.add('missing_candles');

  const asOf = newest(lastTrade?.ts, book?.ts, last ? last.closeTime : undefined);
  if (asOf === undefined || now - asOf > thresholds.staleMs) quality.add('stale_data');

  let spreadBps: number | null = null;
  if (!book) quality.add('no_book');
  else {
    spreadBps = spreadInBps(book.bid, book.ask);
    if (spreadBps === null) quality.add('no_book');
    else if (spreadBps > thresholds.wideSpreadBps) quality.add('wide_spread');
  }

  const features = trendFeatures(candles);
  if (input.profile === 'crypto_perps_v1') {
    const perp = input.perp ?? {};
    const known = (['fundingRate', 'openInterest', 'markPrice', 'indexPrice'] as const).filter(
      (k) => Number.isFinite(perp[k]),
    );
    for (const k of known) features[k] = perp[k]!;
    if (known.length === 0) quality.add('perp_data_unavailable');
  }
  if (input.profile === 'full_v1') Object.assign(features, fullFeatures(candles, book));

  return {
    market: {
      lastPrice: lastTrade?.price ?? null,
      bid: book?.bid ?? null,
      ask: book?.ask ?? null,
      spreadBps,
      timeframe: input.timeframe,
      candles: candles.length,
      lastCandleAt: last ? last.closeTime : null,
      asOf: asOf ?? null,
    },
    features,
    // In the order the flags are declared, so equal inputs give equal output.
    quality: FLAG_ORDER.filter((f) => quality.has(f)),
  };
}

const FLAG_ORDER: readonly QualityFlag[] = [
  'stale_data',
  'missing_candles',
  'insufficient_history',
  'wide_spread',
  'no_book',
  'perp_data_unavailable',
];

/** EMA 9/21/50, MACD(12, 26, 9), RSI 14 and ATR 14 of the closes; each only once it has a value. */
export function trendFeatures(candles: readonly Bar[]): Features {
  const ema9 = new Ema(9);
  const ema21 = new Ema(21);
  const ema50 = new Ema(50);
  const macd = new Macd(12, 26, 9);
  const rsi = new Rsi(14);
  const atr = new Atr(14);
  for (const c of candles) {
    ema9.update(c.close);
    ema21.update(c.close);
    ema50.update(c.close);
    macd.update(c.close);
    rsi.update(c.close);
    atr.update(c.high, c.low, c.close);
  }
  const f: Features = {};
  const put = <K extends keyof Features>(k: K, v: Features[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  put('ema9', finite(ema9.value));
  put('ema21', finite(ema21.value));
  put('ema50', finite(ema50.value));
  const m = macd.value;
  if (m && [m.macd, m.signal, m.histogram].every(Number.isFinite))
    f.macd = { macd: m.macd, signal: m.signal, histogram: m.histogram };
  put('rsi14', finite(rsi.value));
  put('atr14', finite(atr.value));
  return f;
}

/**
 * Bollinger Bands (20, 2); support and resistance: the swing lows at or below the last close
 * (nearest first) and the swing highs at or above it, from the last 50 candles; the top of
 * book's imbalance; the volume profile of the last 100 candles in 24 buckets across their range.
 */
export function fullFeatures(candles: readonly Bar[], book: Quote | undefined): Features {
  const f: Features = {};
  const bb = new BollingerBands(20, 2);
  const sr = new SupportResistance(SWING_WINDOW, SWING_STRENGTH);
  for (const c of candles) {
    bb.update(c.close);
    sr.update(c.high, c.low, c.close);
  }
  const bands = bb.value;
  if (bands && [bands.upper, bands.middle, bands.lower].every(Number.isFinite))
    f.bollinger = { upper: bands.upper, middle: bands.middle, lower: bands.lower };
  const close = candles.at(-1)?.close;
  if (sr.isReady && close !== undefined) {
    f.support = sr
      .lowsInWindow()
      .map((s) => s.price)
      .filter((p) => p <= close)
      .sort((a, b) => b - a)
      .slice(0, LEVELS);
    f.resistance = sr
      .highsInWindow()
      .map((s) => s.price)
      .filter((p) => p >= close)
      .sort((a, b) => a - b)
      .slice(0, LEVELS);
  }
  if (book) {
    const bidSize = Number(book.bidSize);
    const askSize = Number(book.askSize);
    if (bidSize >= 0 && askSize >= 0) {
      const imbalance = bookImbalance(bidSize, askSize);
      if (imbalance !== undefined) f.bookImbalance = imbalance;
    }
  }
  const recent = candles.slice(-PROFILE_WINDOW);
  if (recent.length) {
    const hi = Math.max(...recent.map((c) => c.high));
    const lo = Math.min(...recent.map((c) => c.low));
    const bucket = (hi - lo) / PROFILE_BUCKETS;
    if (Number.isFinite(bucket) && bucket > 0) {
      const vp = new VolumeProfile(recent.length, bucket);
      for (const c of recent) vp.updateCandle(c.high, c.low, c.close, c.volume);
      const v = vp.value;
      if (v)
        f.volumeProfile = {
          poc: v.poc,
          valueAreaLow: v.valueAreaLow,
          valueAreaHigh: v.valueAreaHigh,
        };
    }
  }
  return f;
}

/** (ask − bid) / mid in basis points, computed exactly and rounded once; null for a bad quote. */
export function spreadInBps(bid: string, ask: string): number | null {
  const b = Decimal.tryParse(bid);
  const a = Decimal.tryParse(ask);
  if (!b || !a || !b.isPositive() || !a.isPositive() || a.lt(b)) return null;
  const mid = a.add(b).div(Decimal.fromInt(2));
  return a.sub(b).div(mid).mulInt(10_000).toNumber();
}

function hasGap(candles: readonly Bar[], timeframeMs: number, now: number): boolean {
  for (let i = 1; i < candles.length; i++)
    if (candles[i]!.openTime - candles[i - 1]!.openTime !== timeframeMs) return true;
  const last = candles.at(-1);
  if (!last) return false;
  // The last complete period began one period before the running one.
  const lastComplete = Math.floor(now / timeframeMs) * timeframeMs - timeframeMs;
  const arrivedBy = lastComplete + timeframeMs + Math.min(timeframeMs, ARRIVAL_GRACE_MS);
  return (
    last.openTime < lastComplete && (last.openTime < lastComplete - timeframeMs || now > arrivedBy)
  );
}

const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined);

function newest(...ts: Array<number | undefined>): number | undefined {
  let best: number | undefined;
  for (const t of ts) if (t !== undefined && (best === undefined || t > best)) best = t;
  return best;
}
