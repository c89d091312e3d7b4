import type { Clock } from '../../core/clock.js';
import { MemoryRateLimiter } from './memory.js';
import { RedisRateLimiter } from './redis.js';
import type { RateLimiter } from './types.js';

export * from './types.js';
export { decide, tightest } from './sliding-window.js';
export { MemoryRateLimiter, RedisRateLimiter };

export function createRateLimiter(opts: {
  redisUrl?: string | undefined;
  prefix: string;
  clock: Clock;
}): RateLimiter {
  return opts.redisUrl
    ? new RedisRateLimiter(opts.redisUrl, opts.prefix, opts.clock)
    : new MemoryRateLimiter(opts.clock);
}
