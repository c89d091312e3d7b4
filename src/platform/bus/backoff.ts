/** Longest wait between two deliveries of one event, whatever the attempt number. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Delay before the next delivery after `attempt` failed deliveries (1-based): exponential
 * backoff with full jitter, a uniform draw in `[0, min(cap, base · 2^(attempt-1)))`. Full jitter
 * spreads the retries of many consumers that failed together (say, while the database was
 * restarting) instead of having them all come back at the same instant.
 */
export function retryDelay(
  attempt: number,
  baseMs: number,
  opts: { capMs?: number; random?: () => number } = {},
): number {
  const ceiling = retryCeiling(attempt, baseMs, opts.capMs);
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Upper bound of {@link retryDelay} for an attempt. */
export function retryCeiling(attempt: number, baseMs: number, capMs = MAX_RETRY_DELAY_MS): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** exponent overflows to Infinity for large attempts, which the cap absorbs.
  return Math.max(0, Math.min(capMs, baseMs * 2 ** exponent));
}
