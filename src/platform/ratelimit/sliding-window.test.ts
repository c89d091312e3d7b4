import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../core/clock.js';
import { decide } from './sliding-window.js';
import { MemoryRateLimiter } from './memory.js';

describe('sliding window rate limit', () => {
  it('admits exactly the limit within one window and then tells how long to wait', async () => {
    const clock = new SimulatedClock(60_000 * 1000);
    const rl = new MemoryRateLimiter(clock);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await rl.hit('ip:1', 10, 60));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results[9]!.remaining).toBe(0);
    expect(results[10]!.allowed).toBe(false);
    expect(results[10]!.retryAfter).toBeGreaterThan(0);
    await rl.close();
  });

  it('counts several keys together, all or nothing, and names the ones that refused', async () => {
    const clock = new SimulatedClock(60_000 * 1000);
    const rl = new MemoryRateLimiter(clock);
    for (let i = 0; i < 3; i++) await rl.hit('user:a', 3, 60);
    const d = await rl.hitMany(['ip:1', 'user:a'], 3, 60);
    expect(d.allowed).toBe(false);
    expect(d.denied).toEqual(['user:a']);
    // The IP was not charged for the refused request.
    expect((await rl.peek('ip:1', 3, 60)).remaining).toBe(3);
    expect((await rl.hitMany(['ip:1', 'user:b'], 3, 60)).remaining).toBe(2);
    await rl.close();
  });

  it('carries the previous window over in proportion to its overlap', async () => {
    const clock = new SimulatedClock(60_000 * 1000);
    const rl = new MemoryRateLimiter(clock);
    for (let i = 0; i < 10; i++) await rl.hit('u', 10, 60);
    clock.advance(60_000 + 30_000); // halfway through the next window: 5 of the 10 still count
    const admitted = [];
    for (let i = 0; i < 10; i++) admitted.push((await rl.hit('u', 10, 60)).allowed);
    expect(admitted.filter(Boolean)).toHaveLength(5);
    await rl.close();
  });

  it('never admits more than the limit across any sequence of requests in one window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 59_999 }),
        (limit, prev, offset) => {
          let cur = 0;
          let admitted = 0;
          for (let i = 0; i < limit * 3; i++) {
            const d = decide(prev, cur, limit, 60_000, 60_000 * 7 + offset, true);
            if (d.allowed) {
              cur++;
              admitted++;
            } else {
              expect(d.retryAfter).toBeGreaterThanOrEqual(1);
            }
          }
          expect(admitted).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});
