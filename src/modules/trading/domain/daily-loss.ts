import { Decimal } from '../../../core/decimal.js';
import { utcDayStart, type Portfolio } from './portfolio.js';
import type { RiskContext } from './risk.js';

/**
 * What the daily-loss check needs, for the order's quote currency on the UTC day of `now`.
 *
 * Today's loss is −(realized PnL today). Realized PnL is already net of every fee of the
 * positions it closes (sell fees directly, buy fees through the cost basis), so `feesToday`
 * stays zero: counting fees again would charge them twice. Unrealized losses and the fees of
 * positions still open do not count until they are realized.
 *
 * @example
 *   risk.check(intent, { ...rest, ...dailyLossContext(portfolio, accountId, inst.quote, clock.now()) })
 */
export function dailyLossContext(
  portfolio: Portfolio,
  accountId: string,
  quote: string,
  now: number,
): Pick<RiskContext, 'realizedPnlToday' | 'feesToday'> {
  return {
    realizedPnlToday: portfolio.realizedOn(accountId, utcDayStart(now), quote),
    feesToday: Decimal.ZERO,
  };
}
