import { Decimal } from '../../../core/decimal.js';
import { validationError } from '../../../core/errors.js';
import {
  periodStart,
  TIMEFRAME_MS,
  TIMEFRAMES,
  type Candle,
  type Timeframe,
  type Trade,
} from './types.js';

/**
 * Streaming candles, aligned to UTC epoch multiples (1d starts at 00:00 UTC).
 *
 * Gap policy: once a symbol has traded, every period gets a candle. A period without trades
 * closes as a flat candle (open = high = low = close = the last close, zero volume, zero
 * trades), as Binance klines and most charting libraries expect. Before a symbol's first trade
 * there is no price, so no candle. A flat period that later receives a trade opens at that
 * trade's price, not at the previous close, again like Binance.
 *
 * Output: `onTrade` / `onCandle` / `flush` return only the candles that closed, oldest first
 * (at equal close times shorter timeframes first). Live snapshots of the running candles are
 * taken on demand with `current`, because copying every timeframe on every trade would cost
 * more than the aggregation itself and most trades need no snapshot. Returning values rather
 * than calling back keeps the classes pure and free of re-entrancy questions.
 */

/** A candle under construction. `traded` tells a flat placeholder from a real bar. */
interface Builder {
  readonly timeframe: Timeframe;
  readonly len: number;
  openTime: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
  trades: number;
  traded: boolean;
}

interface Series {
  readonly venue: string;
  readonly symbol: string;
  readonly builders: Builder[];
  /** Time up to which periods have been closed or trades applied; earlier input is late. */
  watermark: number;
}

const NONE: readonly Candle[] = Object.freeze([]);

function normalizeTimeframes(list: readonly Timeframe[], field: string): Timeframe[] {
  if (list.length === 0) throw validationError(field, 'must not be empty');
  for (const t of list)
    if (!TIMEFRAME_MS[t]) throw validationError(field, `${String(t)} is not a timeframe`);
  return TIMEFRAMES.filter((t) => list.includes(t));
}

function openBuilder(timeframe: Timeframe, ts: number, price: Decimal): Builder {
  return {
    timeframe,
    len: TIMEFRAME_MS[timeframe],
    openTime: periodStart(timeframe, ts),
    open: price,
    high: price,
    low: price,
    close: price,
    volume: Decimal.ZERO,
    quoteVolume: Decimal.ZERO,
    trades: 0,
    traded: false,
  };
}

function snapshot(s: Series, b: Builder, closed: boolean): Candle {
  return {
    venue: s.venue,
    symbol: s.symbol,
    timeframe: b.timeframe,
    openTime: b.openTime,
    closeTime: b.openTime + b.len - 1,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    quoteVolume: b.quoteVolume,
    trades: b.trades,
    closed,
  };
}

/** Closes every period that ended at or before `t`, flat ones included. */
function closeUntil(s: Series, t: number, out: Candle[]): void {
  for (const b of s.builders) {
    while (b.openTime + b.len <= t) {
      out.push(snapshot(s, b, true));
      b.openTime += b.len;
      b.open = b.high = b.low = b.close;
      b.volume = b.quoteVolume = Decimal.ZERO;
      b.trades = 0;
      b.traded = false;
    }
  }
  if (t > s.watermark) s.watermark = t;
}

/** Time order across timeframes; `sort` is stable, so shorter timeframes stay first at ties. */
function ordered(out: Candle[]): readonly Candle[] {
  if (out.length === 0) return NONE;
  if (out.length > 1) out.sort((a, b) => a.closeTime - b.closeTime);
  return out;
}

abstract class SeriesMap {
  protected readonly series = new Map<string, Series>();
  /** Input that arrived after its period had been closed (or behind the last trade): dropped. */
  protected late = 0;

  constructor(readonly timeframes: readonly Timeframe[]) {}

  get lateCount(): number {
    return this.late;
  }

  protected get(venue: string, symbol: string): Series | undefined {
    return this.series.get(`${venue}\u0000${symbol}`);
  }

  protected create(venue: string, symbol: string, ts: number, price: Decimal): Series {
    const s: Series = {
      venue,
      symbol,
      builders: this.timeframes.map((t) => openBuilder(t, ts, price)),
      watermark: ts,
    };
    this.series.set(`${venue}\u0000${symbol}`, s);
    return s;
  }

  /** Closes, for every symbol, the periods that ended at or before `now`: quiet markets too. */
  flush(now: number): readonly Candle[] {
    const out: Candle[] = [];
    for (const s of this.series.values()) closeUntil(s, now, out);
    return ordered(out);
  }

  /** The running candle of one timeframe, as an immutable snapshot with `closed: false`. */
  current(venue: string, symbol: string, timeframe: Timeframe): Candle | undefined {
    const s = this.get(venue, symbol);
    const b = s?.builders.find((x) => x.timeframe === timeframe);
    return s && b ? snapshot(s, b, false) : undefined;
  }

  /** The running candles of every timeframe, shortest first. */
  currentAll(venue: string, symbol: string): Candle[] {
    const s = this.get(venue, symbol);
    return s ? s.builders.map((b) => snapshot(s, b, false)) : [];
  }
}

/**
 * Builds candles of every timeframe at once from a trade stream. Trades must be in
 * non-decreasing `ts` order per symbol; a trade behind the last one, or inside a period that
 * `flush` already closed, is counted in `lateCount` and ignored rather than rewriting a
 * candle that was already published.
 *
 * @example
 * const agg = new CandleAggregator();
 * for (const t of trades) for (const c of agg.onTrade(t)) save(c);
 * setInterval(() => agg.flush(clock.now()).forEach(save), 1000);
 */
export class CandleAggregator extends SeriesMap {
  constructor(opts: { timeframes?: readonly Timeframe[] } = {}) {
    super(normalizeTimeframes(opts.timeframes ?? TIMEFRAMES, 'timeframes'));
  }

  onTrade(trade: Trade): readonly Candle[] {
    let s = this.get(trade.venue, trade.symbol);
    if (!s) s = this.create(trade.venue, trade.symbol, trade.ts, trade.price);
    else if (trade.ts < s.watermark) {
      this.late++;
      return NONE;
    }
    const out: Candle[] = [];
    closeUntil(s, trade.ts, out);
    const { price, quantity } = trade;
    const quote = price.mul(quantity);
    for (const b of s.builders) {
      if (b.traded) {
        if (price.gt(b.high)) b.high = price;
        else if (price.lt(b.low)) b.low = price;
      } else {
        b.open = b.high = b.low = price;
        b.traded = true;
      }
      b.close = price;
      b.volume = b.volume.add(quantity);
      b.quoteVolume = b.quoteVolume.add(quote);
      b.trades++;
    }
    return ordered(out);
  }
}

/**
 * Rolls closed candles of one timeframe (1m klines from a replay, say) up into longer ones,
 * with the same gap policy and alignment as `CandleAggregator`: rolling up its 1m output
 * gives exactly its 5m, 1h… output. Flat source candles (no trades, no volume) carry no price
 * information and are skipped when the target period has real ones. A target candle closes as
 * soon as the source candle ending its period arrives, or when a later one shows it ended.
 */
export class CandleRollup extends SeriesMap {
  readonly source: Timeframe;

  constructor(opts: { timeframes: readonly Timeframe[]; source?: Timeframe }) {
    const source = opts.source ?? '1m';
    const targets = normalizeTimeframes(opts.timeframes, 'timeframes');
    for (const t of targets) {
      if (TIMEFRAME_MS[t] <= TIMEFRAME_MS[source] || TIMEFRAME_MS[t] % TIMEFRAME_MS[source] !== 0) {
        throw validationError('timeframes', `${t} is not a longer multiple of ${source}`);
      }
    }
    super(targets);
    this.source = source;
  }

  onCandle(c: Candle): readonly Candle[] {
    if (c.timeframe !== this.source) {
      throw validationError('timeframe', `expected ${this.source} candles, got ${c.timeframe}`);
    }
    let s = this.get(c.venue, c.symbol);
    if (!s) s = this.create(c.venue, c.symbol, c.openTime, c.open);
    else if (c.openTime < s.watermark) {
      this.late++;
      return NONE;
    }
    const out: Candle[] = [];
    closeUntil(s, c.openTime, out);
    const hasTrades = c.trades > 0 || !c.volume.isZero();
    for (const b of s.builders) {
      if (hasTrades) {
        if (!b.traded) {
          b.open = c.open;
          b.high = c.high;
          b.low = c.low;
          b.traded = true;
        } else {
          if (c.high.gt(b.high)) b.high = c.high;
          if (c.low.lt(b.low)) b.low = c.low;
        }
        b.close = c.close;
      } else if (!b.traded) {
        b.open = b.high = b.low = b.close = c.close;
      }
      b.volume = b.volume.add(c.volume);
      b.quoteVolume = b.quoteVolume.add(c.quoteVolume);
      b.trades += c.trades;
    }
    closeUntil(s, c.closeTime + 1, out);
    return ordered(out);
  }
}

/** Batch form of `CandleRollup` for one series: every closed target candle the input completes. */
export function rollupCandles(
  candles: Iterable<Candle>,
  timeframe: Timeframe,
  source: Timeframe = '1m',
): Candle[] {
  const r = new CandleRollup({ timeframes: [timeframe], source });
  const out: Candle[] = [];
  for (const c of candles) out.push(...r.onCandle(c));
  return out;
}
