/**
 * Properties of copy sizing over random instruments (tick, lot, minimum quantity and notional),
 * random leader and follower equities, fills, modes and limits. Every check is made on exact
 * rationals — bigint units of 10^-18 cross-multiplied — rather than with the rounding helpers
 * under test, so a wrong rounding direction in the code cannot hide in the check.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { LEADER, context, follow, instrument, noExposure, trade } from './copy.fixtures.js';
import { SKIP_REASONS, type CopyDecision } from './decisions.js';
import { planCopyOrder } from './planner.js';
import type { Allocation, FollowerContext, InstrumentRules, LeaderTrade } from './types.js';

const U = 10n ** 18n; // units per 1
/** n × 10^-places as a Decimal. */
const dec = (n: number | bigint, places = 0): Decimal =>
  Decimal.fromUnits(BigInt(n) * 10n ** BigInt(18 - places));

/** m × 10^e with m in 1…9 and e in 0…maxExp: every order of magnitude equally often. */
const logInt = (maxExp: number): fc.Arbitrary<bigint> =>
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: maxExp }))
    .map(([m, e]) => BigInt(m) * 10n ** BigInt(e));
/** Zero about one time in ten. */
const orZero = (a: fc.Arbitrary<bigint>) =>
  fc.oneof({ arbitrary: fc.constant(0n), weight: 1 }, { arbitrary: a, weight: 9 });
/** Absent about half the time. */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 2 });

const instrumentArb: fc.Arbitrary<InstrumentRules> = fc
  .record({
    tickM: fc.constantFrom(1, 2, 5, 25),
    tickE: fc.integer({ min: 0, max: 6 }),
    lotE: fc.integer({ min: 0, max: 8 }),
    minLots: fc.integer({ min: 1, max: 10 }),
    minNotional: fc.constantFrom(0, 1, 5, 10),
    maxLots: fc.integer({ min: 1_000, max: 1_000_000_000 }),
    takerBps: fc.integer({ min: 0, max: 20 }),
  })
  .map((r) => {
    const lot = dec(1, r.lotE);
    return instrument({
      tickSize: dec(r.tickM, r.tickE),
      lotSize: lot,
      minQuantity: lot.mulInt(r.minLots),
      maxQuantity: lot.mulInt(r.maxLots),
      minNotional: dec(r.minNotional),
      takerFee: dec(r.takerBps, 4),
    });
  });

const allocationArb: fc.Arbitrary<Allocation> = fc.oneof(
  logInt(6).map((n): Allocation => ({ mode: 'fixed_ratio', ratio: dec(n, 4) })), // 0.0001 … 900
  fc.constant<Allocation>({ mode: 'proportional' }),
  logInt(6).map((n): Allocation => ({ mode: 'fixed_amount', amount: dec(n) })),
  fc.integer({ min: 1, max: 100 }).map((n): Allocation => ({ mode: 'equity_cap', capPct: dec(n) })),
);

interface Case {
  inst: InstrumentRules;
  trade: LeaderTrade;
  ctx: FollowerContext;
}

const caseArb = (side: 'buy' | 'sell'): fc.Arbitrary<Case> =>
  instrumentArb.chain((inst) =>
    fc
      .record({
        priceTicks: logInt(7),
        leaderLots: logInt(6),
        leaderPositionLots: orZero(logInt(7)),
        leaderEquity: logInt(9), // cents
        followerEquity: logInt(9), // cents
        allocation: allocationArb,
        allocated: logInt(9),
        openCostShare: fc.integer({ min: 0, max: 90 }), // percent of the allocation
        realizedShare: fc.integer({ min: -30, max: 50 }),
        maxOrderNotional: maybe(logInt(8)),
        available: orZero(logInt(12)),
        copiedLots: orZero(logInt(6)),
        slippageBps: fc.integer({ min: 1, max: 1000 }), // 0.01 … 10 %
        quoteRate: maybe(logInt(9)), // 0.0001 … 9 × 10^5
        maxOpenPositions: maybe(fc.integer({ min: 1, max: 5 })),
        openPositions: fc.integer({ min: 0, max: 4 }),
      })
      .map((r) => {
        const allocated = dec(r.allocated);
        const settings = {
          allocation: r.allocation,
          allocatedAmount: allocated,
          maxSlippagePct: dec(r.slippageBps, 2),
          ...(r.maxOrderNotional === null ? {} : { maxOrderNotional: dec(r.maxOrderNotional) }),
          ...(r.maxOpenPositions === null ? {} : { maxOpenPositions: r.maxOpenPositions }),
        };
        const t = trade(side, '1', '1', {
          positionBefore: inst.lotSize.mulInt(r.leaderPositionLots),
          equity: dec(r.leaderEquity, 2),
        });
        t.fill.price = inst.tickSize.mulInt(r.priceTicks);
        t.fill.quantity = inst.lotSize.mulInt(r.leaderLots);
        const ctx = context({
          follow: follow({}, settings),
          instrument: inst,
          equity: dec(r.followerEquity, 2),
          available: side === 'buy' ? dec(r.available, 2) : inst.lotSize.mulInt(r.available),
          copiedQuantity: inst.lotSize.mulInt(r.copiedLots),
          exposure: noExposure({
            openCost: allocated.mulInt(r.openCostShare).div(dec(100)),
            realizedPnl: allocated.mulInt(r.realizedShare).div(dec(100)),
            openPositions: r.openPositions,
          }),
          ...(r.quoteRate === null ? {} : { quoteRate: dec(r.quoteRate, 4) }),
        });
        return { inst, trade: t, ctx };
      }),
  );

const tally = { open: 0, openUncapped: 0, close: 0, closeUncapped: 0, cases: 0 };

/** Venue rules every order satisfies. */
function checkVenueRules(o: CopyDecision & { kind: 'order' }, inst: InstrumentRules): void {
  const q = o.intent.quantity;
  expect(q.isMultipleOf(inst.lotSize)).toBe(true);
  expect(q.gte(inst.minQuantity) && q.lte(inst.maxQuantity)).toBe(true);
  expect(o.intent.price.isMultipleOf(inst.tickSize)).toBe(true);
  // q × price ≥ min notional
  expect(q.units * o.intent.price.units >= inst.minNotional.units * U).toBe(true);
}

describe('opening copies', () => {
  it('never break a limit, and stay within one lot below the exact proportion', () => {
    fc.assert(
      fc.property(caseArb('buy'), ({ inst, trade: t, ctx }) => {
        tally.cases++;
        const decision = planCopyOrder(t, LEADER, ctx);
        if (decision.kind === 'skip') {
          expect(SKIP_REASONS).toContain(decision.reason);
          return;
        }
        tally.open++;
        checkVenueRules(decision, inst);
        const q = decision.intent.quantity.units;
        const p = decision.intent.price.units;
        const rate = (ctx.quoteRate ?? Decimal.ONE).units;
        const st = ctx.follow.settings;
        const lead = t.fill.price.units;
        const s = st.maxSlippagePct!.units;

        // Limit price: not below the leader's, not above leader × (1 + s/100).
        expect(p >= lead).toBe(true);
        expect(p * 100n * U <= lead * (100n * U + s)).toBe(true);

        // Follow-currency value of the order: q × p × rate (scale 10^54).
        const value = q * p * rate;
        if (st.maxOrderNotional) expect(value <= st.maxOrderNotional.units * U * U).toBe(true);
        const remaining = st.allocatedAmount
          .add(ctx.exposure.realizedPnl)
          .sub(ctx.exposure.openCost).units;
        expect(value <= remaining * U * U).toBe(true);
        if (st.allocation.mode === 'equity_cap') {
          const held = (ctx.copiedQuantity.units + q) * p * rate * 100n;
          expect(held <= ctx.equity.units * st.allocation.capPct.units * U).toBe(true);
        }
        // Cost with the taker fee within the free quote balance.
        expect(q * p * (U + inst.takerFee.units) <= ctx.available.units * U * U).toBe(true);
        if (st.maxOpenPositions !== undefined && ctx.copiedQuantity.isZero()) {
          expect(ctx.exposure.openPositions).toBeLessThan(st.maxOpenPositions);
        }

        // Exact proportion as a rational num / den (in units of 10^-18 base).
        const a = st.allocation;
        const L = t.fill.quantity.units;
        let num: bigint;
        let den: bigint;
        if (a.mode === 'fixed_ratio') [num, den] = [L * a.ratio.units, U];
        else if (a.mode === 'fixed_amount') [num, den] = [a.amount.units * U * U, p * rate];
        else [num, den] = [L * ctx.equity.units, t.equity.units];
        expect(q * den <= num).toBe(true); // never more than the exact quantity
        if (decision.cappedBy === undefined) {
          tally.openUncapped++;
          expect((q + inst.lotSize.units) * den > num).toBe(true); // less than one lot short
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('closing copies', () => {
  it("close the leader's fraction of the copied position within one lot, never more than it", () => {
    fc.assert(
      fc.property(caseArb('sell'), ({ inst, trade: t, ctx }) => {
        tally.cases++;
        const decision = planCopyOrder(t, LEADER, ctx);
        if (decision.kind === 'skip') {
          expect(SKIP_REASONS).toContain(decision.reason);
          if (ctx.copiedQuantity.isZero()) expect(decision.reason).toBe('nothing_to_close');
          return;
        }
        tally.close++;
        checkVenueRules(decision, inst);
        const q = decision.intent.quantity.units;
        const copied = ctx.copiedQuantity.units;
        expect(decision.intent.reduceOnly).toBe(true);
        expect(q <= copied && q <= ctx.available.units).toBe(true);

        // Limit price: not above the leader's, not below leader × (1 − s/100).
        const p = decision.intent.price.units;
        const lead = t.fill.price.units;
        const s = ctx.follow.settings.maxSlippagePct!.units;
        expect(p <= lead).toBe(true);
        expect(p * 100n * U >= lead * (100n * U - s)).toBe(true);

        // Exact close = copied × min(1, L / P).
        const L = t.fill.quantity.units;
        const P = t.positionBefore.units;
        const [num, den] = L >= P ? [copied, 1n] : [copied * L, P];
        expect(q * den <= num).toBe(true);
        if (decision.cappedBy === undefined) {
          tally.closeUncapped++;
          expect((q + inst.lotSize.units) * den > num).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

afterAll(() => {
  // The generators must reach orders, capped and uncapped, not only skips.
  expect(tally.open).toBeGreaterThan(300); // about 500 seen
  expect(tally.openUncapped).toBeGreaterThan(100); // about 170
  expect(tally.close).toBeGreaterThan(200); // about 340
  expect(tally.closeUncapped).toBeGreaterThan(120); // about 230
});
