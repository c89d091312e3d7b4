import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LocalDispatch } from './dispatch.js';
import type { Feed, SubscribeOptions } from './types.js';

export interface RedisFeedOptions {
  redisUrl: string;
  /** Prefix of every Redis channel, so several deployments can share one Redis. */
  prefix: string;
  logger: Logger;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The distributed feed on Redis pub/sub: feed channel `c` is Redis channel `<prefix>:feed:c`
 * and the payload is the JSON of the data. Each process holds one publishing connection and
 * one subscribed connection (PSUBSCRIBE `<prefix>:feed:*`) and dispatches locally by prefix.
 *
 * Pub/sub keeps nothing, which is what a live feed wants. While Redis is unreachable, messages
 * are dropped rather than queued (the offline queue is off), so an outage cannot turn into
 * unbounded memory; ioredis reconnects and re-subscribes on its own. Redis itself protects
 * against a process that cannot keep up: it closes a subscriber whose output buffer passes
 * `client-output-buffer-limit pubsub`, and the subscription comes back on reconnect.
 */
export class RedisFeed implements Feed {
  readonly kind = 'redis' as const;
  private readonly local: LocalDispatch;
  private readonly keyPrefix: string;
  private closed = false;
  /** Logged once per outage, not once per dropped message. */
  private failing = false;

  private constructor(
    private readonly opts: RedisFeedOptions,
    private readonly pub: Redis,
    private readonly sub: Redis,
  ) {
    this.local = new LocalDispatch(opts.logger, 'feed#redis');
    this.keyPrefix = `${opts.prefix}:feed:`;
    sub.on('pmessage', (_pattern: string, redisChannel: string, payload: string) =>
      this.receive(redisChannel, payload),
    );
  }

  /** Connects both connections and subscribes, so a wrong URL stops start-up. */
  static async connect(opts: RedisFeedOptions): Promise<RedisFeed> {
    const conn = (role: string) => {
      const c = new Redis(opts.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        // Messages published in one event-loop turn (a batch's decisions, a tick's quotes) go
        // out in one write: a socket write that wakes Redis costs far more than the message.
        enableAutoPipelining: role === 'pub',
        connectionName: `${opts.prefix}:feed-${role}`,
      });
      c.on('error', (err: Error) =>
        opts.logger.warn(
          { at: 'feed#redis', role, error: describe(err) },
          'Redis connection error',
        ),
      );
      return c;
    };
    const pub = conn('pub');
    const sub = conn('sub');
    try {
      await Promise.all([pub.connect(), sub.connect()]);
      await sub.psubscribe(`${opts.prefix}:feed:*`);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`Redis is not reachable: ${describe(err)}`);
    }
    return new RedisFeed(opts, pub, sub);
  }

  publish(channel: string, data: unknown): void {
    if (this.closed) return;
    const payload = JSON.stringify(data) ?? 'null';
    this.pub.publish(this.keyPrefix + channel, payload).then(
      () => {
        if (this.failing) {
          this.failing = false;
          this.opts.logger.info({ at: 'feed#redis' }, 'feed publishing again');
        }
      },
      (err: unknown) => {
        if (this.failing || this.closed) return;
        this.failing = true;
        this.opts.logger.warn(
          { at: 'feed#redis', channel, error: describe(err) },
          'feed messages are being dropped: Redis is unavailable',
        );
      },
    );
  }

  subscribe(
    prefix: string,
    handler: (channel: string, data: unknown) => void,
    options?: SubscribeOptions,
  ): () => void {
    if (this.closed) throw new Error('the feed is closed');
    return this.local.add(prefix, handler, options);
  }

  /**
   * Subscribers in other processes are not known here, so any channel may have one: only a
   * closed feed says no. (A local `wants` still spares this process decoding what it refuses.)
   */
  listening(): boolean {
    return !this.closed;
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.local.clear();
    await Promise.all([
      this.sub.quit().catch(() => this.sub.disconnect()),
      this.pub.quit().catch(() => this.pub.disconnect()),
    ]);
  }

  private receive(redisChannel: string, payload: string): void {
    if (!redisChannel.startsWith(this.keyPrefix)) return;
    const channel = redisChannel.slice(this.keyPrefix.length);
    if (!this.local.wants(channel)) return;
    let data: unknown;
    try {
      data = JSON.parse(payload);
    } catch (err) {
      this.opts.logger.warn({ at: 'feed#redis', channel, err }, 'undecodable feed message');
      return;
    }
    this.local.dispatch(channel, data);
  }
}
