import type { Clock } from '../../core/clock.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { HttpServer } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { ModuleRuntime } from '../../platform/module.js';
import { accountRoutes } from './account-routes.js';
import { AccountSettings } from './accounts.js';
import { Books } from './books.js';
import { demoBalance, type TradingConfig } from './config.js';
import { paperAccountConsumer } from './provisioning.js';
import { tradingRoutes } from './routes.js';
import { TradingService } from './service.js';
import { EquitySnapshotter } from './snapshots.js';
import { PaperVenue, type MarketView } from './venue.js';

export { tradingConfig, type TradingConfig } from './config.js';
export type { TradingService, PlaceInput } from './service.js';
export type { MarketView, PaperVenue } from './venue.js';
export type { AccountSettings } from './accounts.js';
export type { EquitySnapshotter } from './snapshots.js';
export type { InstrumentRules, MarketTop, MarketTrade, Order, Fill } from './domain/types.js';

export interface TradingModule extends ModuleRuntime {
  service: TradingService;
  /** The paper venue, present in the process that runs it (role all). */
  venue: PaperVenue | undefined;
  /** Account settings and equity history. */
  accounts: AccountSettings;
  /** Stores equity snapshots, present where the venue runs. */
  snapshots: EquitySnapshotter | undefined;
  /** Restores working orders, connects the venue to the market and starts equity snapshots. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Trading: accounts, OMS, risk, the paper venue, ledger and portfolio. The venue (one matching
 * engine fed by the market in-process) runs only where `runVenue` is set; other processes
 * serve reads and refuse order commands with 503.
 */
export function createTradingModule(deps: {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  config: TradingConfig;
  market: MarketView;
  feed?: Feed | undefined;
  runVenue: boolean;
}): TradingModule {
  const instruments = deps.market.instruments();
  const books = new Books(instruments);
  const venue = deps.runVenue
    ? new PaperVenue({ ...deps, books, instruments, feed: deps.feed })
    : undefined;
  const service = new TradingService({ ...deps, books, instruments, venue });
  const accounts = new AccountSettings(deps);
  const snapshots = venue
    ? new EquitySnapshotter({ ...deps, books, venue, intervalMs: deps.config.snapshotIntervalMs })
    : undefined;
  return {
    name: 'trading',
    service,
    venue,
    accounts,
    snapshots,
    consumers: [
      paperAccountConsumer({
        amount: demoBalance(deps.config),
        clock: deps.clock,
        append: (tx, events) => deps.outbox.append(tx, events),
      }),
    ],
    routes: async (app: HttpServer) => {
      await tradingRoutes(app, service);
      await accountRoutes(app, accounts);
    },
    async start() {
      await venue?.start(deps.market);
      snapshots?.start();
    },
    async stop() {
      await snapshots?.stop();
      await venue?.stop();
    },
  };
}
