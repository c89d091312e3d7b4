import type { Logger } from 'pino';
import { MemoryFeed } from './memory-feed.js';
import { RedisFeed } from './redis-feed.js';
import type { Feed } from './types.js';

export interface CreateFeedOptions {
  /** Redis pub/sub when set; in-process delivery otherwise. */
  redisUrl?: string | undefined;
  redisPrefix: string;
  logger: Logger;
}

/**
 * The live feed for a deployment: shared by every process through Redis with a URL, private to
 * this process without one.
 *
 * @example
 * const feed = await createFeed({ redisUrl: config.redisUrl, redisPrefix: 'obscura', logger });
 * const stop = feed.subscribe('md.ticker.', (channel, ticker) => render(channel, ticker));
 * feed.publish(channels.ticker('paper', 'BTC/USDT'), ticker);
 */
export async function createFeed(opts: CreateFeedOptions): Promise<Feed> {
  if (!opts.redisUrl) return new MemoryFeed(opts.logger);
  return RedisFeed.connect({
    redisUrl: opts.redisUrl,
    prefix: opts.redisPrefix,
    logger: opts.logger,
  });
}
