import type { Logger } from 'pino';
import type { SubscribeOptions } from './types.js';

type Handler = (channel: string, data: unknown) => void;

interface Sub {
  prefix: string;
  handler: Handler;
  wants: ((channel: string) => boolean) | undefined;
}

/**
 * The local half of every feed: handlers registered by channel prefix. Each process has few
 * subscriptions (a gateway, a cache), so a linear scan beats any index here.
 */
export class LocalDispatch {
  private readonly subs: Sub[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly at: string,
  ) {}

  get size(): number {
    return this.subs.length;
  }

  add(prefix: string, handler: Handler, options?: SubscribeOptions): () => void {
    const sub: Sub = { prefix, handler, wants: options?.wants };
    this.subs.push(sub);
    return () => {
      const i = this.subs.indexOf(sub);
      if (i >= 0) this.subs.splice(i, 1);
    };
  }

  /** Whether any handler would receive `channel`, so callers can skip decoding for nobody. */
  wants(channel: string): boolean {
    for (const s of this.subs) if (this.takes(s, channel)) return true;
    return false;
  }

  dispatch(channel: string, data: unknown): void {
    for (const s of this.subs) {
      if (!this.takes(s, channel)) continue;
      // One failing handler must neither stop the others nor reach the publisher.
      try {
        s.handler(channel, data);
      } catch (err) {
        this.logger.error({ at: this.at, channel, err }, 'feed handler failed');
      }
    }
  }

  clear(): void {
    this.subs.length = 0;
  }

  private takes(s: Sub, channel: string): boolean {
    if (!channel.startsWith(s.prefix)) return false;
    if (!s.wants) return true;
    try {
      return s.wants(channel);
    } catch (err) {
      // A broken filter must not cost the subscriber its messages.
      this.logger.error({ at: this.at, channel, err }, 'feed filter failed');
      return true;
    }
  }
}
