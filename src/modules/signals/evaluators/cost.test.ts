import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../../core/decimal.js';
import { callCost } from './cost.js';

describe('call cost', () => {
  it('prices prompt and completion tokens separately, exactly', () => {
    // 1200 × 0.15 = 180, 80 × 0.6 = 48 → 228 / 1 000 000
    const prices = { input: dec('0.15'), output: dec('0.6') };
    expect(callCost({ prompt: 1200, completion: 80 }, prices).toString()).toBe('0.000228');
    // 1 × 0.000000000001 / 1e6 = 1e-18: the smallest amount NUMERIC keeps here
    const tiny = { input: dec('0.000000000001'), output: Decimal.ZERO };
    expect(callCost({ prompt: 1, completion: 0 }, tiny).toString()).toBe('0.000000000000000001');
    expect(callCost({ prompt: 0, completion: 0 }, prices).isZero()).toBe(true);
  });

  it('is exact for any price with up to 12 decimals: cost × 1e6 gives back the products', () => {
    const price = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 12 }))
      .map(([n, p]) => Decimal.fromUnits(n * 10n ** BigInt(18 - p)));
    const tokens = fc.integer({ min: 0, max: 10_000_000 });
    fc.assert(
      fc.property(price, price, tokens, tokens, (input, output, prompt, completion) => {
        const cost = callCost({ prompt, completion }, { input, output });
        const back = cost.mulInt(1_000_000);
        expect(back.eq(input.mulInt(prompt).add(output.mulInt(completion)))).toBe(true);
      }),
    );
  });
});
