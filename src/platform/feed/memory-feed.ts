import type { Logger } from 'pino';
import { LocalDispatch } from './dispatch.js';
import type { Feed, SubscribeOptions } from './types.js';

/**
 * The embedded feed: delivery within this process only.
 *
 * Data is copied through JSON at publish time, so subscribers see exactly what the Redis feed
 * would give them (Decimals as strings, no shared mutable objects, nothing a publisher changes
 * afterwards), and a value that cannot be serialised fails in the publisher, as it does with
 * Redis. Delivery happens on a microtask:
 * publishing never runs subscriber code (such as a fan-out to thousands of sockets) inside the
 * publisher's own call, which is also how the Redis feed behaves.
 *
 * Every subscriber is in this process, so `listening` is exact: a message that no prefix (and
 * no subscriber's `wants`) takes costs the publisher nothing, not even its JSON copy.
 */
export class MemoryFeed implements Feed {
  readonly kind = 'memory' as const;
  private readonly local: LocalDispatch;
  private closed = false;

  constructor(logger: Logger) {
    this.local = new LocalDispatch(logger, 'feed#memory');
  }

  publish(channel: string, data: unknown): void {
    if (this.closed || !this.local.wants(channel)) return;
    const json = JSON.stringify(data);
    queueMicrotask(() => {
      if (!this.closed) this.local.dispatch(channel, json === undefined ? null : JSON.parse(json));
    });
  }

  subscribe(
    prefix: string,
    handler: (channel: string, data: unknown) => void,
    options?: SubscribeOptions,
  ): () => void {
    if (this.closed) throw new Error('the feed is closed');
    return this.local.add(prefix, handler, options);
  }

  listening(channel: string): boolean {
    return !this.closed && this.local.wants(channel);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the feed is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local.clear();
  }
}
