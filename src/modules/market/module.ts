import type { Clock } from '../../core/clock.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { HttpServer } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { ModuleRuntime } from '../../platform/module.js';
import type { MarketConfig } from './config.js';
import { marketRoutes } from './routes.js';
import { MarketService, type MarketServiceDeps, type MarketStatus } from './service.js';
import type { MarketView } from './state.js';

export interface MarketModule extends ModuleRuntime {
  service: MarketService;
  /** The catalogue and latest prices, for other modules in this process. */
  view: MarketView;
  start(): Promise<void>;
  stop(): Promise<void>;
  routes(app: HttpServer): Promise<void>;
  status(): MarketStatus;
}

export interface MarketModuleDeps {
  database: Database;
  feed: Feed;
  clock: Clock;
  logger: Logger;
  config: MarketConfig;
  /** Roles `all` and `worker` may run the source (one process at a time); `api` never does. */
  runsSource: boolean;
  timing?: MarketServiceDeps['timing'];
  live?: MarketServiceDeps['live'];
}

/**
 * Builds the market module for the composition root. A replay configuration is checked here,
 * so a missing file stops start-up naming MARKET_REPLAY_FILE.
 *
 * @example
 * const market = createMarketModule({ database, feed, clock, logger, config, runsSource: role !== 'api' });
 * await market.routes(http);
 * await market.start();
 * market.view.onTrade((t) => paperVenue.onTrade(t));
 */
export function createMarketModule(deps: MarketModuleDeps): MarketModule {
  const service = new MarketService(deps);
  return {
    name: 'market',
    service,
    view: service.view,
    start: () => service.start(),
    stop: () => service.stop(),
    routes: (app) => marketRoutes(app, service),
    status: () => service.status(),
  };
}
