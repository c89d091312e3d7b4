import type { Exchange, OHLCV, OrderBook } from 'ccxt';
import type { Logger } from '../../platform/logging/logger.js';
import {
  createMarketExchange,
  decimalOf,
  marketAdapterFor,
  type CcxtSourceSetup,
  type MarketAdapter,
} from './ccxt-exchange.js';
import { LiveTrades } from './ccxt-trades.js';
import { candleEvent, type BookTop, type Candle, type Trade } from './domain/types.js';
import { Decimal } from '../../core/decimal.js';
import type { MarketSink, MarketSource, SourceProgress } from './source.js';
import { pauseFor } from './timing.js';

export interface CcxtSourceOptions extends CcxtSourceSetup {
  /** CCXT exchange id. */
  exchange: string;
  /** Venue the data is published under (`paper`: the paper venue fills on live prices). */
  venue: string;
  /** Unified symbols, `BASE/QUOTE`. */
  symbols: readonly string[];
  logger: Logger;
  /** REST polling interval, where watching is unsupported or keeps failing. */
  pollMs?: number;
  /** Delay after a watch failure, doubled per failure up to `maxMs`, less up to 30 % jitter. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Failures in a row after which a feed polls REST instead, for `retryWatchMs`. */
  maxWatchFailures?: number;
  retryWatchMs?: number;
  /**
   * Without sequential trade ids, a silence this long on a live stream is checked against
   * REST (a quiet market or a hole; the backfill tells).
   */
  gapMs?: number;
  random?: () => number;
}

type Feed = 'trades' | 'book' | 'candles';

const MINUTE = 60_000;
const PAGE = 1_000;

/**
 * Live market data through CCXT: trades (`watchTrades`), book tops (`watchOrderBook`) and
 * one-minute candles (`watchOHLCV`) for each symbol, each feed on its own loop.
 *
 * - A feed whose watch fails is resubscribed after an exponential, jittered delay; after
 *   `maxWatchFailures` failures in a row, or where the exchange has no such stream, it polls
 *   REST (`fetchTrades`, `fetchOrderBook` or `fetchTicker`, `fetchOHLCV`) and tries the
 *   stream again later.
 * - Trades are checked for gaps: on exchanges whose trade ids are sequential a jump in ids is
 *   a gap; elsewhere a resubscription or a long silence is treated as a possible one. A gap is
 *   logged, counted in `progress().gaps` and filled from REST (`fetchTrades` since the last
 *   trade seen) before later trades are delivered. Duplicates and trades older than the last
 *   one delivered are dropped, so the sink sees each trade once, in time order.
 * - Candles are the exchange's own (`candles: 'provided'`): a candle is delivered closed
 *   when the next one begins, and those missed while disconnected are fetched on resumption.
 *   CCXT's OHLCV carries no quote volume or trade count; they are 0 on these candles.
 */
export class CcxtMarketSource implements MarketSource {
  readonly kind = 'ccxt' as const;
  readonly candles = 'provided' as const;
  private readonly adapter: MarketAdapter;
  private events = 0;
  private marketTime: number | undefined;
  private reconnects = 0;
  private readonly polling = new Set<string>();
  private readonly trades: LiveTrades;
  private readonly tops = new Map<string, BookTop>();
  private readonly bars = new Map<string, { current?: OHLCV; lastClosed?: number }>();

  constructor(private readonly o: CcxtSourceOptions) {
    this.adapter = marketAdapterFor(o.exchange);
    this.trades = new LiveTrades({
      venue: o.venue,
      exchange: o.exchange,
      adapter: this.adapter,
      logger: o.logger,
      gapMs: o.gapMs ?? MINUTE,
    });
  }

  async run(sink: MarketSink, signal: AbortSignal): Promise<void> {
    const ex = await createMarketExchange(this.o.exchange, this.o);
    const stop = () => void ex.close().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      const symbols = await this.loadSymbols(ex, signal);
      const feeds: Promise<void>[] = [];
      for (const symbol of symbols) {
        for (const feed of ['trades', 'book', 'candles'] as const) {
          feeds.push(this.loop(ex, feed, symbol, sink, signal));
        }
      }
      await Promise.all(feeds);
    } finally {
      signal.removeEventListener('abort', stop);
      await ex.close().catch(() => undefined);
    }
  }

  progress(): SourceProgress {
    return {
      events: this.events,
      ...(this.marketTime === undefined ? {} : { marketTime: this.marketTime }),
      done: false,
      gaps: this.trades.gaps,
      unfilledGaps: this.trades.unfilledGaps,
      dropped: this.trades.dropped,
      reconnects: this.reconnects,
      polling: [...this.polling].sort(),
    };
  }

  // ── feeds ───────────────────────────────────────────────────────────────────────────────

  private async loadSymbols(ex: Exchange, signal: AbortSignal): Promise<string[]> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await ex.loadMarkets();
        const missing = this.o.symbols.filter((s) => !ex.markets?.[s]);
        if (missing.length) {
          this.o.logger.error(
            { at: 'market#ccxt', exchange: this.o.exchange, missing },
            'the exchange does not list these symbols; they are skipped',
          );
        }
        return this.o.symbols.filter((s) => ex.markets?.[s]);
      } catch (err) {
        this.warn(err, 'could not load the exchange markets; retrying');
        await pauseFor(this.delay(attempt), signal);
      }
    }
    return [];
  }

  private async loop(
    ex: Exchange,
    feed: Feed,
    symbol: string,
    sink: MarketSink,
    signal: AbortSignal,
  ): Promise<void> {
    const watch = { trades: 'watchTrades', book: 'watchOrderBook', candles: 'watchOHLCV' }[feed];
    const key = `${feed}:${symbol}`;
    const maxFailures = this.o.maxWatchFailures ?? 5;
    let failures = 0;
    let pollUntil = ex.has[watch] ? 0 : Infinity;
    let resumed = false;
    while (!signal.aborted) {
      if (Date.now() < pollUntil) {
        this.polling.add(key);
        try {
          await this.poll(ex, feed, symbol, sink);
        } catch (err) {
          this.warn(err, `polling ${key} failed`);
        }
        await pauseFor(this.o.pollMs ?? 2_000, signal);
        continue;
      }
      this.polling.delete(key);
      try {
        if (feed === 'trades') {
          const batch = await ex.watchTrades(symbol);
          if (resumed) this.trades.resumed(symbol);
          await this.trades.onTrades(ex, symbol, batch, 'stream', this.deliver(sink));
        } else if (feed === 'book') {
          this.onBook(symbol, await ex.watchOrderBook(symbol), sink);
        } else {
          const batch = await ex.watchOHLCV(symbol, '1m');
          if (resumed) await this.backfillCandles(ex, symbol, sink);
          this.onCandles(symbol, batch, sink, false);
        }
        resumed = false;
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.reconnects++;
        resumed = true;
        this.warn(err, `${key} stream failed; resubscribing`, { failures });
        if (failures >= maxFailures) {
          failures = 0;
          pollUntil = Date.now() + (this.o.retryWatchMs ?? 60_000);
          this.o.logger.warn(
            { at: 'market#ccxt', exchange: this.o.exchange, feed: key },
            'the stream keeps failing; polling REST for a while',
          );
        } else {
          await pauseFor(this.delay(failures), signal);
        }
      }
    }
    this.polling.delete(key);
  }

  private async poll(ex: Exchange, feed: Feed, symbol: string, sink: MarketSink): Promise<void> {
    if (feed === 'trades') {
      const since = this.trades.lastTs(symbol);
      const got = await ex.fetchTrades(symbol, since, PAGE);
      await this.trades.onTrades(ex, symbol, got, 'poll', this.deliver(sink));
    } else if (feed === 'book') {
      if (ex.has['fetchOrderBook']) {
        this.onBook(symbol, await ex.fetchOrderBook(symbol, 5), sink);
      } else {
        const t = await ex.fetchTicker(symbol);
        const top = this.top(symbol, t.bid, t.bidVolume, t.ask, t.askVolume, t.timestamp);
        if (top) this.deliverTop(top, sink);
      }
    } else if (ex.has['fetchOHLCV']) {
      const state = this.bars.get(symbol);
      const since = state?.lastClosed === undefined ? undefined : state.lastClosed + MINUTE;
      this.onCandles(symbol, await ex.fetchOHLCV(symbol, '1m', since, 100), sink, true);
    }
  }

  // ── book tops ───────────────────────────────────────────────────────────────────────────

  private onBook(symbol: string, book: OrderBook, sink: MarketSink): void {
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (!bid || !ask) return;
    const top = this.top(symbol, bid[0], bid[1], ask[0], ask[1], book.timestamp);
    if (top) this.deliverTop(top, sink);
  }

  private top(
    symbol: string,
    bidPrice: number | undefined,
    bidSize: number | undefined,
    askPrice: number | undefined,
    askSize: number | undefined,
    ts: number | undefined,
  ): BookTop | undefined {
    const b = decimalOf(bidPrice);
    const a = decimalOf(askPrice);
    if (!b || !a || !b.isPositive() || b.gte(a)) return undefined;
    return {
      venue: this.o.venue,
      symbol,
      bidPrice: b,
      bidSize: decimalOf(bidSize) ?? Decimal.ZERO,
      askPrice: a,
      askSize: decimalOf(askSize) ?? Decimal.ZERO,
      ts: ts ?? Date.now(),
    };
  }

  private deliverTop(top: BookTop, sink: MarketSink): void {
    const prev = this.tops.get(top.symbol);
    if (
      prev &&
      prev.bidPrice.eq(top.bidPrice) &&
      prev.askPrice.eq(top.askPrice) &&
      prev.bidSize.eq(top.bidSize) &&
      prev.askSize.eq(top.askSize)
    ) {
      return;
    }
    this.tops.set(top.symbol, top);
    this.emit({ kind: 'book', ...top }, sink);
  }

  // ── candles ─────────────────────────────────────────────────────────────────────────────

  /**
   * A candle is final once a later one exists; when polling, also once its minute and a
   * few seconds more have passed by the wall clock.
   */
  private onCandles(symbol: string, rows: OHLCV[], sink: MarketSink, byTime: boolean): void {
    let s = this.bars.get(symbol);
    if (!s) this.bars.set(symbol, (s = {}));
    const sorted = [...rows].sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0));
    for (const row of sorted) {
      const openTime = row[0];
      if (openTime === undefined) continue;
      if (s.lastClosed !== undefined && openTime <= s.lastClosed) continue;
      if (s.current && openTime > (s.current[0] ?? 0)) this.close(symbol, s.current, s, sink);
      if (!s.current || openTime >= (s.current[0] ?? 0)) s.current = row;
    }
    if (byTime && s.current && (s.current[0] ?? 0) + MINUTE + 5_000 <= Date.now()) {
      this.close(symbol, s.current, s, sink);
    }
  }

  private close(
    symbol: string,
    row: OHLCV,
    s: { current?: OHLCV; lastClosed?: number },
    sink: MarketSink,
  ): void {
    s.current = undefined;
    const [openTime, o, h, l, c, v] = row;
    const open = decimalOf(o);
    const high = decimalOf(h);
    const low = decimalOf(l);
    const close = decimalOf(c);
    if (openTime === undefined || !open || !high || !low || !close) return;
    s.lastClosed = openTime;
    const candle: Candle = {
      venue: this.o.venue,
      symbol,
      timeframe: '1m',
      openTime,
      closeTime: openTime + MINUTE - 1,
      open,
      high,
      low,
      close,
      volume: decimalOf(v) ?? Decimal.ZERO,
      quoteVolume: Decimal.ZERO,
      trades: 0,
      closed: true,
    };
    this.emit(candleEvent(candle), sink);
  }

  private async backfillCandles(ex: Exchange, symbol: string, sink: MarketSink): Promise<void> {
    const s = this.bars.get(symbol);
    const from = s?.lastClosed ?? s?.current?.[0];
    if (from === undefined || !ex.has['fetchOHLCV']) return;
    try {
      this.onCandles(symbol, await ex.fetchOHLCV(symbol, '1m', from + MINUTE, 1000), sink, false);
    } catch (err) {
      this.warn(err, 'candle backfill failed');
    }
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────

  private deliver(sink: MarketSink): (t: Trade) => void {
    return (t) => this.emit({ kind: 'trade', ...t }, sink);
  }

  private emit(e: Parameters<MarketSink['event']>[0], sink: MarketSink): void {
    this.events++;
    sink.event(e);
    if (this.marketTime === undefined || e.ts > this.marketTime) {
      this.marketTime = e.ts;
      sink.advance(e.ts);
    }
  }

  private delay(attempt: number): number {
    const base = this.o.backoff?.baseMs ?? 1_000;
    const max = this.o.backoff?.maxMs ?? 30_000;
    const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
    return Math.round(exp * (1 - 0.3 * (this.o.random ?? Math.random)()));
  }

  private warn(err: unknown, msg: string, extra: Record<string, unknown> = {}): void {
    const text = err instanceof Error ? err.message.replace(/\?\S*/g, '?…') : String(err);
    this.o.logger.warn(
      { at: 'market#ccxt', exchange: this.o.exchange, error: text, ...extra },
      msg,
    );
  }
}
