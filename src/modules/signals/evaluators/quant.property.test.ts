/**
 * Properties every built-in model keeps on arbitrary input: any subset of features with any
 * finite or infinite values (no NaN), any prices the gateway might have let through (and some
 * it would not), any quality flags, any direction. A verdict always has an action from the
 * enum, a confidence in [0, 1], a size in [0, 100] or null, positive decimal prices or null
 * and a sentence; the same input always gives the same verdict; nothing throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import {
  DECISION_ACTIONS,
  QUALITY_FLAGS,
  type EnrichedSignal,
  type Features,
  type Verdict,
} from '../domain/types.js';
import { enriched } from './quant.fixtures.js';
import { judgeRegime } from './quant-regime.js';
import { judgeRisk } from './quant-risk.js';
import { judgeTrend } from './quant-trend.js';

const anyNumber = fc.oneof(
  fc.double({ noNaN: true }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: 0, max: 100 }),
);
const price = fc.oneof(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), anyNumber);

const features: fc.Arbitrary<Features> = fc.record(
  {
    ema9: price,
    ema21: price,
    ema50: price,
    macd: fc.record({ macd: anyNumber, signal: anyNumber, histogram: anyNumber }),
    rsi14: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), anyNumber),
    atr14: fc.oneof(fc.double({ min: 0, max: 1e5, noNaN: true }), anyNumber),
    bollinger: fc.record({ upper: price, middle: price, lower: price }),
    support: fc.array(price, { maxLength: 3 }),
    resistance: fc.array(price, { maxLength: 3 }),
    bookImbalance: anyNumber,
  },
  { requiredKeys: [] },
);

const decimalText = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }))
    .map(([units, places]) => Decimal.fromUnits(units * 10n ** BigInt(18 - places)).toString()),
  fc.constantFrom('0', '0.000000000000000001', '1e5', '-5', 'abc', '99999999999999999999999999'),
);
const optionalPrice = fc.option(decimalText, { nil: null });

const input: fc.Arbitrary<EnrichedSignal> = fc
  .record({
    direction: fc.constantFrom('long', 'short', 'close') as fc.Arbitrary<
      'long' | 'short' | 'close'
    >,
    entry: optionalPrice,
    stop: optionalPrice,
    takeProfit: optionalPrice,
    lastPrice: optionalPrice,
    bid: optionalPrice,
    ask: optionalPrice,
    spreadBps: fc.option(anyNumber, { nil: null }),
    side: fc.option(fc.constantFrom('long', 'short', 'buy', 'SELL', 'flat', 7), { nil: null }),
    features,
    quality: fc.subarray([...QUALITY_FLAGS]),
  })
  .map((r) =>
    enriched({
      signal: {
        direction: r.direction,
        entry: r.entry,
        stop: r.stop,
        takeProfit: r.takeProfit,
        payload: r.side === null ? null : { side: r.side },
      },
      market: { lastPrice: r.lastPrice, bid: r.bid, ask: r.ask, spreadBps: r.spreadBps },
      features: r.features,
      quality: r.quality,
    }),
  );

function expectWellFormed(v: Verdict): void {
  expect(DECISION_ACTIONS).toContain(v.action);
  expect(v.confidence).toBeGreaterThanOrEqual(0);
  expect(v.confidence).toBeLessThanOrEqual(1);
  if (v.sizePct !== null) {
    expect(v.sizePct).toBeGreaterThanOrEqual(0);
    expect(v.sizePct).toBeLessThanOrEqual(100);
  }
  for (const p of [v.stop, v.takeProfit]) {
    if (p !== null) expect(Decimal.parse(p).isPositive()).toBe(true);
  }
  expect(v.reasoning.length).toBeGreaterThan(10);
  expect(v.reasoning).not.toMatch(/NaN|undefined/);
}

describe.each([
  ['trend alignment', judgeTrend],
  ['momentum regime', judgeRegime],
  ['risk/reward', judgeRisk],
])('%s on arbitrary input', (_name, judge) => {
  it('answers a well-formed verdict and never throws', () => {
    fc.assert(
      fc.property(input, (i) => {
        expectWellFormed(judge(i));
      }),
      { numRuns: 400 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(input, (i) => {
        expect(judge(structuredClone(i))).toEqual(judge(i));
      }),
      { numRuns: 200 },
    );
  });

  it('answers hold on stale data whatever else it sees', () => {
    fc.assert(
      fc.property(input, (i) => {
        const v = judge({ ...i, quality: [...i.quality, 'stale_data'] });
        expect(v.action).toBe('hold');
        expect(v.confidence).toBeLessThanOrEqual(0.2);
      }),
      { numRuns: 100 },
    );
  });

  it('never sizes or prices a hold', () => {
    fc.assert(
      fc.property(input, (i) => {
        const v = judge(i);
        if (v.action === 'hold')
          expect([v.sizePct, v.stop, v.takeProfit]).toEqual([null, null, null]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('risk/reward plans', () => {
  it('puts the stop and take-profit it backs on the right sides of the entry', () => {
    fc.assert(
      fc.property(input, (i) => {
        const v = judgeRisk(i);
        if (v.action !== 'long' && v.action !== 'short') return;
        const entry = Decimal.tryParse(i.signal.entry ?? '');
        if (!entry || !entry.isPositive()) return;
        const stop = Decimal.parse(v.stop!);
        const tp = Decimal.parse(v.takeProfit!);
        if (v.action === 'long') expect(stop.lt(entry) && tp.gt(entry)).toBe(true);
        else expect(stop.gt(entry) && tp.lt(entry)).toBe(true);
        expect(v.sizePct).toBeGreaterThanOrEqual(0);
        expect(v.sizePct).toBeLessThanOrEqual(25);
      }),
      { numRuns: 400 },
    );
  });
});
