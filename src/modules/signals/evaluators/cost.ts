import { Decimal } from '../../../core/decimal.js';

/** A model's prices in US dollars per million tokens. */
export interface TokenPrices {
  input: Decimal;
  output: Decimal;
}

const MILLION = Decimal.fromInt(1_000_000);

/**
 * The cost of one call: prompt tokens × input price + completion tokens × output price, over a
 * million. Exact: prices carry at most 12 decimals (the configuration refuses more), so the
 * quotient fits the 18 places of Decimal and NUMERIC without rounding.
 *
 * @example
 * callCost({ prompt: 1200, completion: 80 }, { input: dec('0.15'), output: dec('0.6') })
 * // 0.000228 (1200 × 0.15 = 180, 80 × 0.6 = 48, 228 / 1e6)
 */
export function callCost(
  tokens: { prompt: number; completion: number },
  prices: TokenPrices,
): Decimal {
  const input = Decimal.fromInt(tokens.prompt).mul(prices.input);
  const output = Decimal.fromInt(tokens.completion).mul(prices.output);
  return input.add(output).div(MILLION);
}
