import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { d, s } from './copy.fixtures.js';
import {
  beyondLimit,
  defaultMaxSlippagePct,
  effectiveSlippagePct,
  slippageLimitPrice,
} from './slippage.js';

describe('default slippage allowance', () => {
  it('is 0.5 % for BTC and ETH pairs, 1.5 % for the rest, judged by the base', () => {
    const of = (base: string) => s(defaultMaxSlippagePct({ base }));
    expect([of('BTC'), of('ETH'), of('btc')]).toEqual(['0.5', '0.5', '0.5']);
    expect([of('SOL'), of('DOGE'), of('USDT')]).toEqual(['1.5', '1.5', '1.5']);
  });

  it("a follow's own setting wins", () => {
    expect(s(effectiveSlippagePct(d('2'), { base: 'BTC' }))).toBe('2');
    expect(s(effectiveSlippagePct(undefined, { base: 'SOL' }))).toBe('1.5');
  });
});

describe('slippageLimitPrice', () => {
  const tick = d('0.01');

  it('moves a buy up and a sell down, rounding towards the leader price', () => {
    expect(s(slippageLimitPrice('buy', d('50000.00'), d('0.5'), tick))).toBe('50250');
    expect(s(slippageLimitPrice('sell', d('50000.00'), d('0.5'), tick))).toBe('49750');
    // 123.45 × 1.005 = 124.06725 → down to 124.06; 123.45 × 0.995 = 122.83275 → up to 122.84
    expect(s(slippageLimitPrice('buy', d('123.45'), d('0.5'), tick))).toBe('124.06');
    expect(s(slippageLimitPrice('sell', d('123.45'), d('0.5'), tick))).toBe('122.84');
    // 0.3337 × 0.985 = 0.3286945 → 0.3287; 0.3337 × 1.015 = 0.3387055 → 0.3387
    expect(s(slippageLimitPrice('sell', d('0.3337'), d('1.5'), d('0.0001')))).toBe('0.3287');
    expect(s(slippageLimitPrice('buy', d('0.3337'), d('1.5'), d('0.0001')))).toBe('0.3387');
  });

  it('never allows a worse price than the leader got when the allowance is zero', () => {
    expect(s(slippageLimitPrice('buy', d('100.00'), Decimal.ZERO, tick))).toBe('100');
    // An average fill price off the tick grid (a live venue's) rounds inwards.
    expect(s(slippageLimitPrice('buy', d('100.005'), Decimal.ZERO, tick))).toBe('100');
    expect(s(slippageLimitPrice('sell', d('100.005'), Decimal.ZERO, tick))).toBe('100.01');
  });

  it('keeps a sell limit at one tick or more even with a huge allowance', () => {
    expect(s(slippageLimitPrice('sell', d('0.01'), d('99.99'), tick))).toBe('0.01');
  });

  it('refuses a percentage outside [0, 100)', () => {
    expect(() => slippageLimitPrice('buy', d('1'), d('-0.1'), tick)).toThrow(RangeError);
    expect(() => slippageLimitPrice('sell', d('1'), d('100'), tick)).toThrow(RangeError);
  });

  it('beyondLimit: the market is past the limit on the side that matters', () => {
    expect(beyondLimit('buy', d('100'), d('100.01'))).toBe(true);
    expect(beyondLimit('buy', d('100'), d('100'))).toBe(false);
    expect(beyondLimit('sell', d('100'), d('99.99'))).toBe(true);
    expect(beyondLimit('sell', d('100'), d('100'))).toBe(false);
  });
});
