import type { HttpServer } from '../../platform/http/index.js';
import type { ModuleRuntime } from '../../platform/module.js';
import { fanoutConsumer } from './consumer.js';
import { copyRoutes } from './routes.js';
import { CopyService, type CopyDeps } from './service.js';

export { copyConfig, type CopyConfig } from './config.js';
export type { CopyService, CopyMarket } from './service.js';
export type { Fanout } from './store-fanout.js';

export interface CopyModule extends ModuleRuntime {
  service: CopyService;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Copy trading: leader profiles, follows, the fan-out of leader fills to followers, drawdown
 * stops, fees and the leaderboard (see README.md). Its consumer runs where consumers run; its
 * background work where the paper venue runs.
 */
export function createCopyModule(deps: CopyDeps): CopyModule {
  const service = new CopyService(deps);
  return {
    name: 'copy',
    service,
    consumers: [fanoutConsumer({ directory: service.directory, executor: service.fanout })],
    routes: (app: HttpServer) => copyRoutes(app, service),
    start: () => service.start(),
    stop: () => service.stop(),
  };
}
