import { Decimal, divRound } from '../../../core/decimal.js';

/**
 * Tunables of the paper venue's fill model (docs/FILL_MODEL.md explains each choice).
 */
export interface MatchingConfig {
  /** Ticks between consecutive levels of the simulated book. */
  levelSpacingTicks: number;
  /** Each level holds this many times the size of the level before it (geometric growth). */
  sizeGrowth: Decimal;
  /** Levels per side, the best one included; what lies beyond is treated as no liquidity. */
  depthLevels: number;
  /**
   * When a market trade at exactly a resting limit's price fills it:
   * - `through`: never; only a trade strictly through the price does (pessimistic);
   * - `touch`: always (optimistic: as if first in the queue);
   * - `queue`: once the size displayed at that price when the order started resting has
   *   traded away (a queue-position estimate).
   */
  queueModel: 'through' | 'touch' | 'queue';
  /** Fill resting limits as maker when a new book top crosses them. */
  fillOnBookCross: boolean;
  /** Decimal places fees are rounded to (up, in the venue's favour). */
  feePlaces: number;
}

export const DEFAULT_MATCHING_CONFIG: Readonly<MatchingConfig> = {
  levelSpacingTicks: 1,
  sizeGrowth: Decimal.parse('1.5'),
  depthLevels: 20,
  queueModel: 'through',
  fillOnBookCross: true,
  feePlaces: 8,
};

export function matchingConfig(partial: Partial<MatchingConfig> = {}): MatchingConfig {
  const c = { ...DEFAULT_MATCHING_CONFIG, ...partial };
  if (!Number.isSafeInteger(c.levelSpacingTicks) || c.levelSpacingTicks < 1) {
    throw new RangeError(
      `levelSpacingTicks must be a positive integer, got ${c.levelSpacingTicks}`,
    );
  }
  if (!Number.isSafeInteger(c.depthLevels) || c.depthLevels < 1) {
    throw new RangeError(`depthLevels must be a positive integer, got ${c.depthLevels}`);
  }
  if (c.sizeGrowth.lt(Decimal.ONE))
    throw new RangeError(`sizeGrowth must be ≥ 1, got ${c.sizeGrowth}`);
  if (!Number.isSafeInteger(c.feePlaces) || c.feePlaces < 0 || c.feePlaces > 18) {
    throw new RangeError(`feePlaces must be an integer in 0..18, got ${c.feePlaces}`);
  }
  return c;
}

const SCALE2 = 10n ** 36n;

/**
 * price × quantity × rate, computed exactly from the three operands and rounded once, toward
 * positive infinity, to `places` decimals: a fee is never under-charged by rounding, and a
 * rebate (negative rate) is never over-paid.
 */
export function feeFor(price: Decimal, quantity: Decimal, rate: Decimal, places: number): Decimal {
  const step = 10n ** BigInt(18 - places);
  const exact = price.units * quantity.units * rate.units; // value × 10^54
  return Decimal.fromUnits(divRound(exact, SCALE2 * step, 'ceil') * step);
}

/** Reproducible ids (`fill-1`, `fill-2`, …) for tests and backtests. */
export function sequentialIds(prefix = 'fill', start = 1): () => string {
  let n = start;
  return () => `${prefix}-${n++}`;
}
