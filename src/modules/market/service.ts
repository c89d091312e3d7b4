import type { Clock } from '../../core/clock.js';
import type { Decimal } from '../../core/decimal.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import { partialsBefore } from './carry.js';
import {
  livePlan,
  replayPlan,
  type LivePlan,
  type MarketConfig,
  type ReplayPlan,
} from './config.js';
import {
  defaultSyntheticInstruments,
  paperInstruments,
  PAPER_VENUE,
  type SyntheticInstrument,
} from './domain/catalogue.js';
import type { Instrument } from './domain/instrument.js';
import {
  periodStart,
  TIMEFRAME_MS,
  TIMEFRAMES,
  type Candle,
  type Timeframe,
} from './domain/types.js';
import { unknownVenue } from './errors.js';
import { MarketIngest } from './ingest.js';
import { AdvisoryLease, SoleLease, type SourceLease } from './lease.js';
import type { MarketSource, SourceProgress } from './source.js';
import { CcxtMarketSource, type CcxtSourceOptions } from './source-ccxt.js';
import { ReplaySource } from './source-replay.js';
import { SyntheticSource } from './source-synthetic.js';
import { MarketState, type MarketView } from './state.js';
import {
  deactivateOthers,
  findCandles,
  latestCandles,
  upsertCandles,
  upsertInstruments,
} from './store.js';
import { bookTopFromWire, candleFromWire, tickerFromWire, tradeFromWire } from './wire.js';

export interface MarketServiceDeps {
  database: Database;
  feed: Feed;
  clock: Clock;
  logger: Logger;
  config: MarketConfig;
  /** Whether this process may run the source: roles `all` and `worker`, never `api`. */
  runsSource: boolean;
  /** Defaults to the sole lease on the embedded database, an advisory lock on PostgreSQL. */
  lease?: SourceLease;
  /** Pacing of the synthetic source and of the ingest timers (tests shorten them). */
  timing?: { pollMs?: number; persistMs?: number; tickerMs?: number; candleMs?: number };
  /** Endpoints and pacing of the live source beyond the configuration (tests shorten them). */
  live?: Partial<
    Pick<
      CcxtSourceOptions,
      'urls' | 'exchangeOptions' | 'backoff' | 'maxWatchFailures' | 'retryWatchMs' | 'gapMs'
    >
  >;
}

export interface CandleQuery {
  venue: string;
  symbol: string;
  timeframe: Timeframe;
  /** Inclusive bounds on the open time, epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
}

export interface MarketStatus {
  source: 'synthetic' | 'replay' | 'ccxt' | 'none';
  /** Whether this process runs the source now. */
  leading: boolean;
  progress?: SourceProgress;
  /** Why the source stopped, if it failed (a bad line in a replayed file, say). */
  error?: string;
}

/** Where a restarted synthetic market picks up, per the candles already stored. */
export interface ResumePoint {
  startTime: number;
  lastClose: Map<string, Decimal>;
  /** Stored parts of the periods running at `startTime`, to join to the new candles. */
  partials: Candle[];
}

/**
 * The market module's engine: the instrument catalogue, the latest state every process keeps
 * (`view`), the source with its candle pipeline where this process leads, and history queries.
 */
export class MarketService {
  readonly state: MarketState;
  private readonly catalogue: Instrument[];
  private readonly lease: SourceLease;
  private readonly replay: ReplayPlan | undefined;
  private readonly live: LivePlan | undefined;
  private source: MarketSource | undefined;
  private ingest: MarketIngest | undefined;
  private unfollow: (() => void) | undefined;
  private failure: unknown;
  private started = false;
  private stopping = false;

  constructor(private readonly d: MarketServiceDeps) {
    const { config } = d;
    this.replay = d.runsSource && config.marketSource === 'replay' ? replayPlan(config) : undefined;
    this.catalogue = paperInstruments().filter((i) => config.marketSymbols.includes(i.symbol));
    const r = this.replay;
    if (r && !this.catalogue.some((i) => i.venue === r.venue && i.symbol === r.symbol)) {
      this.catalogue.push(...paperInstruments(r.venue).filter((i) => i.symbol === r.symbol));
    }
    this.live = d.runsSource && config.marketSource === 'ccxt' ? livePlan(config) : undefined;
    // Every process, leading or following, must know the venue live data is published under.
    const liveVenue = config.marketSource === 'ccxt' ? config.marketLiveVenue : undefined;
    if (liveVenue && liveVenue !== PAPER_VENUE) {
      this.catalogue.push(
        ...paperInstruments(liveVenue).filter((i) => config.marketSymbols.includes(i.symbol)),
      );
    }
    this.state = new MarketState(this.catalogue, d.logger);
    this.lease =
      d.lease ??
      (d.database.kind === 'pglite' ? new SoleLease() : new AdvisoryLease(d.database, d.logger));
  }

  get view(): MarketView {
    return this.state;
  }

  /** Seeds the catalogue, follows the feed, and contends for the source where allowed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const at = this.d.clock.date();
    await upsertInstruments(this.d.database.db, this.catalogue, at);
    for (const venue of this.state.venues()) {
      const keep = this.catalogue.filter((i) => i.venue === venue).map((i) => i.symbol);
      await deactivateOthers(this.d.database.db, venue, keep, at);
    }
    this.follow();
    if (this.d.runsSource && this.d.config.marketSource !== 'none')
      await this.lease.start(() => this.lead());
  }

  /** Stops the source (writing every closed candle it holds) and the feed subscription. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.lease.stop();
    this.unfollow?.();
    this.unfollow = undefined;
  }

  status(): MarketStatus {
    const progress = this.source?.progress();
    return {
      source: this.d.config.marketSource as MarketStatus['source'],
      leading: this.lease.leading,
      ...(progress ? { progress } : {}),
      ...(this.failure === undefined ? {} : { error: String(messageOf(this.failure)) }),
    };
  }

  /**
   * Brings a clock-paced source up to the clock and writes every closed candle: what the
   * timers would do within a second, at once (tests on a simulated clock, tools).
   */
  async sync(): Promise<void> {
    if (!this.source || !this.ingest) return;
    this.source.catchUp?.(this.ingest);
    await this.ingest.persist();
  }

  listInstruments(venue?: string, field = 'querystring:/venue'): Instrument[] {
    if (venue !== undefined && !this.state.venues().includes(venue))
      throw unknownVenue(venue, field, this.state.venues());
    return this.state.instruments(venue);
  }

  /**
   * Candles of one series, oldest first: stored history plus what is only in memory (the
   * running candle, and closed ones not yet written). With `from`, the first `limit` from
   * there; otherwise the latest `limit` up to `to`.
   */
  async candles(q: CandleQuery): Promise<Candle[]> {
    const order = q.from !== undefined ? 'asc' : 'desc';
    const stored = await findCandles(this.d.database.db, { ...q, order });
    const byOpen = new Map<number, Candle>();
    for (const c of stored) byOpen.set(c.openTime, c);
    for (const c of this.state.recentCandles(q.venue, q.symbol, q.timeframe)) {
      const inRange =
        (q.from === undefined || c.openTime >= q.from) &&
        (q.to === undefined || c.openTime <= q.to);
      if (inRange && !byOpen.has(c.openTime)) byOpen.set(c.openTime, c);
    }
    const all = [...byOpen.values()].sort((a, b) => a.openTime - b.openTime);
    return order === 'asc' ? all.slice(0, q.limit) : all.slice(-q.limit);
  }

  /** Where a synthetic market resumes: after every stored candle, from the last close. */
  async resumePoint(venue: string, symbols: readonly string[]): Promise<ResumePoint> {
    let startTime = this.d.clock.now();
    const lastClose = new Map<string, Decimal>();
    for (const symbol of symbols) {
      let newest: Candle | undefined;
      for (const c of await latestCandles(this.d.database.db, venue, symbol, TIMEFRAMES)) {
        if (!newest || c.closeTime > newest.closeTime) newest = c;
      }
      if (!newest) continue;
      startTime = Math.max(startTime, newest.openTime + TIMEFRAME_MS[newest.timeframe]);
      lastClose.set(symbol, newest.close);
    }
    const partials: Candle[] = [];
    for (const symbol of lastClose.keys()) {
      const minutes = await findCandles(this.d.database.db, {
        venue,
        symbol,
        timeframe: '1m',
        from: periodStart('1d', startTime),
        to: startTime - 1,
        limit: 1440,
        order: 'asc',
      });
      partials.push(...partialsBefore(minutes, startTime));
    }
    return { startTime, lastClose, partials };
  }

  // ── leading ─────────────────────────────────────────────────────────────────────────────

  private async lead(): Promise<() => Promise<void>> {
    this.failure = undefined;
    const { source, partials } = await this.createSource();
    const ingest = new MarketIngest({
      write: (candles) => upsertCandles(this.d.database.db, candles),
      feed: this.d.feed,
      state: this.state,
      logger: this.d.logger,
      candles: source.candles,
      persistIntervalMs: this.d.timing?.persistMs,
      tickerIntervalMs: this.d.timing?.tickerMs,
      candleIntervalMs: this.d.timing?.candleMs,
    });
    ingest.carry(partials);
    // Leading: this process's own data is fresher than its echo on the feed.
    this.unfollow?.();
    this.unfollow = undefined;
    this.state.live = ingest;
    this.source = source;
    this.ingest = ingest;
    ingest.start();
    const abort = new AbortController();
    const log = this.d.logger;
    const running = source.run(ingest, abort.signal).then(
      async () => {
        if (abort.signal.aborted) return;
        await ingest.persist().catch(() => {});
        log.info({ at: 'market#source', ...source.progress() }, `${source.kind} source finished`);
      },
      (err: unknown) => {
        this.failure = err;
        log.error({ at: 'market#source', err }, `${source.kind} source failed`);
      },
    );
    log.info(
      { at: 'market#source', source: source.kind, ...source.progress() },
      `${source.kind} market source started`,
    );
    return async () => {
      abort.abort();
      await running;
      await ingest.stop();
      this.state.live = undefined;
      this.source = undefined;
      this.ingest = undefined;
      if (!this.stopping) this.follow();
    };
  }

  private async createSource(): Promise<{ source: MarketSource; partials: Candle[] }> {
    const { config, clock } = this.d;
    if (this.replay) return { source: new ReplaySource({ ...this.replay, clock }), partials: [] };
    if (this.live) {
      const { urls, ...rest } = this.d.live ?? {};
      const source = new CcxtMarketSource({
        exchange: this.live.exchange,
        venue: this.live.venue,
        symbols: this.live.symbols,
        pollMs: this.live.pollMs,
        logger: this.d.logger,
        ...rest,
        ...(this.live.urls || urls ? { urls: { ...this.live.urls, ...urls } } : {}),
      });
      // Live candles are the exchange's own; nothing is carried across a restart.
      return { source, partials: [] };
    }
    const symbols = this.catalogue.filter((i) => i.venue === PAPER_VENUE).map((i) => i.symbol);
    const resume = await this.resumePoint(PAPER_VENUE, symbols);
    const instruments: SyntheticInstrument[] = defaultSyntheticInstruments(PAPER_VENUE)
      .filter((s) => symbols.includes(s.instrument.symbol))
      .map((s) => {
        const close = resume.lastClose.get(s.instrument.symbol);
        return close ? { ...s, startPrice: close } : s;
      });
    // Only a first start makes history up: after that the stored candles are the history, and
    // filling a later gap would write a past the market never showed while it was up.
    const backfillFrom =
      resume.lastClose.size === 0 && config.marketBackfill > 0
        ? periodStart('1m', resume.startTime - config.marketBackfill)
        : undefined;
    const pathStart = backfillFrom ?? resume.startTime;
    this.d.logger.info(
      {
        at: 'market#resume',
        startTime: new Date(resume.startTime).toISOString(),
        resumed: [...resume.lastClose.keys()],
        ...(backfillFrom === undefined
          ? {}
          : { backfillFrom: new Date(backfillFrom).toISOString() }),
      },
      backfillFrom === undefined
        ? 'synthetic market resumes after the stored candles'
        : 'synthetic market starts: making up its recent history first, in the background',
    );
    const source = new SyntheticSource({
      instruments,
      // A new path on every start (a repeat would show as a visible replay), yet reproducible.
      seed: `${config.marketSeed}@${pathStart}`,
      startTime: resume.startTime,
      ...(backfillFrom === undefined
        ? {}
        : { backfillFrom, onBackfill: this.backfillLog(backfillFrom, resume.startTime) }),
      clock,
      speed: config.marketSpeed,
      intervalMs: this.d.timing?.pollMs,
      onSkip: (from, to) =>
        this.d.logger.warn(
          {
            at: 'market#synthetic',
            from: new Date(from).toISOString(),
            minutes: (to - from) / 60_000,
          },
          'the clock jumped ahead; the synthetic market skips the gap instead of simulating it',
        ),
    });
    return { source, partials: resume.partials };
  }

  /** Logs a backfill at each quarter of the way and when it ends, with the time it took. */
  private backfillLog(from: number, to: number): (reached: number, done: boolean) => void {
    const log = this.d.logger;
    // Elapsed wall time is only reported, never used: the clock stays the market's pace.
    const began = performance.now();
    let quarter = 0;
    const hours = Math.round((to - from) / 36_000) / 100;
    return (reached, done) => {
      const share = Math.min(1, (reached - from) / (to - from));
      const ms = Math.round(performance.now() - began);
      if (done) {
        log.info(
          { at: 'market#backfill', hours, ms, reached: new Date(reached).toISOString() },
          `market history backfilled (${hours} h in ${(ms / 1000).toFixed(1)} s); the synthetic market is live`,
        );
        return;
      }
      if (share < (quarter + 1) / 4 || share >= 1) return;
      quarter = Math.floor(share * 4);
      log.info(
        { at: 'market#backfill', percent: quarter * 25, ms },
        `backfilling market history: ${quarter * 25} %`,
      );
    };
  }

  // ── following ───────────────────────────────────────────────────────────────────────────

  private follow(): void {
    if (this.unfollow || this.state.live) return;
    this.unfollow = this.d.feed.subscribe('md.', (channel, data) => this.onFeed(channel, data));
  }

  private onFeed(channel: string, data: unknown): void {
    if (this.state.live) return;
    const s = this.state;
    const known = (x: { venue: string; symbol: string } | undefined) =>
      x !== undefined && s.instrument(x.venue, x.symbol) !== undefined;
    switch (channel.slice(3, channel.indexOf('.', 3))) {
      case 'trades': {
        const t = tradeFromWire(data);
        if (known(t)) s.applyTrade(t!);
        return;
      }
      case 'book': {
        const b = bookTopFromWire(data);
        if (known(b)) s.applyBookTop(b!);
        return;
      }
      case 'ticker': {
        const t = tickerFromWire(data);
        if (known(t)) s.applyTicker(t!);
        return;
      }
      case 'candles': {
        const c = candleFromWire(data);
        if (known(c)) s.applyCandle(c!);
        return;
      }
    }
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : err);
