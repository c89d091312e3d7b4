/**
 * The live feed: ephemeral, real-time messages (market ticks, order and balance updates for
 * screens) fanned out to every process, fire-and-forget. Unlike the event bus it keeps
 * nothing: a process that is down misses messages, which is right for live views, since the
 * state they show is always readable from the database or the market cache.
 *
 * Embedded: in-process. Distributed: Redis pub/sub, so a fill in a worker reaches a WebSocket
 * client connected to another process.
 */
export interface Feed {
  readonly kind: 'memory' | 'redis';
  /** Publishes `data` (JSON-serialisable; Decimals serialise as strings) on `channel`. */
  publish(channel: string, data: unknown): void;
  /**
   * Receives every message whose channel starts with `prefix` (use '' for all), published by
   * this or any other process. Returns an unsubscribe function.
   */
  subscribe(prefix: string, handler: (channel: string, data: unknown) => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
