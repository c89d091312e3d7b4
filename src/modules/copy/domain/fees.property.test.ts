/**
 * Properties of fee settlement over random sequences of cumulative realized PnL (rising,
 * falling, negative), random shares and currency precisions. Bounds are checked on exact
 * integers: amounts × 100 against pct × profit, in units of 10^-18.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { T0 } from './copy.fixtures.js';
import {
  INITIAL_PERFORMANCE_FEE_STATE,
  settlePerformanceFee,
  settleSubscription,
  subscriptionStart,
  type FeeTransaction,
} from './fees.js';

const U = 10n ** 18n;
const parties = {
  followId: 'follow-1',
  followerAccountId: 'acct-f',
  leaderAccountId: 'acct-l',
  currency: 'USDT',
};

function expectBalanced(tx: FeeTransaction, fee: Decimal): void {
  const sum = tx.postings.reduce((acc, p) => acc + p.amount.units, 0n);
  expect(sum).toBe(0n);
  expect(tx.postings.every((p) => p.currency === 'USDT')).toBe(true);
  const [payer, payee] = tx.postings;
  expect(payer).toMatchObject({ ledgerAccount: 'acct:acct-f:USDT' });
  expect(payee).toMatchObject({ ledgerAccount: 'acct:acct-l:USDT' });
  expect(payer!.amount.units).toBe(-fee.units);
  expect(fee.isPositive()).toBe(true);
}

const pnlPath = fc.array(
  fc
    .integer({ min: -1_000_000_000, max: 1_000_000_000 })
    .map((c) => Decimal.fromUnits(BigInt(c) * 10n ** 14n)), // ±100000 at 4 places
  { minLength: 1, maxLength: 40 },
);

describe('performance fee properties', () => {
  it('balances every transaction and never charges more than the share of the best profit', () => {
    fc.assert(
      fc.property(
        pnlPath,
        fc
          .integer({ min: 0, max: 10_000 })
          .map((bps) => Decimal.fromUnits(BigInt(bps) * 10n ** 16n)), // 0 … 100 %
        fc.integer({ min: 0, max: 8 }),
        (path, sharePct, places) => {
          let state = INITIAL_PERFORMANCE_FEE_STATE;
          let total = 0n;
          let best = 0n; // max(0, highest cumulative PnL so far)
          const ids = new Set<string>();
          path.forEach((cumulative, i) => {
            const r = settlePerformanceFee({
              ...parties,
              sharePct,
              cumulativeRealizedPnl: cumulative,
              state,
              ts: T0 + i,
              places,
            });
            expect(r.fee.isNegative()).toBe(false);
            expect(r.fee.places()).toBeLessThanOrEqual(places);
            if (r.transaction) {
              expectBalanced(r.transaction, r.fee);
              ids.add(r.transaction.id);
            } else expect(r.fee.isZero()).toBe(true);
            total += r.fee.units;
            if (cumulative.units > best) best = cumulative.units;
            state = r.state;

            expect(state.totalCharged.units).toBe(total);
            expect(state.highWaterMark.units).toBe(best);
            // total ≤ pct % × best, and short of it by less than one rounding step per settlement
            expect(total * 100n * U <= sharePct.units * best).toBe(true);
            const step = 10n ** BigInt(18 - places);
            expect((total + BigInt(i + 1) * step) * 100n * U > sharePct.units * best).toBe(true);
          });
          expect(ids.size).toBe(state.settlements);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('subscription fee properties', () => {
  it('balances, never charges ahead, and charges every whole period exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 * 86_400_000 }), { minLength: 1, maxLength: 20 }),
        fc
          .integer({ min: 1, max: 1_000_000 })
          .map((c) => Decimal.fromUnits(BigInt(c) * 10n ** 16n)),
        fc.integer({ min: 3_600_000, max: 30 * 86_400_000 }),
        fc.boolean(),
        (gaps, amount, periodMs, endsAtLast) => {
          let state = subscriptionStart(T0);
          let ts = T0;
          gaps.forEach((gap, i) => {
            ts += gap;
            const final = endsAtLast && i === gaps.length - 1;
            const r = settleSubscription({
              ...parties,
              amountPerPeriod: amount,
              periodMs,
              state,
              ts,
              final,
            });
            if (r.transaction) expectBalanced(r.transaction, r.fee);
            expect(r.state.paidThrough).toBeLessThanOrEqual(ts); // never ahead
            state = r.state;
          });
          const whole = BigInt(Math.floor((ts - T0) / periodMs));
          const charged = state.totalCharged.units;
          // at least every whole period, at most the pro-rata value of all the time elapsed
          expect(charged >= whole * amount.units).toBe(true);
          expect(charged * BigInt(periodMs) <= amount.units * BigInt(ts - T0)).toBe(true);
          if (!endsAtLast) expect(charged).toBe(whole * amount.units);
        },
      ),
      { numRuns: 300 },
    );
  });
});
