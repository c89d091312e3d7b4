/**
 * Per-sender token buckets for the gateway (see domain/gcra.ts). In-process for the embedded
 * build; in Redis for the distributed one, so that every api process spends one bucket.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { takeToken, type BucketDecision, type BucketRule } from './domain/gcra.js';

export interface SignalLimiter {
  /** Takes a token from `key`'s bucket, or says how long to wait. */
  take(key: string): Promise<BucketDecision>;
  close(): Promise<void>;
}

export class MemorySignalLimiter implements SignalLimiter {
  private readonly buckets = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly rule: BucketRule,
    private readonly clock: Clock,
  ) {
    // A bucket whose time has passed is full again, which is what a missing one means.
    this.sweeper = setInterval(() => {
      const now = this.clock.now();
      for (const [k, tat] of this.buckets) if (tat <= now) this.buckets.delete(k);
    }, 60_000);
    this.sweeper.unref();
  }

  async take(key: string): Promise<BucketDecision> {
    const d = takeToken(this.buckets.get(key) ?? 0, this.clock.now(), this.rule);
    if (d.allowed) this.buckets.set(key, d.tat);
    return d;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

// GCRA as one atomic step: read the bucket's time, admit or refuse, store the new time with an
// expiry at the moment the bucket would be full again. ARGV: now, interval, capacity (ms).
const SCRIPT = `
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > capacity then return {0, tostring(tat)} end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(nxt - now))
return {1, tostring(nxt)}`;

export class RedisSignalLimiter implements SignalLimiter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly rule: BucketRule,
    private readonly clock: Clock,
  ) {
    // Auto-pipelining sends the checks of one event-loop turn together: at thousands of
    // signals a second that is one round trip per turn rather than per signal.
    this.redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
    this.redis.on('error', () => {});
    this.redis.defineCommand('obscuraSignalBucket', { numberOfKeys: 1, lua: SCRIPT });
  }

  async take(key: string): Promise<BucketDecision> {
    const now = this.clock.now();
    const { intervalMs, burst } = this.rule;
    const [allowed, tat] = await (
      this.redis as unknown as {
        obscuraSignalBucket(...a: Array<string | number>): Promise<[number, string]>;
      }
    ).obscuraSignalBucket(`${this.prefix}:sig-rl:${key}`, now, intervalMs, intervalMs * burst);
    // The script decided; the same arithmetic on its answer gives retry time and remaining.
    const before = allowed ? Number(tat) - intervalMs : Number(tat);
    const d = takeToken(before, now, this.rule);
    return allowed ? { ...d, allowed: true } : { ...d, allowed: false, tat: Number(tat) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export function createSignalLimiter(o: {
  redisUrl?: string | undefined;
  prefix: string;
  perMinute: number;
  burst: number;
  clock: Clock;
}): SignalLimiter {
  const rule = { intervalMs: 60_000 / o.perMinute, burst: o.burst };
  return o.redisUrl
    ? new RedisSignalLimiter(o.redisUrl, o.prefix, rule, o.clock)
    : new MemorySignalLimiter(rule, o.clock);
}
