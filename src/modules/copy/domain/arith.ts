/**
 * The few computations copy trading needs beyond `Decimal`'s own, each with exactly one
 * rounding, so that "rounded down to the lot" means the floor of the exact real value and
 * not of an already rounded intermediate.
 */
import { Decimal, SCALE, divRound, type Rounding } from '../../../core/decimal.js';

const ONE_UNITS = 10n ** BigInt(SCALE);
const HUNDRED_UNITS = 100n * ONE_UNITS;

export const HUNDRED = Decimal.fromInt(100);

/** a × b / c with one rounding at 10^-18 (`c` must not be zero). */
export function mulDiv(a: Decimal, b: Decimal, c: Decimal, rounding: Rounding): Decimal {
  if (c.isZero()) throw new RangeError('mulDiv by zero');
  return Decimal.fromUnits(divRound(a.units * b.units, c.units, rounding));
}

/** `pct` percent of `x`, one rounding. */
export function percentOf(x: Decimal, pct: Decimal, rounding: Rounding): Decimal {
  return Decimal.fromUnits(divRound(x.units * pct.units, HUNDRED_UNITS, rounding));
}

/** x × (100 + pct) / 100, one rounding: a price moved by `pct` percent (negative moves down). */
export function scaleByPercent(x: Decimal, pct: Decimal, rounding: Rounding): Decimal {
  return Decimal.fromUnits(
    divRound(x.units * (HUNDRED_UNITS + pct.units), HUNDRED_UNITS, rounding),
  );
}

/** Whether a × 100 ≥ b × pct, decided on integers: no rounding can flip the comparison. */
export function reachesPercent(a: Decimal, b: Decimal, pct: Decimal): boolean {
  return a.units * HUNDRED_UNITS >= b.units * pct.units;
}

/** The largest multiple of `lot` not above `q` (zero for q ≤ 0). */
export function floorToLot(q: Decimal, lot: Decimal): Decimal {
  return q.isPositive() ? q.roundToStep(lot, 'floor') : Decimal.ZERO;
}

/** How many `unit`s fit in `budget`, as a quantity floored to the lot (zero when none fit). */
export function quantityWithin(budget: Decimal, unit: Decimal, lot: Decimal): Decimal {
  if (!budget.isPositive()) return Decimal.ZERO;
  return floorToLot(budget.div(unit, 'floor'), lot);
}
