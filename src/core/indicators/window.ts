/**
 * When running window sums are recomputed exactly from their ring buffer. A recomputation
 * costs one pass over the window; doing it at most once per window keeps updates O(1)
 * amortised.
 */

/** Windows after which a running sum is recomputed even if nothing looked wrong. */
export const WINDOWS_BETWEEN_RESYNCS = 1024;

/**
 * A running sum that has fallen to this fraction of its peak since the last check carries
 * the peak's rounding error relative to a much smaller value: recompute it at the next
 * window boundary.
 */
export const SHRINK_BEFORE_RESYNC = 1024;
