/**
 * What a follow holds through its copies, kept apart from the rest of the follower's account
 * (their own trades, other leaders' copies): closes are sized against it, and allocation,
 * drawdown and the performance fee are measured on its PnL. The method is the portfolio's:
 * weighted average cost, buy fees in the cost, so realized PnL is net of trading fees.
 */
import { Decimal, divRound } from '../../core/decimal.js';
import type { FollowExposure, Side } from './domain/index.js';

export interface CopyPosition {
  followId: string;
  symbol: string;
  /** Base quantity bought by copies and not yet sold by them. */
  quantity: Decimal;
  /** Cost basis of `quantity`, trading fees included, in the quote currency. */
  cost: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
}

/** An order's executed part: filled quantity, Σ price × quantity, fee in the quote currency. */
export interface Execution {
  side: Side;
  quantity: Decimal;
  notional: Decimal;
  fee: Decimal;
}

export const emptyPosition = (followId: string, symbol: string): CopyPosition => ({
  followId,
  symbol,
  quantity: Decimal.ZERO,
  cost: Decimal.ZERO,
  realizedPnl: Decimal.ZERO,
  fees: Decimal.ZERO,
});

/** `x × num / den`, one half-even rounding at 10^-18 (`den` > 0). */
const share = (x: Decimal, num: Decimal, den: Decimal): Decimal =>
  Decimal.fromUnits(divRound(x.units * num.units, den.units, 'half-even'));

/**
 * The position after an execution. A sale removes the sold share of the cost (all of it when
 * the position closes, so rounding never leaks); a sale beyond the copied quantity (the
 * follower sold some by hand in between) realizes only the copied part.
 *
 * @example
 *   // bought 0.1 for 5000 + 5 fee, sold 0.04 for 2200 − 2.2 fee:
 *   // removed = 5005 × 0.04 / 0.1 = 2002; realized = 2197.8 − 2002 = 195.8
 */
export function applyExecution(p: CopyPosition, e: Execution): CopyPosition {
  if (!e.quantity.isPositive()) return p;
  if (e.side === 'buy') {
    return {
      ...p,
      quantity: p.quantity.add(e.quantity),
      cost: p.cost.add(e.notional).add(e.fee),
      fees: p.fees.add(e.fee),
    };
  }
  const covered = Decimal.min(e.quantity, p.quantity);
  if (!covered.isPositive()) return { ...p, fees: p.fees.add(e.fee) };
  const removed = covered.eq(p.quantity) ? p.cost : share(p.cost, covered, p.quantity);
  const proceeds = e.notional.sub(e.fee);
  const counted = covered.eq(e.quantity) ? proceeds : share(proceeds, covered, e.quantity);
  return {
    ...p,
    quantity: p.quantity.sub(covered),
    cost: p.cost.sub(removed),
    realizedPnl: p.realizedPnl.add(counted.sub(removed)),
    fees: p.fees.add(e.fee),
  };
}

/**
 * The follow's exposure for the planner and the drawdown stop, in the follow currency.
 * `valueOf(symbol, quantity)` marks a position; a position without a mark adds no
 * unrealized PnL (it is neither gain nor loss until it can be priced).
 */
export function exposureOf(
  positions: readonly CopyPosition[],
  valueOf: (symbol: string, quantity: Decimal) => Decimal | undefined,
): FollowExposure {
  let openCost = Decimal.ZERO;
  let realizedPnl = Decimal.ZERO;
  let unrealizedPnl = Decimal.ZERO;
  let openPositions = 0;
  for (const p of positions) {
    realizedPnl = realizedPnl.add(p.realizedPnl);
    if (!p.quantity.isPositive()) continue;
    openPositions++;
    openCost = openCost.add(p.cost);
    const value = valueOf(p.symbol, p.quantity);
    if (value !== undefined) unrealizedPnl = unrealizedPnl.add(value.sub(p.cost));
  }
  return { openCost, realizedPnl, unrealizedPnl, openPositions };
}

/** Cumulative realized PnL of a follow's copies: what the performance fee is charged on. */
export const realizedOf = (positions: readonly CopyPosition[]): Decimal =>
  positions.reduce((s, p) => s.add(p.realizedPnl), Decimal.ZERO);
