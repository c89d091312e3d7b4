import type { Decimal } from '../../../core/decimal.js';
import type { Fill, InstrumentRules } from '../../trading/index.js';

/**
 * The copy-trading model. Every amount is an exact `Decimal`; every percentage is a percent
 * (`"0.5"` is 0.5 %, `"20"` is 20 %), never a fraction, so a value can be read the same way
 * in settings, messages and the database. Fields that hold one end in `Pct`.
 */

export type { InstrumentRules };
export type Side = Fill['side'];

export type LeaderStatus = 'active' | 'paused' | 'stopped';

/** What followers are charged; `performanceFeePct` of realized profit above the high-water mark. */
export interface FeeTerms {
  performanceFeePct: Decimal;
  /** Fixed fee per period in the follow currency, charged in arrears; absent for none. */
  subscription?: { amount: Decimal; periodMs: number };
}

export interface Leader {
  id: string;
  userId: string;
  status: LeaderStatus;
  profile: { displayName: string; bio?: string };
  /** Accounts whose fills are copied. */
  accountIds: readonly string[];
  /** Account that receives the fees followers pay. */
  payoutAccountId: string;
  fees: FeeTerms;
}

/**
 * How a follower's opening quantity is derived from the leader's:
 * - `fixed_ratio`: leader quantity × `ratio`;
 * - `proportional`: leader quantity × follower equity / leader equity;
 * - `fixed_amount`: `amount` (follow currency) worth at the order's limit price;
 * - `equity_cap`: proportional, but no copied position may be worth more than `capPct` of
 *   the follower's equity.
 */
export type Allocation =
  | { mode: 'fixed_ratio'; ratio: Decimal }
  | { mode: 'proportional' }
  | { mode: 'fixed_amount'; amount: Decimal }
  | { mode: 'equity_cap'; capPct: Decimal };

export type AllocationMode = Allocation['mode'];
export const ALLOCATION_MODES: readonly AllocationMode[] = [
  'fixed_ratio',
  'proportional',
  'fixed_amount',
  'equity_cap',
];

export type CopyMode = 'both' | 'opens_only' | 'closes_only';
export const COPY_MODES: readonly CopyMode[] = ['both', 'opens_only', 'closes_only'];

export interface DrawdownStop {
  /** Loss, as a percent of the allocated amount, at which copying stops. */
  pct: Decimal;
  /** Whether the copied positions are closed when the stop triggers. */
  closePositions: boolean;
}

/** A follow's settings, validated. Amounts are in the follow currency. */
export interface FollowSettings {
  allocation: Allocation;
  /** Capital the follow may use: opening orders stop when it is spent (see `allocationRemaining`). */
  allocatedAmount: Decimal;
  maxOrderNotional?: Decimal;
  maxOpenPositions?: number;
  drawdownStop?: DrawdownStop;
  /** Symbols (`BASE/QUOTE`) that may be opened; empty means every symbol. */
  allow: readonly string[];
  /** Symbols that are never opened. Never overlaps `allow`. */
  deny: readonly string[];
  /** Worst price against the leader's fill, percent; absent means the instrument's default. */
  maxSlippagePct?: Decimal;
  copyMode: CopyMode;
}

/**
 * `drawdown_stopped` ends copying until the follow is ended; a follower who wants to go on
 * starts a new follow, with a new allocation to measure drawdown against.
 */
export type FollowStatus = 'active' | 'paused' | 'drawdown_stopped' | 'ended';

export interface Follow {
  id: string;
  leaderId: string;
  followerUserId: string;
  /** The follower's account that trades the copies. */
  accountId: string;
  /** Currency of the allocation, limits, equity and fees (the account's valuation currency). */
  currency: string;
  status: FollowStatus;
  settings: FollowSettings;
  startedAt: number;
}

/** The leader's fill as the planner needs it; the trading module's `Fill` satisfies it. */
export type LeaderFillView = Pick<
  Fill,
  'id' | 'accountId' | 'venue' | 'symbol' | 'side' | 'price' | 'quantity'
>;

/** One leader fill with the leader's state around it. */
export interface LeaderTrade {
  fill: LeaderFillView;
  /** The leader's base position in the instrument just before the fill (≥ 0 on spot). */
  positionBefore: Decimal;
  /** The leader's equity in the valuation currency at the fill; used by proportional modes. */
  equity: Decimal;
  /** The fill executed a copy order: copies are never copied again, so follows cannot loop. */
  fromCopyOrder: boolean;
}

/** What a follow holds and has made through copying, in the follow currency. */
export interface FollowExposure {
  /** Cost basis of the open copied positions, trading fees included. */
  openCost: Decimal;
  /** Realized PnL of the copied trades since the follow began, net of trading fees. */
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
  /** Instruments in which the follow holds a copied position. */
  openPositions: number;
}

/** Everything the planner needs about one follower for one leader fill. */
export interface FollowerContext {
  follow: Follow;
  /** The instrument on the follower's venue; undefined when that venue does not list it. */
  instrument: InstrumentRules | undefined;
  /** The follower account's equity in the follow currency. */
  equity: Decimal;
  /** Free balance of what the order spends: the quote currency for a buy, the base for a sell. */
  available: Decimal;
  /** Base quantity of the follow's copied position in this instrument. */
  copiedQuantity: Decimal;
  exposure: FollowExposure;
  /** Value of one unit of the instrument's quote currency in the follow currency; default 1. */
  quoteRate?: Decimal;
  /** Best price the order would take now (ask for a buy, bid for a sell); unchecked when absent. */
  marketPrice?: Decimal;
}
