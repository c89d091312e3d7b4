/**
 * Fee settlements by example, each figure's arithmetic beside it. The follower account is
 * acct-f, the leader's payout account acct-l, the follow currency USDT.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
// The real ledger, to prove the postings are ones it accepts. Tests may reach into another
// module's domain; the code under test does not (it only mirrors the account naming).
import { Ledger } from '../../trading/domain/ledger.js';
import { deposit } from '../../trading/domain/ledger-transactions.js';
import { DAY_MS, T0, d, s } from './copy.fixtures.js';
import {
  INITIAL_PERFORMANCE_FEE_STATE,
  WEEK_MS,
  feeTransaction,
  nextSettlementAt,
  settlePerformanceFee,
  settleSubscription,
  settlementDue,
  subscriptionStart,
  userLedgerAccount,
  type FeeTransaction,
  type PerformanceFeeState,
} from './fees.js';

const parties = {
  followId: 'follow-1',
  followerAccountId: 'acct-f',
  leaderAccountId: 'acct-l',
  currency: 'USDT',
};

const postings = (tx: FeeTransaction | undefined) =>
  tx?.postings.map((p) => `${p.ledgerAccount} ${s(p.amount)}`);

function perf(cumulative: string, state: PerformanceFeeState, sharePct = '20', places?: number) {
  return settlePerformanceFee({
    ...parties,
    sharePct: d(sharePct),
    cumulativeRealizedPnl: d(cumulative),
    state,
    ts: T0,
    ...(places === undefined ? {} : { places }),
  });
}

describe('performance fee with a high-water mark', () => {
  it('charges the share of profit above the mark, then a loss must be earned back', () => {
    // 1. Profit 250 above a mark of 0: fee = 250 × 20 % = 50, mark → 250.
    const a = perf('250', INITIAL_PERFORMANCE_FEE_STATE);
    expect([s(a.fee), s(a.profitAboveMark), s(a.state.highWaterMark)]).toEqual([
      '50',
      '250',
      '250',
    ]);
    expect(a.transaction).toMatchObject({
      id: 'copy-fee:performance:follow-1:1',
      kind: 'fee',
      reference: 'follow-1',
      ts: T0,
    });
    expect(postings(a.transaction)).toEqual(['acct:acct-f:USDT -50', 'acct:acct-l:USDT 50']);

    // 2. Cumulative falls to 100 (a loss of 150): nothing charged, the mark stays at 250.
    const b = perf('100', a.state);
    expect([s(b.fee), s(b.state.highWaterMark), b.transaction]).toEqual(['0', '250', undefined]);
    expect(b.state.settlements).toBe(1);

    // 3. Back to 280: only the 30 above the old mark is charged, 30 × 20 % = 6.
    const c = perf('280', b.state);
    expect([s(c.fee), s(c.state.highWaterMark), s(c.state.totalCharged)]).toEqual([
      '6',
      '280',
      '56', // 50 + 6 = 20 % of the highest cumulative profit, 280
    ]);
    expect(c.transaction?.id).toBe('copy-fee:performance:follow-1:2');
  });

  it('charges nothing while the follow has made no profit at all', () => {
    const r = perf('-40', INITIAL_PERFORMANCE_FEE_STATE);
    expect([s(r.fee), s(r.state.highWaterMark), r.transaction]).toEqual(['0', '0', undefined]);
    expect(r.state.lastSettledAt).toBe(T0);
  });

  it("rounds down to the currency's places, in the follower's favour", () => {
    // 1 × 33.333 % = 0.33333 → 0.33 at 2 places; the default 8 places keep it whole.
    expect(s(perf('1', INITIAL_PERFORMANCE_FEE_STATE, '33.333', 2).fee)).toBe('0.33');
    expect(s(perf('1', INITIAL_PERFORMANCE_FEE_STATE, '33.333').fee)).toBe('0.33333');
    // 0.00000004 × 20 % = 0.000000008 → 0 at 8 places: no transaction for dust.
    expect(perf('0.00000004', INITIAL_PERFORMANCE_FEE_STATE).transaction).toBeUndefined();
  });

  it('posts as a balanced fee transaction that the trading ledger accepts', () => {
    const ledger = new Ledger();
    deposit(ledger, {
      id: 'dep-1',
      ts: T0,
      accountId: 'acct-f',
      currency: 'USDT',
      amount: d('1000'),
    });
    const tx = perf('250', INITIAL_PERFORMANCE_FEE_STATE).transaction!;
    expect(ledger.post(tx)).toEqual({ ok: true, applied: true });
    expect(ledger.post(tx)).toEqual({ ok: true, applied: false }); // the id makes it idempotent
    expect(s(ledger.balance('acct-f', 'USDT').total)).toBe('950');
    expect(s(ledger.balance('acct-l', 'USDT').total)).toBe('50');
    expect([...ledger.trialBalance().values()].map(s)).toEqual(['0']);
  });
});

describe('fee transactions', () => {
  it('refuse a fee that is not positive and account ids that would break a ledger name', () => {
    expect(() => feeTransaction(parties, 'x', T0, Decimal.ZERO)).toThrow(RangeError);
    expect(() => userLedgerAccount('a:b', 'USDT')).toThrow(RangeError);
    expect(() => userLedgerAccount('', 'USDT')).toThrow(RangeError);
  });
});

describe('subscription fee, in arrears', () => {
  const sub = (ts: number, state = subscriptionStart(T0), final = false) =>
    settleSubscription({
      ...parties,
      amountPerPeriod: d('10'),
      periodMs: WEEK_MS,
      state,
      ts,
      final,
    });

  it('charges each whole period, and the started one pro rata when the follow ends', () => {
    expect(s(sub(T0 + 3 * DAY_MS).fee)).toBe('0'); // no whole week yet
    const two = sub(T0 + 15 * DAY_MS); // two whole weeks: 2 × 10
    expect([s(two.fee), two.state.paidThrough]).toEqual(['20', T0 + 14 * DAY_MS]);
    expect(postings(two.transaction)).toEqual(['acct:acct-f:USDT -20', 'acct:acct-l:USDT 20']);
    expect(two.transaction?.id).toBe('copy-fee:subscription:follow-1:1');
    // Ends 3.5 days into the third week: 3.5 / 7 × 10 = 5.
    const end = sub(T0 + 17.5 * DAY_MS, two.state, true);
    expect([s(end.fee), end.state.paidThrough, s(end.state.totalCharged)]).toEqual([
      '5',
      T0 + 17.5 * DAY_MS,
      '25',
    ]);
    expect(end.transaction?.id).toBe('copy-fee:subscription:follow-1:2');
  });

  it('rounds the pro-rata part down', () => {
    // One day of a week at 10: 10 / 7 = 1.428571428… → 1.42857142
    expect(s(sub(T0 + DAY_MS, subscriptionStart(T0), true).fee)).toBe('1.42857142');
  });

  it('charges nothing twice: a settlement at the same time again is empty', () => {
    const first = sub(T0 + 7 * DAY_MS);
    const again = sub(T0 + 7 * DAY_MS, first.state);
    expect([s(first.fee), s(again.fee), again.transaction]).toEqual(['10', '0', undefined]);
  });
});

describe('settlement schedule', () => {
  it('is weekly at Monday 00:00 UTC by default', () => {
    expect(new Date(T0).getUTCDay()).toBe(1); // T0 is a Monday at midnight
    expect(nextSettlementAt(T0)).toBe(T0 + WEEK_MS); // strictly after
    expect(nextSettlementAt(T0 - 1)).toBe(T0);
    expect(nextSettlementAt(T0 + 3 * DAY_MS)).toBe(T0 + WEEK_MS);
  });

  it('is due once the next boundary after the last settlement has passed', () => {
    const startedWednesday = T0 + 2 * DAY_MS;
    expect(settlementDue(startedWednesday, T0 + WEEK_MS - 1)).toBe(false);
    expect(settlementDue(startedWednesday, T0 + WEEK_MS)).toBe(true);
    expect(settlementDue(T0 + WEEK_MS, T0 + WEEK_MS + DAY_MS)).toBe(false);
    const daily = { periodMs: DAY_MS, anchorMs: 0 };
    expect(settlementDue(T0 + 1, T0 + DAY_MS, daily)).toBe(true);
  });
});
