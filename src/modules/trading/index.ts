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
import { serveVenueCommands, VenueClient } from './remote.js';
import { AdvisoryLease, SoleLease, type Lease } from '../../platform/lease.js';
import type { Vault } from '../vault/index.js';
import { ExchangeLinker } from './live-link.js';
import { liveAccountRoutes } from './live-routes.js';
import { LiveVenues } from './live-venue.js';

/** How often the venue's leader says it is alive to the processes forwarding to it. */
const HEARTBEAT_MS = 1000;

export { tradingConfig, type TradingConfig } from './config.js';
export type {
  TradingService,
  PlaceInput,
  PlaceRequest,
  PlaceOutcome,
  AccountState,
  TransferInput,
} from './service.js';
export type { OrderView } from './views.js';
export type { MarketView, PaperVenue } from './venue.js';
export type { AccountSettings } from './accounts.js';
export type { EquitySnapshotter } from './snapshots.js';
export type { LiveVenues } from './live-venue.js';
export type { ConnectionView } from './live-status.js';
export type { InstrumentRules, MarketTop, MarketTrade, Order, Fill } from './domain/types.js';

export interface TradingModule extends ModuleRuntime {
  service: TradingService;
  /** The paper venue, while this process leads it. */
  readonly venue: PaperVenue | undefined;
  /** Account settings and equity history. */
  accounts: AccountSettings;
  /** Stores equity snapshots, while this process leads the venue. */
  readonly snapshots: EquitySnapshotter | undefined;
  /** Exchange accounts' connectors and orders, while this process leads the venue. */
  readonly live: LiveVenues | undefined;
  /** Contends for the venue; the leader restores working orders and serves commands. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Advisory lock key of the paper venue: 'obscuVEN' as an int8. */
const VENUE_LOCK_KEY = '8026104356935013710';

/**
 * Trading: accounts, OMS, risk, the paper venue, ledger and portfolio. Exactly one process
 * runs the venue (one matching engine holds the whole book): the embedded build's only
 * process, or the holder of a PostgreSQL advisory lock among the processes allowed to run it
 * (`runVenue`). Every other process forwards order commands to the leader over the live feed
 * and serves reads from the database.
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
  /** Opens the credentials of linked exchange accounts. */
  vault: Pick<Vault, 'decryptForExecution'>;
}): TradingModule {
  const instruments = deps.market.instruments();
  const books = new Books(instruments);
  let venue: PaperVenue | undefined;
  let snapshots: EquitySnapshotter | undefined;
  let live: LiveVenues | undefined;
  const remote =
    deps.feed?.kind === 'redis'
      ? new VenueClient({
          feed: deps.feed,
          timeoutMs: deps.config.commandTimeoutMs,
          staleMs: 3 * HEARTBEAT_MS,
        })
      : undefined;
  const service = new TradingService({
    ...deps,
    books,
    instruments,
    venue: () => venue,
    remote,
    lastPrice: (v, s) => deps.market.lastPrice?.(v, s),
    live: () => live,
  });
  const accounts = new AccountSettings(deps);
  const linker = new ExchangeLinker(deps);
  const lease: Lease | undefined = !deps.runVenue
    ? undefined
    : deps.database.kind === 'pglite'
      ? new SoleLease()
      : new AdvisoryLease(deps.database, deps.logger, {
          key: VENUE_LOCK_KEY,
          name: 'paper venue',
          at: 'trading#lease',
        });

  async function lead(): Promise<() => Promise<void>> {
    const v = new PaperVenue({ ...deps, books, instruments, feed: deps.feed });
    await v.start(deps.market);
    const s = new EquitySnapshotter({
      ...deps,
      books,
      venue: v,
      intervalMs: deps.config.snapshotIntervalMs,
    });
    s.start();
    const l = new LiveVenues({ ...deps, books, risk: service.risk, marks: () => v.marks() });
    await l.start();
    venue = v;
    snapshots = s;
    live = l;
    const stopServing =
      deps.feed?.kind === 'redis'
        ? serveVenueCommands({
            feed: deps.feed,
            logger: deps.logger,
            heartbeatMs: HEARTBEAT_MS,
            handle: (op, userId, args) => service.execute(op, userId, args),
          })
        : undefined;
    return async () => {
      stopServing?.();
      venue = undefined;
      snapshots = undefined;
      live = undefined;
      await l.stop();
      await s.stop();
      await v.stop();
    };
  }

  return {
    name: 'trading',
    service,
    get venue() {
      return venue;
    },
    accounts,
    get snapshots() {
      return snapshots;
    },
    get live() {
      return live;
    },
    consumers: [
      paperAccountConsumer({
        amount: demoBalance(deps.config),
        clock: deps.clock,
      }),
    ],
    routes: async (app: HttpServer) => {
      await tradingRoutes(app, service);
      await accountRoutes(app, accounts);
      await liveAccountRoutes(app, linker, service);
    },
    async start() {
      remote?.open();
      await lease?.start(lead);
    },
    async stop() {
      await lease?.stop();
      remote?.close();
    },
  };
}
