import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { slippageLimitPrice } from './slippage.js';

describe('slippageLimitPrice properties', () => {
  it('lands on the tick within one tick of the exact bound, never beyond it', () => {
    const U = 10n ** 18n;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        (tickE, ticks, bps) => {
          const t = Decimal.fromUnits(10n ** BigInt(18 - tickE));
          const price = t.mulInt(ticks);
          const pct = Decimal.fromUnits(BigInt(bps) * 10n ** 16n);
          const buy = slippageLimitPrice('buy', price, pct, t);
          const sell = slippageLimitPrice('sell', price, pct, t);
          expect(buy.isMultipleOf(t) && sell.isMultipleOf(t)).toBe(true);
          // exact bounds × 100: price × (100 ± pct)
          const up = price.units * (100n * U + pct.units);
          const down = price.units * (100n * U - pct.units);
          expect(buy.units * 100n * U <= up).toBe(true);
          expect((buy.units + t.units) * 100n * U > up).toBe(true);
          expect(sell.units * 100n * U >= down).toBe(true);
          expect((sell.units - t.units) * 100n * U < down).toBe(true);
          expect(buy.gte(price) && sell.lte(price)).toBe(true);
        },
      ),
    );
  });
});
