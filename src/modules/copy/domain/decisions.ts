import type { Decimal } from '../../../core/decimal.js';
import type { Order } from '../../trading/index.js';

/**
 * What the planner decides for one (leader fill, follow): an order to place, or a skip with a
 * stable reason code and a message that names the numbers. A skip is a normal outcome —
 * a small follower, a paused follow — so it is a value, never an exception.
 */

export const SKIP_REASONS = [
  // The leader's fill cannot be copied at all.
  'invalid_leader_fill',
  'leader_fill_is_copy',
  // The follow or the leader is not copying.
  'follow_ended',
  'follow_paused',
  'drawdown_stopped',
  'leader_paused',
  'leader_stopped',
  'copy_mode_excludes_opens',
  'copy_mode_excludes_closes',
  // The instrument.
  'instrument_not_listed',
  'instrument_not_allowed',
  'no_quote_rate',
  'slippage_exceeded',
  // Sizing.
  'insufficient_equity',
  'no_leader_equity',
  'max_open_positions',
  'nothing_to_close',
  'below_lot_size',
  'below_min_notional',
  // A limit cut the quantity below what the venue accepts.
  'max_order_notional',
  'allocation_exhausted',
  'equity_cap_reached',
  'insufficient_balance',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A limit that made a copy smaller than its mode asked for. */
export type CapCode =
  | 'max_order_notional'
  | 'allocation'
  | 'equity_cap'
  | 'available_balance'
  | 'instrument_max_quantity';

/** The skip reported when a cap leaves nothing the venue would accept. */
export const CAP_SKIP: Readonly<Record<CapCode, SkipReason>> = {
  max_order_notional: 'max_order_notional',
  allocation: 'allocation_exhausted',
  equity_cap: 'equity_cap_reached',
  available_balance: 'insufficient_balance',
  instrument_max_quantity: 'below_min_notional',
};

/** A leader buy opens (or adds to) a position; a sell closes part or all of it (spot). */
export type CopyAction = 'open' | 'close';

/** An order intent as the trading module takes it: always a limit at the slippage price. */
export type CopyOrderIntent = Pick<
  Order,
  | 'accountId'
  | 'venue'
  | 'symbol'
  | 'side'
  | 'quantity'
  | 'timeInForce'
  | 'postOnly'
  | 'reduceOnly'
  | 'clientOrderId'
> & { type: 'limit'; price: Decimal };

interface DecisionBase {
  followId: string;
  leaderFillId: string;
  action: CopyAction;
}

export interface CopyOrder extends DecisionBase {
  kind: 'order';
  intent: CopyOrderIntent;
  /**
   * The quantity the mode asked for before lot rounding and limits (exact, truncated at
   * 10^-18): for an open, e.g. leader quantity × ratio; for a close, the copied position ×
   * the fraction the leader closed.
   */
  target: Decimal;
  /** The limit that made the quantity smaller than `target` rounded down to the lot. */
  cappedBy?: CapCode;
}

export interface CopySkip extends DecisionBase {
  kind: 'skip';
  reason: SkipReason;
  message: string;
}

export type CopyDecision = CopyOrder | CopySkip;
