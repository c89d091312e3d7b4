/**
 * The drawdown stop of a follow: copying stops once the copied trades have lost `pct` percent
 * of the allocated amount, counting realized and unrealized PnL. The trigger is decided on
 * integers (loss × 100 ≥ allocation × pct), so a loss exactly at the threshold stops and one
 * a 10^-18 short does not, whatever the rounding of the displayed figures.
 */
import { Decimal } from '../../../core/decimal.js';
import { HUNDRED, percentOf, reachesPercent } from './arith.js';
import type { DrawdownStop } from './types.js';

export interface DrawdownInput {
  allocatedAmount: Decimal;
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
  stop: DrawdownStop | undefined;
}

export interface DrawdownEvaluation {
  triggered: boolean;
  /** Whether the copied positions are to be closed (only ever true when triggered). */
  closePositions: boolean;
  /** −(realized + unrealized) when negative PnL, else zero. */
  loss: Decimal;
  /** Loss as a percent of the allocation, 4 places half-even, for display. */
  drawdownPct: Decimal;
  /** The loss at which the stop fires (rounded up to 10^-18), absent when there is no stop. */
  threshold?: Decimal;
}

/**
 * @example
 *   evaluateDrawdownStop({ allocatedAmount: dec('1000'), realizedPnl: dec('-150'),
 *     unrealizedPnl: dec('-50'), stop: { pct: dec('20'), closePositions: true } })
 *   // { triggered: true, closePositions: true, loss: 200, drawdownPct: 20, threshold: 200 }
 */
export function evaluateDrawdownStop(i: DrawdownInput): DrawdownEvaluation {
  const pnl = i.realizedPnl.add(i.unrealizedPnl);
  const loss = pnl.isNegative() ? pnl.neg() : Decimal.ZERO;
  const drawdownPct = i.allocatedAmount.isPositive()
    ? loss.mul(HUNDRED).div(i.allocatedAmount).round(4)
    : Decimal.ZERO;
  if (!i.stop) return { triggered: false, closePositions: false, loss, drawdownPct };
  const triggered =
    i.allocatedAmount.isPositive() &&
    loss.isPositive() &&
    reachesPercent(loss, i.allocatedAmount, i.stop.pct);
  return {
    triggered,
    closePositions: triggered && i.stop.closePositions,
    loss,
    drawdownPct,
    threshold: percentOf(i.allocatedAmount, i.stop.pct, 'ceil'),
  };
}
