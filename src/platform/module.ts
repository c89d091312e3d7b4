import type { Clock } from '../core/clock.js';
import type { EventBus, ConsumerSpec } from './bus/types.js';
import type { Outbox } from './bus/outbox.js';
import type { Database } from './db/database.js';
import type { HttpServer } from './http/server.js';
import type { Logger } from './logging/logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { RateLimiter } from './ratelimit/types.js';

/** What the composition root hands to every module. */
export interface PlatformContext {
  database: Database;
  bus: EventBus;
  outbox: Outbox;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  rateLimiter: RateLimiter;
}

export type Role = 'api' | 'worker' | 'all';

/**
 * A module plugs into the process through this shape: HTTP routes for the api role, consumers
 * for the worker role, and optional background work with a clean stop.
 */
export interface ModuleRuntime {
  name: string;
  routes?(app: HttpServer): Promise<void> | void;
  consumers?: ConsumerSpec[];
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}
