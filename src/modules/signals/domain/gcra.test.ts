import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeToken } from './gcra.js';

// 60 a minute with a burst of 120.
const rule = { intervalMs: 1000, burst: 120 };

function run(times: number[]) {
  let tat = 0;
  return times.map((now) => {
    const d = takeToken(tat, now, rule);
    if (d.allowed) tat = d.tat;
    return d;
  });
}

describe('token bucket (GCRA)', () => {
  it('admits the burst at once, then one per interval, and says when to come back', () => {
    const t0 = 1_000_000;
    const burst = run(Array.from({ length: 122 }, () => t0));
    expect(burst.filter((d) => d.allowed)).toHaveLength(120);
    expect(burst[119]!.remaining).toBe(0);
    expect(burst[120]).toMatchObject({ allowed: false, retryAfter: 1 });
    // Refilled at one token a second.
    let tat = burst[119]!.tat;
    expect(takeToken(tat, t0 + 999, rule).allowed).toBe(false);
    const later = takeToken(tat, t0 + 1000, rule);
    expect(later.allowed).toBe(true);
    tat = later.tat;
    expect(takeToken(tat, t0 + 1000, rule).allowed).toBe(false);
  });

  it('refills completely after a quiet spell', () => {
    const d = run([0, 0, 0]);
    expect(d.every((x) => x.allowed)).toBe(true);
    expect(takeToken(d[2]!.tat, 10_000_000, rule).remaining).toBe(119);
  });

  it('never admits more than burst + elapsed / interval', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 400 }), (gaps) => {
        let now = 0;
        const times = gaps.map((g) => (now += g));
        const admitted = run(times).filter((d) => d.allowed).length;
        expect(admitted).toBeLessThanOrEqual(rule.burst + Math.floor(now / rule.intervalMs));
      }),
    );
  });
});
