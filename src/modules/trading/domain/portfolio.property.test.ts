/**
 * Properties of the ledger and portfolio over random sequences of deposits, holds and fills.
 * Fill sizes are drawn as a fraction of what the account can afford, so most apply; some are
 * deliberately oversized and must be refused with no trace. Affordability is decided here
 * with independent `Decimal` arithmetic, not by asking the code under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../../core/decimal.js';
import { deposit } from './ledger-transactions.js';
import { Portfolio, type Marks } from './portfolio.js';
import { BTC_USDT, ETH_USDT, T0, s } from './portfolio.fixtures.js';
import type { Fill } from './types.js';

const ACCOUNTS = ['a', 'b', 'c'];
const INSTS = [
  { inst: BTC_USDT, ticks: fc.integer({ min: 1_000_000, max: 9_000_000 }) }, // 10,000–90,000 USDT
  { inst: ETH_USDT, ticks: fc.integer({ min: 100_000, max: 500_000 }) }, // 1,000–5,000 USDT
];

type Cmd =
  | { t: 'deposit'; acct: number; cents: number }
  | {
      t: 'fill';
      acct: number;
      inst: number;
      buy: boolean;
      frac: number;
      over: boolean;
      ticks: number;
      feeBps: number;
      useHold: boolean;
    }
  | { t: 'hold'; acct: number; frac: number }
  | { t: 'release'; which: number }
  | { t: 'dup'; which: number };

const acct = fc.integer({ min: 0, max: ACCOUNTS.length - 1 });
const frac = fc.integer({ min: 1, max: 10_000 }); // basis points of what is affordable
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('deposit' as const),
      acct,
      cents: fc.integer({ min: 1, max: 1_000_000_000 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.integer({ min: 0, max: INSTS.length - 1 }).chain((inst) =>
      fc.record({
        t: fc.constant('fill' as const),
        acct,
        inst: fc.constant(inst),
        buy: fc.boolean(),
        frac,
        over: fc.integer({ min: 0, max: 3 }).map((x) => x === 0), // a quarter are too big
        ticks: INSTS[inst]!.ticks,
        feeBps: fc.integer({ min: 0, max: 20 }),
        useHold: fc.boolean(),
      }),
    ),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('hold' as const), acct, frac }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dup' as const), which: fc.nat() }) },
);

/** Sign-up funding for every account (as a paper account gets), in random amounts. */
const funding: fc.Arbitrary<Cmd[]> = fc.tuple(
  ...ACCOUNTS.map((_, acct) =>
    fc.integer({ min: 1, max: 1_000_000_000 }).map((cents): Cmd => ({ t: 'deposit', acct, cents })),
  ),
);

/** Everything observable, as text: used to prove that a refusal or a duplicate changed nothing. */
function fingerprint(p: Portfolio): string {
  const accounts = ACCOUNTS.map((a) => ({
    balances: p.ledger.balances(a).map((b) => `${b.currency}:${b.total}/${b.held}`),
    positions: p
      .positionsOf(a)
      .map((x) => `${x.symbol}:${x.quantity}/${x.costBasis}/${x.realizedPnl}/${x.feesPaid}`),
  }));
  const ledger = p.ledger.ledgerAccounts().map((x) => `${x.name}=${x.balance}`);
  return JSON.stringify({ accounts, ledger, journal: p.ledger.journal().length });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Σ of `realizedOn` over the days a run can reach. */
const realizedByDay = (p: Portfolio, a: string): Decimal => {
  let sum = Decimal.ZERO;
  for (let day = T0; day <= T0 + 10 * DAY; day += DAY) sum = sum.add(p.realizedOn(a, day));
  return sum;
};

function checkInvariants(p: Portfolio, marks: Marks): void {
  for (const [currency, sum] of p.ledger.trialBalance()) {
    expect(`${currency} ${s(sum)}`).toBe(`${currency} 0`);
  }
  for (const a of ACCOUNTS) {
    for (const b of p.ledger.balances(a)) {
      expect(b.total.isNegative() || b.held.isNegative() || b.available.isNegative()).toBe(false);
    }
    const v = p.valuation(a, marks);
    const cash = p.ledger.balance(a, 'USDT').total;
    let marked = Decimal.ZERO;
    for (const pos of p.positionsOf(a)) {
      // Base assets arrive only by trading here, so the position is the whole balance.
      expect(s(pos.quantity)).toBe(s(p.ledger.balance(a, pos.base).total));
      marked = marked.add(pos.quantity.mul(marks.get(pos.base)!));
    }
    expect(s(v.equity)).toBe(s(cash.add(marked)));
    // Fees sit inside realized PnL and cost basis, so nothing is lost between the two.
    expect(s(v.equity.sub(v.netContributions))).toBe(s(v.realizedPnl.add(v.unrealizedPnl)));
    // Each sale's result lands on exactly one day: the days add up to the lifetime total.
    expect(s(realizedByDay(p, a))).toBe(s(v.realizedPnl));
  }
}

function run(cmds: Cmd[]): { p: Portfolio; marks: Map<string, Decimal> } {
  const p = new Portfolio(INSTS.map((x) => x.inst));
  const marks = new Map<string, Decimal>([
    ['BTC', dec('30000')],
    ['ETH', dec('2000')],
  ]);
  const applied: Fill[] = [];
  const deposits: Array<Parameters<typeof deposit>[1]> = [];
  const holds: Array<{ orderId: string; acct: string }> = [];
  let n = 0;
  for (const c of cmds) {
    n++;
    // Pairs of commands share an instant, as fills of one bar do; 80 commands span 5 UTC days.
    const ts = T0 + (n >> 1) * 3 * HOUR;
    if (c.t === 'deposit') {
      const args = {
        id: `dep-${n}`,
        ts,
        accountId: ACCOUNTS[c.acct]!,
        currency: 'USDT',
        amount: Decimal.fromInt(c.cents).div(dec('100')),
      };
      expect(deposit(p.ledger, args)).toEqual({ ok: true, applied: true });
      deposits.push(args);
    } else if (c.t === 'hold') {
      const a = ACCOUNTS[c.acct]!;
      const amount = p.ledger
        .balance(a, 'USDT')
        .available.mul(dec(c.frac))
        .div(dec('10000'))
        .round(2, 'down');
      if (!amount.isPositive()) continue;
      expect(p.ledger.hold(`h-${n}`, a, 'USDT', amount).ok).toBe(true);
      holds.push({ orderId: `h-${n}`, acct: a });
    } else if (c.t === 'release') {
      if (holds.length > 0)
        expect(p.ledger.release(holds[c.which % holds.length]!.orderId).ok).toBe(true);
    } else if (c.t === 'dup') {
      // At-least-once delivery: a fill or a deposit comes again, later.
      const before = fingerprint(p);
      const again =
        c.which % 2 === 0 && applied.length > 0
          ? p.applyFill(applied[(c.which >> 1) % applied.length]!)
          : deposit(p.ledger, deposits[(c.which >> 1) % deposits.length]!);
      expect(again).toEqual({ ok: true, applied: false });
      expect(fingerprint(p)).toBe(before);
    } else {
      const a = ACCOUNTS[c.acct]!;
      const { inst } = INSTS[c.inst]!;
      const lot = inst.lotSize!;
      // A sell of nothing is only interesting when it is meant to be refused: buy instead.
      const buy = c.buy || (!c.over && p.ledger.balance(a, inst.base).available.lt(lot));
      const price = inst.tickSize!.mulInt(c.ticks);
      const hold = c.useHold ? holds.find((h) => h.acct === a) : undefined;
      const own = hold ? p.ledger.heldFor(hold.orderId) : Decimal.ZERO;
      const rate = dec(c.feeBps).div(dec('10000'));
      let lots: bigint;
      if (buy) {
        const free = p.ledger.balance(a, 'USDT').available.add(own);
        const perLot = price.mul(lot).mul(Decimal.ONE.add(rate));
        lots = free.div(perLot, 'floor').units / Decimal.ONE.units;
      } else {
        lots = p.ledger.balance(a, inst.base).available.units / lot.units;
      }
      lots = c.over ? lots + 1n + BigInt(c.frac % 50) : (lots * BigInt(c.frac)) / 10_000n;
      if (lots === 0n) lots = 1n;
      const quantity = lot.mulInt(lots);
      const notional = price.mul(quantity);
      const fee = notional.mul(rate).round(8, 'up');
      const f: Fill = {
        id: `fill-${n}`,
        orderId: hold?.orderId ?? `o-${n}`,
        accountId: a,
        venue: inst.venue,
        symbol: inst.symbol,
        side: buy ? 'buy' : 'sell',
        price,
        quantity,
        fee,
        feeCurrency: inst.quote,
        liquidity: 'taker',
        ts,
      };
      const affordable = buy
        ? p.ledger.balance(a, 'USDT').available.add(own).gte(notional.add(fee))
        : p.ledger.balance(a, inst.base).available.gte(quantity);
      const before = fingerprint(p);
      const r = p.applyFill(f);
      if (affordable) {
        expect(r).toEqual({ ok: true, applied: true });
        applied.push(f);
        marks.set(inst.base, price);
      } else {
        expect(r.ok ? 'ok' : r.error.code).toBe('insufficient_funds');
        expect(fingerprint(p)).toBe(before);
      }
    }
    checkInvariants(p, marks);
  }
  return { p, marks };
}

describe('ledger and portfolio properties', () => {
  it('balance, never go negative, value equity exactly, and replay to the same state', () => {
    fc.assert(
      fc.property(
        funding,
        fc.array(cmd, { minLength: 1, maxLength: 80, size: 'medium' }),
        (fund, rest) => {
          const cmds = [...fund, ...rest];
          const { p, marks } = run(cmds);
          for (const e of p.ledger.journal()) {
            const sums = new Map<string, bigint>();
            for (const x of e.postings())
              sums.set(x.currency, (sums.get(x.currency) ?? 0n) + x.amount.units);
            for (const [currency, sum] of sums)
              expect(`${e.id} ${currency} ${sum}`).toBe(`${e.id} ${currency} 0`);
          }
          // Holds are reservations, not postings: a replay rebuilds totals, positions and PnL.
          const replayed = Portfolio.replay(
            p.ledger.journal(),
            INSTS.map((x) => x.inst),
          );
          const again = Portfolio.replay(
            replayed.ledger.journal(),
            INSTS.map((x) => x.inst),
          );
          const view = (q: Portfolio) =>
            JSON.stringify({
              ledger: q.ledger.ledgerAccounts().map((x) => `${x.name}=${x.balance}`),
              positions: ACCOUNTS.map((a) => q.positionsOf(a)),
              valuations: ACCOUNTS.map((a) => q.valuation(a, marks)),
              journal: q.ledger.journal().map((e) => [e.id, e.kind, e.ts]),
              daily: ACCOUNTS.map((a) =>
                Array.from({ length: 6 }, (_, i) => s(q.realizedOn(a, T0 + i * DAY))),
              ),
            });
          expect(view(replayed)).toBe(view(p));
          expect(view(again)).toBe(view(p));
        },
      ),
      { numRuns: 150 },
    );
  });
});
