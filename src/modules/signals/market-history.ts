/**
 * The closed candles enrichment reads, kept in memory per instrument and timeframe: loaded
 * from the market module when the process starts, then kept current from the live feed, where
 * every closed candle is published. Enrichment therefore reads no database: it runs inside
 * its stage's transaction, which on the embedded database holds the only connection.
 */
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import {
  TIMEFRAMES,
  type Candle,
  type CandleQuery,
  type CandleWire,
  type MarketView,
  type Timeframe,
} from '../market/index.js';
import type { Bar } from './domain/enrich.js';

export interface CandleSource {
  candles(q: CandleQuery): Promise<Candle[]>;
}

const key = (venue: string, symbol: string, tf: string) => `${venue}\u0000${symbol}\u0000${tf}`;
/** A series found wanting is reloaded at most this often. */
const RELOAD_EVERY_MS = 10_000;

export class MarketHistory {
  private readonly series = new Map<string, Bar[]>();
  private readonly reloadedAt = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: {
      feed: Feed;
      view: MarketView;
      source: CandleSource;
      logger: Logger;
      capacity: number;
    },
  ) {}

  /** Follows closed candles on the feed, then loads the stored history of every series. */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.feed.subscribe('md.candles.', (_channel, data) =>
      this.onCandle(data as CandleWire),
    );
    for (const i of this.deps.view.instruments())
      for (const tf of TIMEFRAMES) await this.load(i.venue, i.symbol, tf);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The closed candles held for a series, oldest first (at most `capacity`). */
  bars(venue: string, symbol: string, timeframe: string): readonly Bar[] {
    return this.series.get(key(venue, symbol, timeframe)) ?? [];
  }

  /**
   * Reloads a series in the background (a gap, too short a history): the feed may have
   * started after candles the database already had, or a candle may have been lost in transit.
   */
  refresh(venue: string, symbol: string, timeframe: Timeframe, now: number): void {
    const k = key(venue, symbol, timeframe);
    if (now - (this.reloadedAt.get(k) ?? 0) < RELOAD_EVERY_MS) return;
    this.reloadedAt.set(k, now);
    void this.load(venue, symbol, timeframe);
  }

  /** Adds a closed candle (or replaces the one of the same period), keeping time order. */
  add(bar: Bar, venue: string, symbol: string, timeframe: string): void {
    const k = key(venue, symbol, timeframe);
    let list = this.series.get(k);
    if (!list) this.series.set(k, (list = []));
    const last = list.at(-1);
    if (!last || bar.openTime > last.openTime) list.push(bar);
    else {
      const i = list.findIndex((b) => b.openTime >= bar.openTime);
      if (list[i]!.openTime === bar.openTime) list[i] = bar;
      else list.splice(i, 0, bar);
    }
    if (list.length > this.deps.capacity) list.splice(0, list.length - this.deps.capacity);
  }

  private async load(venue: string, symbol: string, timeframe: Timeframe): Promise<void> {
    try {
      const candles = await this.deps.source.candles({
        venue,
        symbol,
        timeframe,
        limit: this.deps.capacity + 1,
      });
      for (const c of candles) if (c.closed) this.add(barOf(c), venue, symbol, timeframe);
    } catch (err) {
      this.deps.logger.warn(
        { at: 'signals#history', venue, symbol, timeframe, err },
        'could not load candle history',
      );
    }
  }

  private onCandle(w: CandleWire): void {
    if (!w?.closed || !this.deps.view.instrument(w.venue, w.symbol)) return;
    const bar: Bar = {
      openTime: w.openTime,
      closeTime: w.closeTime,
      open: Number(w.open),
      high: Number(w.high),
      low: Number(w.low),
      close: Number(w.close),
      volume: Number(w.volume),
    };
    if ([bar.open, bar.high, bar.low, bar.close, bar.volume].every(Number.isFinite))
      this.add(bar, w.venue, w.symbol, w.timeframe);
  }
}

const barOf = (c: Candle): Bar => ({
  openTime: c.openTime,
  closeTime: c.closeTime,
  open: c.open.toNumber(),
  high: c.high.toNumber(),
  low: c.low.toNumber(),
  close: c.close.toNumber(),
  volume: c.volume.toNumber(),
});
