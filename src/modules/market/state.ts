import type { Decimal } from '../../core/decimal.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Instrument } from './domain/instrument.js';
import type { BookTop, Candle, Ticker, Timeframe, Trade } from './domain/types.js';
import { unknownInstrument } from './errors.js';
import { normalizeSymbol } from './symbols.js';

/**
 * What other modules read of the market, in-process: the catalogue and the latest prices.
 * Every process has one. Where the source runs it is fed directly; elsewhere it follows the
 * live feed, so the trading module prices orders the same way in any role.
 *
 * @example
 * const px = market.view.lastPrice('paper', 'BTC/USDT');
 * const off = market.view.onTrade((t) => engine.onTrade(t));
 */
export interface MarketView {
  /** Active instruments, optionally of one venue, in catalogue order. */
  instruments(venue?: string): Instrument[];
  instrument(venue: string, symbol: string): Instrument | undefined;
  /**
   * The instrument, accepting `BTC/USDT`, `BTC-USDT` or `BTCUSDT`; throws a 404
   * `unknown_instrument` naming `field` otherwise.
   */
  requireInstrument(venue: string, symbol: string, field?: string): Instrument;
  lastTrade(venue: string, symbol: string): Trade | undefined;
  /** Up to `limit` of the latest trades this process has seen, oldest first. */
  recentTrades(venue: string, symbol: string, limit?: number): Trade[];
  lastPrice(venue: string, symbol: string): Decimal | undefined;
  bookTop(venue: string, symbol: string): BookTop | undefined;
  ticker(venue: string, symbol: string): Ticker | undefined;
  /** Every trade as it happens, in time order per instrument. Returns an unsubscribe. */
  onTrade(listener: (t: Trade) => void): () => void;
  onBookTop(listener: (b: BookTop) => void): () => void;
}

/** Live values the process running the source computes itself instead of reading the feed. */
export interface LiveSource {
  ticker(venue: string, symbol: string): Ticker | undefined;
  currentCandle(venue: string, symbol: string, timeframe: Timeframe): Candle | undefined;
  /** Closed candles not yet written to the database. */
  pendingCandles(venue: string, symbol: string, timeframe: Timeframe): Candle[];
}

const key = (venue: string, symbol: string) => `${venue}\u0000${symbol}`;

/**
 * Trades kept per instrument for `recentTrades`: a screen's tape of the latest prints
 * (`GET /api/v1/market/trades`), not a history. About 200 bytes each, so bounded by the
 * catalogue, whatever the market's pace.
 */
export const RECENT_TRADES = 200;

/** The last `RECENT_TRADES` trades of one instrument, overwritten in place. */
class TradeRing {
  private readonly items: Trade[] = [];
  private next = 0;

  push(t: Trade): void {
    if (this.items.length < RECENT_TRADES) this.items.push(t);
    else this.items[this.next] = t;
    this.next = (this.next + 1) % RECENT_TRADES;
  }

  /** The newest `n`, oldest first. */
  latest(n: number): Trade[] {
    const all =
      this.items.length < RECENT_TRADES
        ? this.items
        : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    return all.slice(-Math.max(0, n));
  }
}

/** The in-memory latest state behind `MarketView`. */
export class MarketState implements MarketView {
  private readonly catalogue = new Map<string, Instrument>();
  private readonly trades = new Map<string, Trade>();
  private readonly rings = new Map<string, TradeRing>();
  private readonly books = new Map<string, BookTop>();
  private readonly tickers = new Map<string, Ticker>();
  /** Latest candle per series heard on the feed: running, or just closed and maybe unsaved. */
  private readonly candles = new Map<string, Candle>();
  private readonly tradeListeners = new Set<(t: Trade) => void>();
  private readonly bookListeners = new Set<(b: BookTop) => void>();
  /** Set while this process runs the source. */
  live: LiveSource | undefined;

  constructor(
    instruments: readonly Instrument[],
    private readonly logger: Logger,
  ) {
    for (const i of instruments) this.catalogue.set(key(i.venue, i.symbol), i);
  }

  venues(): string[] {
    return [...new Set([...this.catalogue.values()].map((i) => i.venue))];
  }

  instruments(venue?: string): Instrument[] {
    const all = [...this.catalogue.values()].filter((i) => i.active);
    return venue === undefined ? all : all.filter((i) => i.venue === venue);
  }

  instrument(venue: string, symbol: string): Instrument | undefined {
    return this.catalogue.get(key(venue, symbol));
  }

  requireInstrument(venue: string, symbol: string, field = '/symbol'): Instrument {
    const known = this.instruments(venue).map((i) => i.symbol);
    const canonical = normalizeSymbol(symbol, known);
    const found = canonical === undefined ? undefined : this.instrument(venue, canonical);
    if (!found || !found.active) throw unknownInstrument(venue, symbol, field, known);
    return found;
  }

  lastTrade(venue: string, symbol: string): Trade | undefined {
    return this.trades.get(key(venue, symbol));
  }

  recentTrades(venue: string, symbol: string, limit = RECENT_TRADES): Trade[] {
    return this.rings.get(key(venue, symbol))?.latest(limit) ?? [];
  }

  lastPrice(venue: string, symbol: string): Decimal | undefined {
    return this.lastTrade(venue, symbol)?.price;
  }

  bookTop(venue: string, symbol: string): BookTop | undefined {
    return this.books.get(key(venue, symbol));
  }

  ticker(venue: string, symbol: string): Ticker | undefined {
    return this.live ? this.live.ticker(venue, symbol) : this.tickers.get(key(venue, symbol));
  }

  tickersOf(venue?: string): Ticker[] {
    const out: Ticker[] = [];
    for (const i of this.instruments(venue)) {
      const t = this.ticker(i.venue, i.symbol);
      if (t) out.push(t);
    }
    return out;
  }

  onTrade(listener: (t: Trade) => void): () => void {
    this.tradeListeners.add(listener);
    return () => this.tradeListeners.delete(listener);
  }

  onBookTop(listener: (b: BookTop) => void): () => void {
    this.bookListeners.add(listener);
    return () => this.bookListeners.delete(listener);
  }

  applyTrade(t: Trade): void {
    this.recordTrade(t);
    this.trades.set(key(t.venue, t.symbol), t);
    for (const l of this.tradeListeners) this.notify(l, t, 'trade');
  }

  /**
   * Keeps a trade among the recent ones without making it the last price or telling the
   * listeners: a backfill's history, which nobody could have traded against.
   */
  recordTrade(t: Trade): void {
    const k = key(t.venue, t.symbol);
    let ring = this.rings.get(k);
    if (!ring) this.rings.set(k, (ring = new TradeRing()));
    ring.push(t);
  }

  applyBookTop(b: BookTop): void {
    this.books.set(key(b.venue, b.symbol), b);
    for (const l of this.bookListeners) this.notify(l, b, 'book');
  }

  applyTicker(t: Ticker): void {
    this.tickers.set(key(t.venue, t.symbol), t);
  }

  applyCandle(c: Candle): void {
    const k = `${key(c.venue, c.symbol)}\u0000${c.timeframe}`;
    const prev = this.candles.get(k);
    // A late running snapshot must not replace the close of the same period.
    if (prev && (prev.openTime > c.openTime || (prev.openTime === c.openTime && prev.closed)))
      return;
    this.candles.set(k, c);
  }

  /** The running candle and any closed one the database may not hold yet, oldest first. */
  recentCandles(venue: string, symbol: string, timeframe: Timeframe): Candle[] {
    if (this.live) {
      const current = this.live.currentCandle(venue, symbol, timeframe);
      const pending = this.live.pendingCandles(venue, symbol, timeframe);
      return current ? [...pending, current] : pending;
    }
    const c = this.candles.get(`${key(venue, symbol)}\u0000${timeframe}`);
    return c ? [c] : [];
  }

  /** A listener's failure is its own: it must not stop the market for everyone else. */
  private notify<T>(listener: (x: T) => void, x: T, what: string): void {
    try {
      listener(x);
    } catch (err) {
      this.logger.error({ at: 'market#notify', what, err }, 'market data listener failed');
    }
  }
}
