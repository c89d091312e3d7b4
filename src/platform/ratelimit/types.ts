export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Seconds until the window has room again (0 when allowed). */
  retryAfter: number;
  /** Seconds until the window fully resets. */
  reset: number;
  /** With hitMany: the keys that refused the request. */
  denied?: string[];
}

/**
 * Sliding-window rate limiting. `hit` counts one request against `key` and says whether it
 * may proceed; the embedded limiter keeps counts in memory, the distributed one in Redis so
 * that every process shares them.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision>;
  /**
   * Counts one request against every key at once, all or nothing: when any key is over its
   * limit none is counted. Returns the tightest decision. One round trip in Redis.
   */
  hitMany(keys: string[], limit: number, windowSeconds: number): Promise<RateDecision>;
  /** Whether one more request would be admitted, without counting it. */
  peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision>;
  reset(key: string, windowSeconds: number): Promise<void>;
  close(): Promise<void>;
}
