/**
 * Properties of the binding planner over random instruments (tick, lot, minimum quantity and
 * notional, maximum quantity, fee), rules, accounts, prices and decisions. Checks are made on
 * exact rationals (bigint units of 10^-18 cross-multiplied), not with the planner's own
 * rounding, so a rounding in the wrong direction cannot hide.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { makeInstrument } from '../../market/index.js';
import type { InstrumentRules } from '../../trading/index.js';
import type { Direction } from '../domain/types.js';
import {
  planOrder,
  ROUNDING_MARGIN,
  SKIP_REASONS,
  type BindingRules,
  type DecidedSignal,
  type PlanContext,
  type Sizing,
} from './domain.js';

const U = 10n ** 18n;
/** n × 10^-places. */
const dec = (n: number | bigint, places = 0): Decimal =>
  Decimal.fromUnits(BigInt(n) * 10n ** BigInt(18 - places));
/** m × 10^e, m in 1…9: every order of magnitude equally often. */
const logInt = (maxExp: number) =>
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: maxExp }))
    .map(([m, e]) => BigInt(m) * 10n ** BigInt(e));
const orZero = (a: fc.Arbitrary<bigint>) =>
  fc.oneof({ arbitrary: fc.constant(0n), weight: 1 }, { arbitrary: a, weight: 4 });

const instrumentArb: fc.Arbitrary<InstrumentRules> = fc
  .record({
    tickE: fc.integer({ min: 0, max: 6 }),
    lotE: fc.integer({ min: 0, max: 8 }),
    minLots: fc.integer({ min: 1, max: 10 }),
    maxLots: logInt(9),
    minNotional: fc.constantFrom(0, 1, 5, 10),
    feeBps: fc.integer({ min: 0, max: 30 }),
  })
  .map((r) => {
    const lot = dec(1, r.lotE);
    const i = makeInstrument({
      venue: 'paper',
      symbol: 'X/USDT',
      tickSize: dec(1, r.tickE).toString(),
      lotSize: lot.toString(),
      minQuantity: lot.mulInt(r.minLots).toString(),
      maxQuantity: lot.mulInt(r.maxLots).toString(),
      minNotional: String(r.minNotional),
      makerFee: dec(r.feeBps, 4).toString(),
      takerFee: dec(r.feeBps, 4).toString(),
    });
    return i;
  });

const sizingArb: fc.Arbitrary<Sizing> = fc.oneof(
  logInt(7).map((n): Sizing => ({ mode: 'fixed_notional', notional: dec(n, 2) })),
  fc.integer({ min: 1, max: 10_000 }).map((n): Sizing => ({ mode: 'equity_pct', pct: dec(n, 2) })),
  fc
    .integer({ min: 1, max: 10_000 })
    .map((n): Sizing => ({ mode: 'model_suggested', capPct: dec(n, 2) })),
);

const rulesArb: fc.Arbitrary<BindingRules> = fc.record({
  minConfidence: fc.integer({ min: 0, max: 70 }).map((n) => n / 100),
  minAgreeing: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
  maxOrderNotional: logInt(8).map((n) => dec(n, 2)),
  maxPositionNotional: fc.option(
    logInt(8).map((n) => dec(n, 2)),
    { freq: 2 },
  ),
  sizing: sizingArb,
  allowedSymbols: fc.oneof(
    { arbitrary: fc.constantFrom([], ['X/USDT'], ['Y/USDT', 'X/USDT']), weight: 9 },
    { arbitrary: fc.constant(['Y/USDT']), weight: 1 },
  ),
  directions: fc.oneof(
    { arbitrary: fc.constant<Direction[]>(['long', 'short', 'close']), weight: 3 },
    { arbitrary: fc.subarray<Direction>(['long', 'short', 'close'], { minLength: 1 }), weight: 1 },
  ),
  entryOrder: fc.constantFrom('limit' as const, 'market' as const),
});

const ACTIONS = ['long', 'short', 'close', 'hold'] as const;

interface Case {
  rules: BindingRules;
  signal: DecidedSignal;
  ctx: PlanContext;
}

const caseArb: fc.Arbitrary<Case> = instrumentArb.chain((inst) =>
  fc
    .record({
      rules: rulesArb,
      direction: fc.constantFrom<Direction>('long', 'short', 'close'),
      agree: fc.oneof(
        { arbitrary: fc.constant(true), weight: 9 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      other: fc.constantFrom(...ACTIONS),
      // Relative to the binding's minimum, so that both sides of it are met often.
      slack: fc.integer({ min: -20, max: 80 }),
      agreeing: fc.integer({ min: 0, max: 5 }).map((n) => 5 - n),
      suggested: fc.option(fc.double({ min: 0, max: 150, noNaN: true }), { freq: 4 }),
      priceTicks: logInt(8),
      entryTicks: fc.option(logInt(8), { freq: 2 }),
      entryExtra: fc.integer({ min: 0, max: 9 }),
      spreadTicks: fc.integer({ min: 0, max: 50 }),
      equity: logInt(10),
      quote: orZero(logInt(10)),
      baseLots: orZero(logInt(10)),
      slippagePct: fc.constantFrom(0, 1, 2),
      noPrice: fc.oneof(
        { arbitrary: fc.constant(false), weight: 19 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
    })
    .map((r): Case => {
      const last = inst.tickSize.mulInt(r.priceTicks);
      const spread = inst.tickSize.mulInt(r.spreadTicks);
      // An entry off the tick grid, so the rounding to the tick is exercised.
      const entry =
        r.entryTicks === null
          ? null
          : inst.tickSize.mulInt(r.entryTicks).add(dec(r.entryExtra, 12));
      return {
        rules: r.rules,
        signal: {
          symbol: 'X/USDT',
          direction: r.direction,
          entry,
          consensus: {
            action: r.agree ? r.direction : r.other,
            confidence: Math.min(1, Math.max(0, r.rules.minConfidence + r.slack / 100)),
            agreeing: r.agreeing,
          },
          suggestedSizePct: r.suggested,
        },
        ctx: {
          instrument: inst,
          account: {
            equity: dec(r.equity, 2),
            quoteAvailable: dec(r.quote, 2),
            baseAvailable: inst.lotSize.mulInt(r.baseLots).add(dec(r.entryExtra, 18)),
          },
          prices: r.noPrice ? {} : { last, bid: last.sub(spread), ask: last.add(spread) },
          marketSlippagePct: dec(r.slippagePct),
        },
      };
    }),
);

/** a × b ≤ c × 10^18, on integers (a, b, c in units). */
const productAtMost = (a: Decimal, b: Decimal, c: Decimal) => a.units * b.units <= c.units * U;

describe('planOrder properties', () => {
  it('every order respects the lot, the venue minimums and maximum, and maxOrderNotional', () => {
    let orders = 0;
    fc.assert(
      fc.property(caseArb, ({ rules, signal, ctx }) => {
        const plan = planOrder(rules, 'active', signal, ctx);
        if (plan.kind === 'skip') {
          expect(SKIP_REASONS).toContain(plan.reason);
          return;
        }
        orders++;
        const inst = ctx.instrument!;
        const { quantity, price } = plan.intent;
        const ref = plan.referencePrice;
        expect(quantity.isPositive()).toBe(true);
        expect(quantity.isMultipleOf(inst.lotSize)).toBe(true);
        expect(quantity.gte(inst.minQuantity)).toBe(true);
        expect(quantity.lte(inst.maxQuantity)).toBe(true);
        // Exactly: quantity × reference ≤ maxOrderNotional, and ≥ the venue's minimum notional.
        expect(productAtMost(quantity, ref, rules.maxOrderNotional)).toBe(true);
        expect(quantity.units * ref.units >= inst.minNotional.units * U).toBe(true);
        if (price) {
          expect(price.isMultipleOf(inst.tickSize)).toBe(true);
          expect(price.eq(ref)).toBe(true);
          // Never a worse price than the entry.
          if (plan.intent.side === 'buy') expect(price.lte(signal.entry!)).toBe(true);
          else expect(price.gte(signal.entry!)).toBe(true);
        }
        if (plan.intent.side === 'sell') {
          expect(quantity.lte(ctx.account.baseAvailable)).toBe(true);
          expect(plan.intent.reduceOnly).toBe(true);
        } else {
          // The venue's reserve (raised on a market order) plus the fee fits the free balance.
          const raise = price ? 0n : ctx.marketSlippagePct.units;
          const fee = inst.takerFee.units;
          const cost = quantity.units * ref.units * (100n * U + raise) * (U + fee);
          const budget = ctx.account.quoteAvailable.sub(ROUNDING_MARGIN).units;
          expect(cost <= budget * U * 100n * U * U).toBe(true);
          if (rules.maxPositionNotional) {
            const after = quantity.add(ctx.account.baseAvailable);
            expect(productAtMost(after, ref, rules.maxPositionNotional)).toBe(true);
          }
        }
        // The models agreed and every rule passed.
        expect(signal.consensus.action).toBe(signal.direction);
        expect(rules.directions).toContain(signal.direction);
        expect(signal.consensus.confidence >= rules.minConfidence).toBe(true);
      }),
      { numRuns: 3000 },
    );
    // The generators reach orders often enough for the properties to mean something.
    expect(orders).toBeGreaterThan(150);
  });

  it('a paused binding never orders', () => {
    fc.assert(
      fc.property(caseArb, ({ rules, signal, ctx }) => {
        const plan = planOrder(rules, 'paused', signal, ctx);
        expect(plan.kind === 'skip' && plan.reason).toBe('binding_paused');
      }),
      { numRuns: 300 },
    );
  });

  it('more money never buys less (monotone in the free balance)', () => {
    fc.assert(
      fc.property(caseArb, logInt(8), ({ rules, signal, ctx }, extra) => {
        const a = planOrder(rules, 'active', signal, ctx);
        const richer = {
          ...ctx,
          account: { ...ctx.account, quoteAvailable: ctx.account.quoteAvailable.add(dec(extra)) },
        };
        const b = planOrder(rules, 'active', signal, richer);
        if (a.kind === 'order' && a.intent.side === 'buy') {
          expect(b.kind).toBe('order');
          if (b.kind === 'order') expect(b.intent.quantity.gte(a.intent.quantity)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
