import { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { decide, tightest } from './sliding-window.js';
import type { RateDecision, RateLimiter } from './types.js';

// Reads both counters and, when counting and the estimate admits one more, increments the
// current one: atomically, so concurrent processes never admit more than the limit together.
const SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local weight = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local counting = ARGV[4] == '1'
if counting and (prev * weight + cur + 1) <= limit then
  cur = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {cur - 1, prev, 1}
end
return {cur, prev, 0}
`;

// The same for N keys at once (KEYS = cur1, prev1, cur2, prev2, …): counts in all of them only
// if every one admits the request; returns cur and prev of each.
const MANY = `
local limit = tonumber(ARGV[1])
local weight = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local out = {}
local ok = true
for i = 1, #KEYS, 2 do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  out[#out + 1] = cur
  out[#out + 1] = prev
  if prev * weight + cur + 1 > limit then ok = false end
end
if ok then
  for i = 1, #KEYS, 2 do
    redis.call('INCR', KEYS[i])
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return out
`;

/** Limiter shared by every process through Redis. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    this.redis.on('error', () => {});
    this.redis.defineCommand('obscuraRateHit', { numberOfKeys: 2, lua: SCRIPT });
    this.redis.defineCommand('obscuraRateHitMany', { lua: MANY });
  }

  private async run(
    key: string,
    limit: number,
    windowSeconds: number,
    counting: boolean,
  ): Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const window = Math.floor(now / windowMs);
    const weight = (windowMs - (now % windowMs)) / windowMs;
    const base = `${this.prefix}:rl:${key}:${windowSeconds}`;
    const [cur, prev] = (await (
      this.redis as unknown as {
        obscuraRateHit(...a: Array<string | number>): Promise<[number, number, number]>;
      }
    ).obscuraRateHit(
      `${base}:${window}`,
      `${base}:${window - 1}`,
      limit,
      weight,
      windowMs * 2,
      counting ? '1' : '0',
    )) as [number, number, number];
    const d = decide(prev, cur, limit, windowMs, now, true);
    // A peek reports what one more request would meet, without having counted it.
    return counting ? d : { ...d, remaining: Math.max(0, d.remaining + (d.allowed ? 1 : 0)) };
  }

  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    return this.run(key, limit, windowSeconds, true);
  }

  async hitMany(keys: string[], limit: number, windowSeconds: number): Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const window = Math.floor(now / windowMs);
    const weight = (windowMs - (now % windowMs)) / windowMs;
    const redisKeys = keys.flatMap((k) => {
      const base = `${this.prefix}:rl:${k}:${windowSeconds}`;
      return [`${base}:${window}`, `${base}:${window - 1}`];
    });
    const counts = (await (
      this.redis as unknown as {
        obscuraRateHitMany(n: number, ...a: Array<string | number>): Promise<number[]>;
      }
    ).obscuraRateHitMany(redisKeys.length, ...redisKeys, limit, weight, windowMs * 2)) as number[];
    const decisions = keys.map((_, i) =>
      decide(counts[2 * i + 1]!, counts[2 * i]!, limit, windowMs, now, true),
    );
    return tightest(decisions, keys);
  }

  peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    return this.run(key, limit, windowSeconds, false);
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    const window = Math.floor(this.clock.now() / (windowSeconds * 1000));
    const base = `${this.prefix}:rl:${key}:${windowSeconds}`;
    await this.redis.del(`${base}:${window}`, `${base}:${window - 1}`);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
