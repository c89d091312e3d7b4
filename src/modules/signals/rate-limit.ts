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

// GCRA as one atomic step for every request of a turn: per key, read the bucket's time, admit
// or refuse each of its requests in order, and store the new time with an expiry at the moment
// the bucket would be full again. KEYS: the buckets. ARGV: now, interval, capacity (ms), then
// the number of requests of each key. Returns admitted (1/0) and the time after it, per request.
const SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local out = {}
for k = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[k]) or '0')
  local taken = false
  for _ = 1, tonumber(ARGV[3 + k]) do
    local base = tat
    if base < now then base = now end
    local nxt = base + interval
    if nxt - now > capacity then
      out[#out + 1] = 0
      out[#out + 1] = tostring(tat)
    else
      tat = nxt
      taken = true
      out[#out + 1] = 1
      out[#out + 1] = tostring(nxt)
    end
  end
  if taken then redis.call('SET', KEYS[k], tostring(tat), 'PX', math.ceil(tat - now)) end
end
return out`;

interface Waiting {
  key: string;
  resolve(d: BucketDecision): void;
  reject(err: unknown): void;
}

/**
 * The buckets in Redis, so that every api process spends the same ones. The requests of one
 * event-loop turn are decided by one script call (their keys and counts as arguments) rather
 * than one call each: at thousands of signals a second that is one Redis command per turn, and
 * the limit is as exact as with a call per request, since Redis runs the script atomically.
 */
export class RedisSignalLimiter implements SignalLimiter {
  private readonly redis: Redis;
  private waiting: Waiting[] = [];

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly rule: BucketRule,
    private readonly clock: Clock,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.redis.on('error', () => {});
    this.redis.defineCommand('obscuraSignalBuckets', { lua: SCRIPT });
  }

  take(key: string): Promise<BucketDecision> {
    return new Promise((resolve, reject) => {
      // Every request parsed in this turn joins the call made when the turn's I/O is done.
      if (!this.waiting.length) setImmediate(() => void this.flush());
      this.waiting.push({ key, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    const byKey = new Map<string, Waiting[]>();
    for (const w of batch) {
      const list = byKey.get(w.key);
      if (list) list.push(w);
      else byKey.set(w.key, [w]);
    }
    const keys = [...byKey.keys()];
    const now = this.clock.now();
    const { intervalMs, burst } = this.rule;
    let reply: Array<number | string>;
    try {
      reply = await (
        this.redis as unknown as {
          obscuraSignalBuckets(...a: Array<string | number>): Promise<Array<number | string>>;
        }
      ).obscuraSignalBuckets(
        keys.length,
        ...keys.map((k) => `${this.prefix}:sig-rl:${k}`),
        now,
        intervalMs,
        intervalMs * burst,
        ...keys.map((k) => byKey.get(k)!.length),
      );
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    let i = 0;
    for (const k of keys) {
      for (const w of byKey.get(k)!) {
        const allowed = Number(reply[i++]) === 1;
        const tat = Number(reply[i++]);
        // The script decided; the same arithmetic on its answer gives retry time and remaining.
        const d = takeToken(allowed ? tat - intervalMs : tat, now, this.rule);
        w.resolve(allowed ? { ...d, allowed: true } : { ...d, allowed: false, tat });
      }
    }
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
