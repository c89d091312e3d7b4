import { channels } from '../../core/topics.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import { joinCandles } from './carry.js';
import { CandleAggregator, CandleRollup } from './domain/candles.js';
import { TickerBoard } from './domain/ticker.js';
import {
  TIMEFRAME_MS,
  TIMEFRAMES,
  type BookTop,
  type Candle,
  type MarketEvent,
  type Ticker,
  type Timeframe,
  type Trade,
} from './domain/types.js';
import type { MarketSink } from './source.js';
import type { LiveSource, MarketState } from './state.js';
import { yieldToLoop } from './timing.js';
import { bookTopToWire, candleToWire, tickerToWire, tradeToWire } from './wire.js';

export interface IngestOptions {
  /** Stores closed candles (one batch per call). */
  write: (candles: readonly Candle[]) => Promise<void>;
  feed: Feed;
  state: MarketState;
  logger: Logger;
  candles: 'aggregate' | 'provided';
  /** Closed candles are written in one batch this often. */
  persistIntervalMs?: number;
  /** Tickers are published at most this often per instrument. */
  tickerIntervalMs?: number;
  /** Running candles are published at most this often per timeframe and instrument. */
  candleIntervalMs?: number;
}

/** Beyond this many unwritten candles a fast source waits for the writer. */
const BACKLOG = 20_000;
/** Beyond this many (the database has been down a long while) the oldest are dropped. */
const BACKLOG_CAP = 500_000;

const key = (venue: string, symbol: string) => `${venue}\u0000${symbol}`;
const split = (k: string) => k.split('\u0000') as [string, string];
const periodKey = (c: Candle) =>
  `${c.venue}\u0000${c.symbol}\u0000${c.timeframe}\u0000${c.openTime}`;

/**
 * The work of the process that runs the source: candles for every timeframe, 24 h tickers,
 * the latest state for `MarketView`, batched writes of closed candles, and the live feed.
 *
 * Trades and book tops are published as they come. Tickers and running candles change on
 * every trade, so they are published on timers for the instruments that changed (at most 4
 * tickers and 2 running candles per timeframe a second); every closed candle is published at
 * once.
 *
 * History (a synthetic market's backfill) goes through the same candles and tickers and is
 * kept among the recent trades, but its trades and quotes reach neither the live feed nor
 * the view's listeners: the paper venue must not fill resting orders against a past nobody
 * could trade in, and screens need the candles, not a million old prints.
 */
export class MarketIngest implements MarketSink, LiveSource {
  private readonly aggregator = new CandleAggregator();
  private rollup: CandleRollup | undefined;
  private readonly tickers = new TickerBoard();
  private pending: Candle[] = [];
  private inFlight: Candle[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly changedTickers = new Set<string>();
  private readonly changedCandles = new Set<string>();
  private now: number | undefined;
  private timers: NodeJS.Timeout[] = [];
  private dropped = 0;
  private replaying = false;
  /** Earlier parts of the running periods, stored before a restart (see carry.ts). */
  private readonly carried = new Map<string, Candle>();

  constructor(private readonly o: IngestOptions) {}

  /** Joins these partial candles to the candles of the same periods built from now on. */
  carry(partials: readonly Candle[]): void {
    for (const c of partials) this.carried.set(periodKey(c), c);
  }

  start(): void {
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.tickerIntervalMs ?? 250, () => this.publishTickers());
    every(this.o.candleIntervalMs ?? 500, () => this.publishRunningCandles());
    every(this.o.persistIntervalMs ?? 1000, () => void this.persist().catch(() => {}));
  }

  /**
   * Stops publishing and writes every closed candle still held. A failed write is logged by
   * `persist` and not rethrown, so the rest of the shutdown still runs.
   */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.publishTickers();
    await this.persist().catch(() => {});
  }

  // ── MarketSink ──────────────────────────────────────────────────────────────────────────

  event(e: MarketEvent): void {
    switch (e.kind) {
      case 'trade':
        return this.onTrade(e);
      case 'book':
        return this.onBookTop(e);
      case 'candle':
        return this.onCandle(e);
      case 'ticker':
        // Tickers are computed here from trades, the same way for every source.
        return;
    }
  }

  advance(ts: number): void {
    if (this.now === undefined || ts > this.now) this.now = ts;
    // Provided candles close their own periods as they arrive (the rollup's watermark is in
    // open times, which a close trade's time would overrun).
    if (this.o.candles === 'aggregate') this.closed(this.aggregator.flush(ts));
  }

  async pause(): Promise<void> {
    await yieldToLoop();
    if (this.pending.length > BACKLOG) await this.persist();
  }

  history(on: boolean): void {
    if (this.replaying && !on) {
      // Tickers were computed all along; screens get them as they stand at the switch.
      for (const i of this.o.state.instruments()) this.changedTickers.add(key(i.venue, i.symbol));
    }
    this.replaying = on;
  }

  // ── LiveSource ──────────────────────────────────────────────────────────────────────────

  ticker(venue: string, symbol: string): Ticker | undefined {
    return this.tickers.ticker(venue, symbol, this.now);
  }

  currentCandle(venue: string, symbol: string, timeframe: Timeframe): Candle | undefined {
    const c = this.running()?.current(venue, symbol, timeframe);
    return c && this.withCarry(c);
  }

  pendingCandles(venue: string, symbol: string, timeframe: Timeframe): Candle[] {
    const mine = (c: Candle) =>
      c.timeframe === timeframe && c.symbol === symbol && c.venue === venue;
    return [...this.inFlight.filter(mine), ...this.pending.filter(mine)];
  }

  /**
   * Writes the closed candles held so far, one statement per batch; concurrent calls queue
   * behind each other. A failed batch is kept for the next attempt.
   */
  persist(): Promise<void> {
    this.writing = this.writing.then(async () => {
      while (this.pending.length) {
        this.inFlight = this.pending;
        this.pending = [];
        try {
          await this.o.write(this.inFlight);
        } catch (err) {
          this.pending = this.inFlight.concat(this.pending);
          this.trimBacklog();
          this.o.logger.error(
            { at: 'market#persist', err, held: this.pending.length },
            'could not write candles; will retry',
          );
          throw err;
        } finally {
          this.inFlight = [];
        }
      }
    });
    const done = this.writing;
    this.writing = done.catch(() => {});
    return done;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  private onTrade(t: Trade): void {
    if (this.o.candles === 'aggregate') this.closed(this.aggregator.onTrade(t));
    this.tickers.onTrade(t);
    if (this.replaying) {
      this.o.state.recordTrade(t);
      this.changedCandles.add(key(t.venue, t.symbol));
      return;
    }
    this.o.state.applyTrade(t);
    this.o.feed.publish(channels.trades(t.venue, t.symbol), tradeToWire(t));
    const k = key(t.venue, t.symbol);
    this.changedTickers.add(k);
    this.changedCandles.add(k);
  }

  private onBookTop(b: BookTop): void {
    this.tickers.onBookTop(b);
    if (this.replaying) return;
    this.o.state.applyBookTop(b);
    this.o.feed.publish(channels.book(b.venue, b.symbol), bookTopToWire(b));
    this.changedTickers.add(key(b.venue, b.symbol));
  }

  private onCandle(c: Candle): void {
    if (this.o.candles !== 'provided' || !c.closed) return;
    this.rollup ??= rollupFrom(c.timeframe);
    this.closed([c]);
    if (this.rollup) this.closed(this.rollup.onCandle(c));
    this.changedCandles.add(key(c.venue, c.symbol));
  }

  private running(): CandleAggregator | CandleRollup | undefined {
    return this.o.candles === 'aggregate' ? this.aggregator : this.rollup;
  }

  private withCarry(c: Candle): Candle {
    if (this.carried.size === 0) return c;
    const k = periodKey(c);
    const pre = this.carried.get(k);
    if (!pre) return c;
    if (c.closed) this.carried.delete(k);
    return joinCandles(pre, c);
  }

  private closed(candles: readonly Candle[]): void {
    for (const built of candles) {
      const c = this.withCarry(built);
      this.pending.push(c);
      this.o.feed.publish(channels.candles(c.venue, c.symbol, c.timeframe), candleToWire(c));
    }
  }

  private publishTickers(): void {
    for (const k of this.changedTickers) {
      const [venue, symbol] = split(k);
      const t = this.ticker(venue, symbol);
      if (t) this.o.feed.publish(channels.ticker(venue, symbol), tickerToWire(t));
    }
    this.changedTickers.clear();
  }

  private publishRunningCandles(): void {
    const running = this.running();
    if (running) {
      for (const k of this.changedCandles) {
        const [venue, symbol] = split(k);
        for (const built of running.currentAll(venue, symbol)) {
          const c = this.withCarry(built);
          this.o.feed.publish(channels.candles(venue, symbol, c.timeframe), candleToWire(c));
        }
      }
    }
    this.changedCandles.clear();
  }

  private trimBacklog(): void {
    const excess = this.pending.length - BACKLOG_CAP;
    if (excess <= 0) return;
    this.pending.splice(0, excess);
    this.dropped += excess;
    this.o.logger.error(
      { at: 'market#persist', dropped: this.dropped },
      'candle backlog full while the database is unreachable; oldest candles dropped',
    );
  }
}

/** Klines of one timeframe roll up into every longer timeframe that is a multiple of it. */
function rollupFrom(source: Timeframe): CandleRollup | undefined {
  const targets = TIMEFRAMES.filter(
    (t) => TIMEFRAME_MS[t] > TIMEFRAME_MS[source] && TIMEFRAME_MS[t] % TIMEFRAME_MS[source] === 0,
  );
  return targets.length ? new CandleRollup({ timeframes: targets, source }) : undefined;
}
