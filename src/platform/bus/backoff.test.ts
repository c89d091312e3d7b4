import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, retryCeiling, retryDelay } from './backoff.js';

describe('retryDelay', () => {
  it('doubles the ceiling with each attempt: 200, 400, 800, 1600 ms', () => {
    expect([1, 2, 3, 4].map((a) => retryCeiling(a, 200))).toEqual([200, 400, 800, 1600]);
  });

  it('never exceeds the cap, even for absurd attempt numbers', () => {
    expect(retryCeiling(20, 200)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryCeiling(5000, 200)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryCeiling(3, 200, 500)).toBe(500);
  });

  it('spans the whole jitter range: a draw of 0 waits 0, a draw near 1 waits just under the ceiling', () => {
    expect(retryDelay(3, 100, { random: () => 0 })).toBe(0);
    // ceiling 400 ms; 0.999… × 400 = 399.6 → 399
    expect(retryDelay(3, 100, { random: () => 0.999 })).toBe(399);
  });

  it('stays within [0, ceiling) for any attempt, base and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, draw) => {
          const d = retryDelay(attempt, base, { random: () => draw });
          const ceiling = retryCeiling(attempt, base);
          return Number.isInteger(d) && d >= 0 && (d < ceiling || ceiling === 0);
        },
      ),
    );
  });
});
