import type { Logger } from 'pino';
import type { Database } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { MemoryBus } from './memory-bus.js';
import type { Outbox } from './outbox.js';
import { RedisBus } from './redis-bus.js';
import type { EventBus } from './types.js';

export interface CreateBusOptions {
  /** Redis Streams when set; the in-process bus otherwise. */
  redisUrl?: string | undefined;
  redisPrefix: string;
  database: Database;
  logger: Logger;
  metrics: Metrics;
  maxAttempts: number;
  retryBaseMs: number;
  claimIdleMs: number;
  /** This process's consumer name in Redis consumer groups; unique by default. */
  consumerName?: string;
  /**
   * The deployment's outbox: consumer transactions run through it, so that the events a
   * handler emits are handed to the relay at commit instead of waiting for its poll.
   */
  outbox?: Outbox;
}

/** The event bus for a deployment: distributed with a Redis URL, embedded without one. */
export async function createBus(opts: CreateBusOptions): Promise<EventBus> {
  const common = {
    db: opts.database.db,
    logger: opts.logger,
    metrics: opts.metrics,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    ...(opts.outbox ? { outbox: opts.outbox } : {}),
  };
  if (!opts.redisUrl) return new MemoryBus(common);
  return RedisBus.connect({
    ...common,
    redisUrl: opts.redisUrl,
    prefix: opts.redisPrefix,
    claimIdleMs: opts.claimIdleMs,
    ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
  });
}

/**
 * Copies consumer lag, pending counts and the dead-letter count into the Prometheus gauges.
 * Series of consumers that are gone are dropped, so the gauges describe this moment only.
 */
export async function collectBusMetrics(bus: EventBus, metrics: Metrics): Promise<void> {
  const [lags, dead] = await Promise.all([bus.consumerLag(), bus.deadLetterCount()]);
  metrics.consumerLag.reset();
  metrics.consumerPending.reset();
  for (const l of lags) {
    metrics.consumerLag.set({ consumer: l.consumer, topic: l.topic }, l.lag);
    metrics.consumerPending.set({ consumer: l.consumer, topic: l.topic }, l.pending);
  }
  metrics.deadLetters.set(dead);
}
