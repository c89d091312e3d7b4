import type { Clock } from '../../core/clock.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { InstrumentRules, TradingService } from '../trading/index.js';
import type { Decimal } from '../../core/decimal.js';
import { WEEKLY_SETTLEMENT } from './domain/index.js';
import { DrawdownGuard } from './closes.js';
import type { CopyConfig } from './config.js';
import type { Pricing } from './context.js';
import { LeaderDirectory } from './directory.js';
import { FanoutExecutor } from './fanout.js';
import { FeeSettler } from './fees.js';
import { FollowService } from './follows.js';
import { Leaderboard } from './leaderboard.js';
import { LeaderService } from './leaders.js';

/** What copy trading needs of the market: the catalogue and, where known, the book top. */
export interface CopyMarket {
  instrument(venue: string, symbol: string): InstrumentRules | undefined;
  bookTop?(venue: string, symbol: string): { bidPrice: Decimal; askPrice: Decimal } | undefined;
}

export interface CopyDeps {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  config: CopyConfig;
  trading: TradingService;
  market: CopyMarket;
  feed?: Feed | undefined;
}

/**
 * Copy trading's parts, wired: profiles and follows (the API), the fan-out that copies fills,
 * the drawdown stop, fee settlement and the leaderboard. The background work — resuming
 * stalled fan-outs, checking drawdown stops, settling fees — runs in the process that runs
 * the paper venue, like the equity snapshots.
 */
export class CopyService {
  readonly directory: LeaderDirectory;
  readonly fanout: FanoutExecutor;
  readonly drawdown: DrawdownGuard;
  readonly fees: FeeSettler;
  readonly leaders: LeaderService;
  readonly follows: FollowService;
  readonly leaderboard: Leaderboard;
  private readonly timers: NodeJS.Timeout[] = [];
  private recovering: Promise<number> | undefined;
  private checking: Promise<number> | undefined;

  constructor(private readonly deps: CopyDeps) {
    const { config, trading, market } = deps;
    const pricing = (): Pricing => ({
      marks: trading.markPrices(),
      // An exchange account's instruments are its exchange's, as the trading module read them.
      instrument: (venue, symbol) =>
        market.instrument(venue, symbol) ?? trading.exchangeInstrument(venue, symbol),
      bookTop: (venue, symbol) => market.bookTop?.(venue, symbol),
    });
    this.directory = new LeaderDirectory({ ...deps, refreshMs: config.copyDirectoryRefreshMs });
    this.fanout = new FanoutExecutor({
      ...deps,
      pricing,
      chunk: config.copyFanoutChunk,
      onPositions: (rows, positions) => this.drawdown.checkMoved(rows, positions),
    });
    this.drawdown = new DrawdownGuard({ ...deps, pricing, lanes: this.fanout.lanes });
    this.fees = new FeeSettler({
      ...deps,
      pricing,
      schedule: { periodMs: config.copyFeePeriodMs, anchorMs: WEEKLY_SETTLEMENT.anchorMs },
    });
    this.leaders = new LeaderService({ ...deps, directory: this.directory });
    this.follows = new FollowService({
      ...deps,
      pricing,
      lanes: this.fanout.lanes,
      fees: this.fees,
      maxLeaders: config.copyMaxLeaders,
    });
    this.leaderboard = new Leaderboard({ ...deps, cacheMs: config.copyLeaderboardCacheMs });
  }

  async start(): Promise<void> {
    await this.directory.start();
    this.fees.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    const { copyRecoveryMs, copyDrawdownCheckMs } = this.deps.config;
    every(Math.min(Math.max(copyRecoveryMs / 2, 100), 5000), () => void this.recover());
    every(copyDrawdownCheckMs, () => void this.checkDrawdowns());
    void this.recover();
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.directory.stop();
    await this.fees.stop();
    await Promise.all([this.recovering, this.checking]);
    await this.idle();
  }

  /** Resolves once the fan-outs and closes queued in this process so far are done. */
  idle(): Promise<void> {
    return this.fanout.lanes.idle();
  }

  /** Resumes fan-outs a dead process left unfinished; only where the venue runs. */
  recover(): Promise<number> {
    if (!this.deps.trading.leadsVenue()) return Promise.resolve(0);
    this.recovering ??= this.fanout
      .recover(this.deps.config.copyRecoveryMs)
      .catch((err: unknown) => {
        this.deps.logger.error({ at: 'copy#recover', err }, 'stalled fan-outs not resumed');
        return 0;
      })
      .finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  /** Checks every drawdown stop at the current prices; only where the venue runs. */
  checkDrawdowns(): Promise<number> {
    if (!this.deps.trading.leadsVenue()) return Promise.resolve(0);
    this.checking ??= this.drawdown
      .checkAll()
      .catch((err: unknown) => {
        this.deps.logger.error({ at: 'copy#drawdown', err }, 'drawdown stops not checked');
        return 0;
      })
      .finally(() => (this.checking = undefined));
    return this.checking;
  }
}
