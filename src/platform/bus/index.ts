export * from './types.js';
export * from './outbox.js';
export { retryDelay, retryCeiling, MAX_RETRY_DELAY_MS } from './backoff.js';
export {
  consumerTransaction,
  deliverBatch,
  deliverOnce,
  describeError,
  type ConsumerTransaction,
  type InboxOutcome,
} from './inbox.js';
export { MemoryBus, BusClosedError, type MemoryBusOptions } from './memory-bus.js';
export { RedisBus, type RedisBusOptions } from './redis-bus.js';
export { createBus, collectBusMetrics, type CreateBusOptions } from './create-bus.js';
export { OutboxRelay, type OutboxRelayOptions } from './relay.js';
