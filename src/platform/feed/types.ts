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
  subscribe(
    prefix: string,
    handler: (channel: string, data: unknown) => void,
    options?: SubscribeOptions,
  ): () => void;
  /**
   * Whether a message on `channel` published now could reach any subscriber. False only when
   * the feed knows nobody would receive it, so a publisher may skip building a message (an
   * account update for a user with no screen open). A feed that cannot know says true.
   */
  listening?(channel: string): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Narrows a wide prefix to the channels the subscriber wants right now (a gateway that
   * relays only the channels its clients watch). Asked before a message is copied for
   * delivery (at publish in the embedded feed, on arrival through Redis), it must be cheap;
   * a message it refuses is neither decoded nor delivered.
   */
  wants?(channel: string): boolean;
}
