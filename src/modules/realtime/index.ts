import type { Feed } from '../../platform/feed/index.js';
import type { HttpServer } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { ModuleRuntime } from '../../platform/module.js';
import type { RealtimeConfig } from './config.js';
import type { Authenticator } from './connection.js';
import { Gateway } from './gateway.js';

export { realtimeConfig, type RealtimeConfig } from './config.js';
export { CLOSE, type Authenticator } from './connection.js';
export { Gateway, WS_PATH } from './gateway.js';
export {
  DECISIONS,
  PRIVATE_KINDS,
  PUBLIC_KINDS,
  TIMEFRAMES,
  type ChannelKind,
  type DecisionFilter,
  type ClientFrame,
  type ErrorCode,
  type ErrorFrame,
  type ServerFrame,
} from './protocol.js';

export interface RealtimeModule extends ModuleRuntime {
  gateway: Gateway;
}

/**
 * The WebSocket gateway as a module: it serves `/ws` wherever HTTP routes are served and
 * relays the live feed to subscribed clients.
 *
 * @example
 * const realtime = createRealtimeModule({ feed, auth: identity.service, config, logger, metrics });
 * await realtime.routes?.(http);
 */
export function createRealtimeModule(deps: {
  feed: Feed;
  auth: Authenticator;
  config: RealtimeConfig;
  logger: Logger;
  metrics: Metrics;
}): RealtimeModule {
  const gateway = new Gateway(deps);
  return {
    name: 'realtime',
    gateway,
    routes: (http: HttpServer) => gateway.register(http),
    stop: () => gateway.stop(),
  };
}
