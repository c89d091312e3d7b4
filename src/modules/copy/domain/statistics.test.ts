/**
 * Leaderboard statistics by scenario. Money figures are exact; ratios are floats compared to
 * 9 digits, with their arithmetic beside them.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { DAY_MS, T0, d, s } from './copy.fixtures.js';
import {
  annualisedSharpe,
  leaderboardEntry,
  returnIndex,
  windowStats,
  type EquityPoint,
} from './statistics.js';

const p = (day: number, equity: string, contributions = '1000'): EquityPoint => ({
  ts: T0 + day * DAY_MS,
  equity: d(equity),
  netContributions: d(contributions),
});
const SQRT365 = Math.sqrt(365);

describe('stats-up-down-up-without-flows', () => {
  // 1000 → 1100 → 990 → 1089: +10 %, −10 %, +10 %
  const points = [p(0, '1000'), p(1, '1100'), p(2, '990'), p(3, '1089')];
  const all = windowStats(points, T0 + 3 * DAY_MS, 'all')!;

  it('returns are chained: 1.1 × 0.9 × 1.1 − 1 = 8.9 %; PnL 1089 − 1000 = 89', () => {
    expect(all.returnPct).toBeCloseTo(8.9, 9);
    expect(s(all.pnl)).toBe('89');
    expect([all.from, all.to, all.partial]).toEqual([T0, T0 + 3 * DAY_MS, false]);
  });

  it('max drawdown: 1.1 → 0.99 of the index is 10 %; 1100 → 990 is 110 of money', () => {
    expect(all.maxDrawdownPct).toBeCloseTo(10, 9);
    expect(s(all.maxDrawdownAmount)).toBe('110');
  });

  it('Sharpe: mean 1/30, sample stdev √(0.02667 / 2) = 0.11547, × √365 = 5.5151', () => {
    expect(all.dailyReturns).toBe(3);
    expect(all.sharpe).toBeCloseTo((1 / 30 / Math.sqrt(0.08 / 3 / 2)) * SQRT365, 9);
    expect(all.sharpe).toBeCloseTo(5.515130702, 6);
  });

  it('a 7-day window over 3 days of history is partial and starts at the first snapshot', () => {
    const w = windowStats(points, T0 + 3 * DAY_MS, '7d')!;
    expect([w.partial, w.from, s(w.pnl)]).toEqual([true, T0, '89']);
  });
});

describe('stats-deposits-and-withdrawals-are-not-return', () => {
  const points = [
    p(0, '1000', '1000'),
    p(1, '2000', '2000'), // deposit of 1000, nothing traded
    p(2, '2200', '2000'), // +10 % on 2000
    p(3, '1000', '800'), // withdrawal of 1200, nothing traded
  ];
  const all = windowStats(points, T0 + 3 * DAY_MS, 'all')!;

  it('the return is only the trading: 1 × 1.1 × (1000 / (2200 − 1200)) − 1 = 10 %', () => {
    expect(all.returnPct).toBeCloseTo(10, 9);
    expect(s(all.pnl)).toBe('200'); // (1000 − 800) − (1000 − 1000)
  });

  it('a withdrawal is not a drawdown', () => {
    expect(all.maxDrawdownPct).toBe(0);
    expect(s(all.maxDrawdownAmount)).toBe('0');
  });

  it('funding an empty account is a 0 % return, not a division by zero', () => {
    expect(returnIndex([p(0, '0', '0'), p(1, '1000', '1000'), p(2, '1100', '1000')])).toEqual([
      1, 1, 1.1,
    ]);
  });
});

describe('stats-total-loss-stays-lost', () => {
  it('an index at zero stays there: new money does not undo a −100 % return', () => {
    const points = [p(0, '1000'), p(1, '0'), p(2, '500', '1500'), p(3, '600', '1500')];
    const all = windowStats(points, T0 + 3 * DAY_MS, 'all')!;
    expect([all.returnPct, all.maxDrawdownPct]).toEqual([-100, 100]);
    expect(s(all.pnl)).toBe('-900'); // (600 − 1500) − (1000 − 1000)
    expect(s(all.maxDrawdownAmount)).toBe('1000');
    expect(all.sharpe).toBeNull(); // no daily return can be taken from a zero index
  });
});

describe('stats-windows-pick-their-base', () => {
  // 101 daily snapshots, equity 1000 + 10 × day, no flows.
  const points = Array.from({ length: 101 }, (_, i) => p(i, String(1000 + 10 * i)));
  const asOf = T0 + 100 * DAY_MS;
  const entry = leaderboardEntry({
    leaderId: 'leader-1',
    followers: 12,
    amountCopying: d('25000.5'),
    points,
    asOf,
  });

  it('each window starts at the snapshot at or before asOf − its length', () => {
    const w = entry.windows;
    expect([w['7d']!.from, w['30d']!.from, w['90d']!.from, w.all!.from]).toEqual([
      T0 + 93 * DAY_MS,
      T0 + 70 * DAY_MS,
      T0 + 10 * DAY_MS,
      T0,
    ]);
    expect([w['7d']!.partial, w['30d']!.partial, w['90d']!.partial, w.all!.partial]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(w['7d']!.returnPct).toBeCloseTo((2000 / 1930 - 1) * 100, 9);
    expect(w['90d']!.returnPct).toBeCloseTo((2000 / 1100 - 1) * 100, 9);
    expect(w.all!.returnPct).toBeCloseTo(100, 9);
    expect([s(w['7d']!.pnl), s(w['30d']!.pnl), s(w.all!.pnl)]).toEqual(['70', '300', '1000']);
    expect([w['7d']!.dailyReturns, w['30d']!.dailyReturns, w.all!.dailyReturns]).toEqual([
      7, 30, 100,
    ]);
  });

  it('carries followers and the amount copying through as given', () => {
    expect([entry.leaderId, entry.followers, s(entry.amountCopying), entry.asOf]).toEqual([
      'leader-1',
      12,
      '25000.5',
      asOf,
    ]);
  });

  it('ignores snapshots after asOf and accepts them in any order', () => {
    const shuffled = [points[5]!, points[0]!, points[3]!, points[100]!];
    const w = windowStats(shuffled, T0 + 5 * DAY_MS, 'all')!;
    expect([w.from, w.to, s(w.pnl)]).toEqual([T0, T0 + 5 * DAY_MS, '50']);
  });
});

describe('stats-sharpe-samples-daily-drawdown-sees-everything', () => {
  it('takes the last snapshot at or before each daily sample; drawdown uses every snapshot', () => {
    const h = (hours: number, equity: string): EquityPoint => ({
      ts: T0 + hours * 3_600_000,
      equity: d(equity),
      netContributions: d('1000'),
    });
    const points = [h(0, '1000'), h(12, '1500'), h(24, '1100'), h(36, '800'), h(48, '1320')];
    const w = windowStats(points, T0 + 2 * DAY_MS, 'all')!;
    // daily index 1 → 1.1 → 1.32: returns 0.1 and 0.2; mean 0.15, stdev 0.0707107
    expect(w.dailyReturns).toBe(2);
    expect(w.sharpe).toBeCloseTo((0.15 / Math.sqrt(0.005)) * SQRT365, 9);
    expect(w.maxDrawdownPct).toBeCloseTo((1 - 800 / 1500) * 100, 9); // 46.67 % within a day
  });
});

describe('annualisedSharpe', () => {
  it('is undefined with fewer than two returns or returns that do not vary', () => {
    expect(annualisedSharpe([])).toBeNull();
    expect(annualisedSharpe([0.05])).toBeNull();
    expect(annualisedSharpe([0.01, 0.01, 0.01])).toBeNull();
    // a steady 1 % a day whose returns differ only by float noise
    expect(annualisedSharpe([0.01, 0.010000000000000009, 0.009999999999999787])).toBeNull();
    expect(annualisedSharpe([0.01, -0.01])).toBe(0);
  });
});

describe('empty history', () => {
  it('has no statistics', () => {
    expect(windowStats([], T0, 'all')).toBeUndefined();
    expect(windowStats([p(1, '1000')], T0, '7d')).toBeUndefined(); // only after asOf
    const e = leaderboardEntry({
      leaderId: 'l',
      followers: 0,
      amountCopying: Decimal.ZERO,
      points: [],
      asOf: T0,
    });
    expect(Object.values(e.windows)).toEqual([null, null, null, null]);
  });
});
