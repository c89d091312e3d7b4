/**
 * A copy is a limit order at the leader's fill price moved by the follower's slippage
 * allowance, so it can never fill at a price worse than the follower accepted. Rounding to
 * the tick goes towards the leader's price (down for a buy, up for a sell): rounding the
 * other way would allow slightly more slippage than the setting.
 */
import { Decimal } from '../../../core/decimal.js';
import { scaleByPercent } from './arith.js';
import type { Side } from './types.js';

/** Default allowance for the deepest markets: pairs whose base is BTC or ETH. */
export const MAJOR_SLIPPAGE_PCT = Decimal.parse('0.5');
/** Default allowance for every other pair. */
export const OTHER_SLIPPAGE_PCT = Decimal.parse('1.5');
const MAJORS: ReadonlySet<string> = new Set(['BTC', 'ETH']);

/** The default allowance of a pair, judged by its base asset (ETH/BTC is a major, SOL/BTC is not). */
export function defaultMaxSlippagePct(instrument: { base: string }): Decimal {
  return MAJORS.has(instrument.base.toUpperCase()) ? MAJOR_SLIPPAGE_PCT : OTHER_SLIPPAGE_PCT;
}

/** The follow's own allowance, or the pair's default when it sets none. */
export function effectiveSlippagePct(
  maxSlippagePct: Decimal | undefined,
  instrument: { base: string },
): Decimal {
  return maxSlippagePct ?? defaultMaxSlippagePct(instrument);
}

/**
 * The limit price of a copy: buy at most `price × (1 + pct/100)` rounded down to the tick,
 * sell at least `price × (1 − pct/100)` rounded up to the tick. Throws on a percentage
 * outside [0, 100), which validation never lets through.
 *
 * @example
 *   slippageLimitPrice('buy', dec('50000.00'), dec('0.5'), dec('0.01'))  // 50250.00
 *   slippageLimitPrice('sell', dec('0.3337'), dec('1.5'), dec('0.0001')) // 0.3287 (0.3286945 up)
 */
export function slippageLimitPrice(
  side: Side,
  price: Decimal,
  maxSlippagePct: Decimal,
  tickSize: Decimal,
): Decimal {
  if (maxSlippagePct.isNegative() || maxSlippagePct.gte(Decimal.fromInt(100))) {
    throw new RangeError(`slippage must be in [0, 100) percent, not ${maxSlippagePct}`);
  }
  if (side === 'buy') {
    return scaleByPercent(price, maxSlippagePct, 'floor').roundToStep(tickSize, 'floor');
  }
  // Below 100 % the product stays positive, so rounding up keeps the limit at a tick or more.
  return scaleByPercent(price, maxSlippagePct.neg(), 'ceil').roundToStep(tickSize, 'ceil');
}

/** Whether a market at `marketPrice` is already beyond the copy's limit, so it cannot fill now. */
export function beyondLimit(side: Side, limitPrice: Decimal, marketPrice: Decimal): boolean {
  return side === 'buy' ? marketPrice.gt(limitPrice) : marketPrice.lt(limitPrice);
}
