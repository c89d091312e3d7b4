/**
 * A token bucket in its GCRA form (the generic cell rate algorithm): a sender may submit
 * `burst` signals at once and then one every `intervalMs`, and the whole state of a bucket is
 * one number, the theoretical arrival time (`tat`) of the next request at the sustained rate.
 * One number makes the shared version a single atomic read-and-set in Redis.
 */
export interface BucketRule {
  /** Milliseconds per token at the sustained rate (60,000 / per-minute rate). */
  intervalMs: number;
  /** Tokens a full bucket holds: requests admitted at once after a quiet spell. */
  burst: number;
}

export interface BucketDecision {
  allowed: boolean;
  /** The bucket's new state (unchanged when refused). */
  tat: number;
  /** Whole seconds until one more request would be admitted; 0 when allowed. */
  retryAfter: number;
  /** Requests that could still be made now. */
  remaining: number;
}

/**
 * Decides one request at `now` against a bucket whose state is `tat` (0 for a new bucket).
 *
 * @example
 * const rule = { intervalMs: 1000, burst: 120 }; // 60 a minute, burst 120
 * let tat = 0;
 * const d = takeToken(tat, now, rule); if (d.allowed) tat = d.tat;
 */
export function takeToken(tat: number, now: number, rule: BucketRule): BucketDecision {
  const { intervalMs, burst } = rule;
  const capacity = intervalMs * burst;
  const next = Math.max(tat, now) + intervalMs;
  const ahead = next - now;
  if (ahead > capacity) {
    return {
      allowed: false,
      tat,
      retryAfter: Math.max(1, Math.ceil((ahead - capacity) / 1000)),
      remaining: 0,
    };
  }
  return {
    allowed: true,
    tat: next,
    retryAfter: 0,
    remaining: Math.floor((capacity - ahead) / intervalMs),
  };
}
