import type { RateDecision } from './types.js';

/**
 * Sliding-window counter: the estimate is this window's count plus the previous window's count
 * weighted by how much of it still overlaps the sliding window. It needs two counters per key
 * instead of a log of timestamps, and is exact at window boundaries to within one request.
 */
export function decide(
  prev: number,
  cur: number,
  limit: number,
  windowMs: number,
  nowMs: number,
  counting: boolean,
): RateDecision & { counted: boolean } {
  const elapsed = nowMs % windowMs;
  const weight = (windowMs - elapsed) / windowMs;
  const estimate = prev * weight + cur;
  const allowed = estimate + (counting ? 1 : 0) <= limit;
  const used = allowed && counting ? estimate + 1 : estimate;
  const remaining = Math.max(0, Math.floor(limit - used));
  const reset = Math.ceil((windowMs - elapsed) / 1000 + (prev > 0 ? windowMs / 1000 : 0));
  let retryAfter = 0;
  if (!allowed) {
    if (cur + 1 > limit) {
      // This window alone is full: wait for the next one, where this count becomes `prev`.
      const nextPrevWeightNeeded = (limit - 1) / Math.max(cur, 1);
      retryAfter = (windowMs - elapsed + (1 - nextPrevWeightNeeded) * windowMs) / 1000;
    } else {
      // Wait until the previous window's share decays enough to admit one more request.
      const weightNeeded = (limit - 1 - cur) / prev;
      retryAfter = (weight - weightNeeded) * (windowMs / 1000);
    }
    retryAfter = Math.max(1, Math.ceil(retryAfter));
  }
  return { allowed, limit, remaining, retryAfter, reset, counted: allowed && counting };
}

/** The decision to report for several keys checked together. */
export function tightest(decisions: RateDecision[], keys: string[]): RateDecision {
  const allowed = decisions.every((d) => d.allowed);
  let pick = decisions[0]!;
  for (const d of decisions) {
    if (
      allowed
        ? d.remaining < pick.remaining
        : !d.allowed && (pick.allowed || d.retryAfter > pick.retryAfter)
    )
      pick = d;
  }
  if (allowed) return pick;
  return {
    ...pick,
    allowed: false,
    remaining: 0,
    denied: keys.filter((_, i) => !decisions[i]!.allowed),
  };
}
