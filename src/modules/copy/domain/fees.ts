/**
 * What followers pay leaders: a performance fee on realized profit above a high-water mark,
 * and optionally a fixed subscription per period. Each settlement returns the new fee state
 * and, when something is owed, one ledger transaction (follower pays, leader receives, the
 * postings sum to zero) shaped as the trading ledger's `TransactionInput`, with an id derived
 * from the follow and the settlement number so that posting it twice is a no-op.
 *
 * Performance fee. `cumulativeRealizedPnl` is the follow's realized PnL since it began, net
 * of trading fees. With HWM the highest cumulative PnL already charged (starting at 0):
 *
 *   fee = floor_places(max(cumulative − HWM, 0) × pct / 100);  HWM' = max(HWM, cumulative)
 *
 * This is "profit × share − already shared" with the share fixed, and a loss leaves the mark
 * where it was, so it must be earned back before anything is charged again. Rounding is down,
 * in the follower's favour, so the sum of all fees never exceeds pct % of the highest
 * cumulative profit. Unrealized PnL is not charged: a fee on a paper gain that later
 * vanishes could not be taken back.
 */
import { Decimal } from '../../../core/decimal.js';
import { mulDiv, percentOf } from './arith.js';

/** One leg of a ledger transaction; the trading ledger's `Posting` has this shape. */
export interface FeePosting {
  ledgerAccount: string;
  currency: string;
  /** Signed: positive increases the ledger account's balance. */
  amount: Decimal;
}

/** A ledger transaction of kind `fee`; the trading ledger's `TransactionInput` has this shape. */
export interface FeeTransaction {
  id: string;
  ts: number;
  kind: 'fee';
  /** The follow id, for audit. */
  reference: string;
  postings: readonly FeePosting[];
}

export interface FeeParties {
  followId: string;
  followerAccountId: string;
  /** The leader's payout account. */
  leaderAccountId: string;
  /** The follow currency, in which PnL is measured and fees are paid. */
  currency: string;
}

/** Fees are rounded down to this many places unless told otherwise (the venue's USDT precision). */
export const DEFAULT_FEE_PLACES = 8;

/**
 * A user's balance ledger account, `acct:<accountId>:<currency>`: the name the trading
 * ledger gives it (its builder is not part of that module's public face).
 */
export function userLedgerAccount(accountId: string, currency: string): string {
  for (const part of [accountId, currency]) {
    if (part === '' || part.includes(':')) {
      throw new RangeError(`"${part}" cannot be part of a ledger account name`);
    }
  }
  return `acct:${accountId}:${currency}`;
}

/** The follower → leader transfer of `amount` (> 0). */
export function feeTransaction(
  p: FeeParties,
  id: string,
  ts: number,
  amount: Decimal,
): FeeTransaction {
  if (!amount.isPositive()) throw new RangeError(`a fee must be positive, not ${amount}`);
  return {
    id,
    ts,
    kind: 'fee',
    reference: p.followId,
    postings: [
      {
        ledgerAccount: userLedgerAccount(p.followerAccountId, p.currency),
        currency: p.currency,
        amount: amount.neg(),
      },
      {
        ledgerAccount: userLedgerAccount(p.leaderAccountId, p.currency),
        currency: p.currency,
        amount,
      },
    ],
  };
}

// ── performance fee ───────────────────────────────────────────────────────────────────────

export interface PerformanceFeeState {
  /** Highest cumulative realized PnL charged so far; never below zero. */
  highWaterMark: Decimal;
  totalCharged: Decimal;
  /** Fee transactions produced, which numbers the next one. */
  settlements: number;
  lastSettledAt?: number;
}

export const INITIAL_PERFORMANCE_FEE_STATE: PerformanceFeeState = Object.freeze({
  highWaterMark: Decimal.ZERO,
  totalCharged: Decimal.ZERO,
  settlements: 0,
});

export interface PerformanceFeeInput extends FeeParties {
  /** The leader's share of profit, percent (20 = 20 %). */
  sharePct: Decimal;
  cumulativeRealizedPnl: Decimal;
  state: PerformanceFeeState;
  ts: number;
  places?: number;
}

export interface PerformanceFeeSettlement {
  fee: Decimal;
  /** Cumulative PnL above the previous mark (zero when at or below it). */
  profitAboveMark: Decimal;
  state: PerformanceFeeState;
  transaction?: FeeTransaction;
}

/**
 * Settles the performance fee: on the schedule and once more when the follow ends.
 *
 * @example
 *   // 20 %, mark 100, cumulative PnL 250: fee = (250 − 100) × 20 % = 30, new mark 250
 *   settlePerformanceFee({ ...parties, sharePct: dec('20'), cumulativeRealizedPnl: dec('250'),
 *     state: { ...state, highWaterMark: dec('100') }, ts })
 */
export function settlePerformanceFee(i: PerformanceFeeInput): PerformanceFeeSettlement {
  const { state } = i;
  const above = Decimal.max(i.cumulativeRealizedPnl.sub(state.highWaterMark), Decimal.ZERO);
  const fee = percentOf(above, i.sharePct, 'floor').round(i.places ?? DEFAULT_FEE_PLACES, 'floor');
  const next: PerformanceFeeState = {
    highWaterMark: Decimal.max(state.highWaterMark, i.cumulativeRealizedPnl),
    totalCharged: state.totalCharged.add(fee),
    settlements: state.settlements + (fee.isPositive() ? 1 : 0),
    lastSettledAt: i.ts,
  };
  if (!fee.isPositive()) return { fee, profitAboveMark: above, state: next };
  const id = `copy-fee:performance:${i.followId}:${next.settlements}`;
  return {
    fee,
    profitAboveMark: above,
    state: next,
    transaction: feeTransaction(i, id, i.ts, fee),
  };
}

// ── subscription fee ──────────────────────────────────────────────────────────────────────

export interface SubscriptionState {
  /** Time up to which the subscription has been charged; starts at the follow's start. */
  paidThrough: number;
  totalCharged: Decimal;
  settlements: number;
}

export const subscriptionStart = (startedAt: number): SubscriptionState => ({
  paidThrough: startedAt,
  totalCharged: Decimal.ZERO,
  settlements: 0,
});

export interface SubscriptionInput extends FeeParties {
  amountPerPeriod: Decimal;
  periodMs: number;
  state: SubscriptionState;
  ts: number;
  /** The follow ends at `ts`: the started period is charged pro rata. */
  final: boolean;
  places?: number;
}

export interface SubscriptionSettlement {
  fee: Decimal;
  state: SubscriptionState;
  transaction?: FeeTransaction;
}

/**
 * Charges the subscription in arrears: every whole period since `paidThrough`, and at the
 * end of the follow the started period pro rata (rounded down). Nothing is charged ahead, so
 * nothing has to be refunded when a follower leaves.
 */
export function settleSubscription(i: SubscriptionInput): SubscriptionSettlement {
  if (!Number.isSafeInteger(i.periodMs) || i.periodMs <= 0) {
    throw new RangeError(`a subscription period must be a positive whole number of ms`);
  }
  const { state } = i;
  const places = i.places ?? DEFAULT_FEE_PLACES;
  const elapsed = Math.max(i.ts - state.paidThrough, 0);
  const periods = Math.floor(elapsed / i.periodMs);
  let fee = i.amountPerPeriod.mulInt(periods).round(places, 'floor');
  let paidThrough = state.paidThrough + periods * i.periodMs;
  if (i.final && i.ts > paidThrough) {
    const part = Decimal.fromInt(i.ts - paidThrough);
    fee = fee.add(
      mulDiv(i.amountPerPeriod, part, Decimal.fromInt(i.periodMs), 'floor').round(places, 'floor'),
    );
    paidThrough = i.ts;
  }
  const charged = fee.isPositive();
  const next: SubscriptionState = {
    paidThrough,
    totalCharged: state.totalCharged.add(fee),
    settlements: state.settlements + (charged ? 1 : 0),
  };
  if (!charged) return { fee, state: next };
  const id = `copy-fee:subscription:${i.followId}:${next.settlements}`;
  return { fee, state: next, transaction: feeTransaction(i, id, i.ts, fee) };
}

// ── schedule ──────────────────────────────────────────────────────────────────────────────

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** Settlements fall on `anchorMs + k × periodMs`. */
export interface SettlementSchedule {
  periodMs: number;
  anchorMs: number;
}

/** Every Monday at 00:00 UTC (5 January 1970 was a Monday), the default. */
export const WEEKLY_SETTLEMENT: SettlementSchedule = Object.freeze({
  periodMs: WEEK_MS,
  anchorMs: Date.UTC(1970, 0, 5),
});

/** The first settlement time strictly after `after`. */
export function nextSettlementAt(
  after: number,
  schedule: SettlementSchedule = WEEKLY_SETTLEMENT,
): number {
  const k = Math.floor((after - schedule.anchorMs) / schedule.periodMs) + 1;
  return schedule.anchorMs + k * schedule.periodMs;
}

/** Whether a settlement time has passed since the last settlement (or the follow's start). */
export function settlementDue(
  lastSettledAt: number,
  now: number,
  schedule: SettlementSchedule = WEEKLY_SETTLEMENT,
): boolean {
  return now >= nextSettlementAt(lastSettledAt, schedule);
}
