/**
 * Unit-level arithmetic shared by the ledger and the portfolio. Amounts here are bigint
 * counts of 10^-18 (the `units` of a `Decimal`), so the fill path multiplies and divides
 * integers without allocating a `Decimal` per step. Every rounding is half-even at 10^-18
 * and happens in one named function, so a reader can find each place a value is not exact.
 */
import { SCALE, divRound, type Decimal } from '../../../core/decimal.js';

const ONE = 10n ** BigInt(SCALE);

/**
 * price × quantity in quote units. The raw product has 36 decimal places; it is exact at 18
 * whenever price places + quantity places ≤ 18, which `assertExactGrid` guarantees for fills
 * on an instrument's tick and lot grid. Fills off the grid (a live venue's average price)
 * round half-even here, once, and both legs of the trade then post that same rounded amount,
 * so the ledger still balances exactly.
 */
export function mulUnits(a: bigint, b: bigint): bigint {
  const p = a * b;
  const q = p / ONE;
  return q * ONE === p ? q : divRound(p, ONE, 'half-even');
}

/**
 * The share `part / whole` of `amount` (cost basis removed by a partial sell), half-even.
 * A full close (part === whole) returns `amount` itself, so closing a position never leaves
 * a residue of cost behind.
 */
export function proRataUnits(amount: bigint, part: bigint, whole: bigint): bigint {
  if (part === whole) return amount;
  return divRound(amount * part, whole, 'half-even');
}

/**
 * Throws when an instrument's tick and lot sizes together need more than 18 decimal places:
 * on such an instrument, notionals of on-grid fills could not be represented exactly.
 */
export function assertExactGrid(symbol: string, tickSize: Decimal, lotSize: Decimal): void {
  const places = tickSize.places() + lotSize.places();
  if (places > SCALE) {
    throw new RangeError(
      `${symbol}: tick (${tickSize}) and lot (${lotSize}) need ${places} places; notionals would not be exact`,
    );
  }
}
