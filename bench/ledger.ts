/**
 * Fills applied to the ledger and portfolio in memory (the backtester's hot path), beside two
 * baselines measured in the same run on the same fills:
 *
 *   npx tsx bench/ledger.ts
 *   BENCH_FILLS=500000 BENCH_ROUNDS=5 npx tsx bench/ledger.ts
 *
 * - floor: per fill, the five bigint additions into a Map under precomputed keys that any
 *   Map-based balance table must do at least (no checks, no positions, no journal);
 * - naive: the same accounting written the obvious way, with `Decimal` objects, balance keys
 *   built per posting and a journal of posting objects.
 *
 * A last row applies the same fills all stamped with one instant, which defeats the
 * time-ordered shortcut of fill-id idempotency (every id goes through a hash Set): the
 * figure for out-of-order live streams rather than for a backtest.
 *
 * Target: at least 1,000,000 fills/s. Each figure is the median of the rounds.
 */
import { Decimal } from '../src/core/decimal.js';
import { Portfolio, type SpotInstrument } from '../src/modules/trading/domain/portfolio.js';
import { deposit } from '../src/modules/trading/domain/ledger-transactions.js';
import type { Fill } from '../src/modules/trading/domain/types.js';

const FILLS = Number(process.env.BENCH_FILLS ?? 2_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ACCOUNTS = 100;
const TARGET = 1_000_000;
const FUNDING = Decimal.parse('10000000');

const instruments: SpotInstrument[] = [
  {
    venue: 'paper',
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: Decimal.parse('0.01'),
    lotSize: Decimal.parse('0.00001'),
  },
  {
    venue: 'paper',
    symbol: 'ETH/USDT',
    base: 'ETH',
    quote: 'USDT',
    tickSize: Decimal.parse('0.01'),
    lotSize: Decimal.parse('0.0001'),
  },
  {
    venue: 'paper',
    symbol: 'SOL/USDT',
    base: 'SOL',
    quote: 'USDT',
    tickSize: Decimal.parse('0.001'),
    lotSize: Decimal.parse('0.01'),
  },
];
const startPrice = ['65000', '3500', '150'];
const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${i}`);

/** mulberry32: small, seeded, so every run replays the same fills. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills that are always affordable: sells never exceed what the account bought. */
function generate(n: number): Fill[] {
  const rand = rng(42);
  const prices = instruments.map(
    (inst, k) => Decimal.parse(startPrice[k]!).units / inst.tickSize!.units,
  );
  const held = accountIds.map(() => instruments.map(() => 0n));
  const fills: Fill[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(rand() * ACCOUNTS);
    const k = Math.floor(rand() * instruments.length);
    const inst = instruments[k]!;
    prices[k] = prices[k]! + BigInt(Math.floor(rand() * 21) - 10); // random walk in ticks
    const price = Decimal.fromUnits(prices[k]! * inst.tickSize!.units);
    const lots = BigInt(1 + Math.floor(rand() * 100));
    const mine = held[a]!;
    const sell = mine[k]! >= lots && rand() < 0.5;
    mine[k] = mine[k]! + (sell ? -lots : lots);
    const quantity = Decimal.fromUnits(lots * inst.lotSize!.units);
    fills[i] = {
      id: `f${i}`,
      orderId: `o${i}`,
      accountId: accountIds[a]!,
      venue: inst.venue,
      symbol: inst.symbol,
      side: sell ? 'sell' : 'buy',
      price,
      quantity,
      fee: price.mul(quantity).mul(Decimal.parse('0.001')),
      feeCurrency: inst.quote,
      liquidity: 'taker',
      ts: 1_700_000_000_000 + i,
    };
  }
  return fills;
}

function fundedPortfolio(): Portfolio {
  const p = new Portfolio(instruments);
  for (const accountId of accountIds) {
    deposit(p.ledger, {
      id: `dep-${accountId}`,
      ts: 0,
      accountId,
      currency: 'USDT',
      amount: FUNDING,
    });
  }
  return p;
}

function runLedger(fills: Fill[]): number {
  const p = fundedPortfolio();
  let refused = 0;
  const t0 = performance.now();
  for (let i = 0; i < fills.length; i++) if (!p.applyFill(fills[i]!).ok) refused++;
  const secs = (performance.now() - t0) / 1000;
  if (refused > 0)
    throw new Error(`${refused} fills refused: the generator should only make affordable fills`);
  for (const [ccy, sum] of p.ledger.trialBalance())
    if (!sum.isZero()) throw new Error(`${ccy} does not balance: ${sum}`);
  return fills.length / secs;
}

function runFloor(fills: Fill[]): number {
  // One key array per (account, instrument), built once, as a tuned Map-based table would.
  const keysOf = new Map<string, string[]>();
  const keys = fills.map((f) => {
    const id = `${f.accountId}|${f.symbol}`;
    let k = keysOf.get(id);
    if (!k) {
      const [b, q] = f.symbol.split('/') as [string, string];
      k = [
        `acct:${f.accountId}:${b}`,
        `acct:${f.accountId}:${q}`,
        `venue:${b}`,
        `venue:${q}`,
        `fees:${q}`,
      ];
      keysOf.set(id, k);
    }
    return k;
  });
  const m = new Map<string, bigint>();
  const t0 = performance.now();
  for (let i = 0; i < fills.length; i++) {
    const k = keys[i]!;
    const q = fills[i]!.quantity.units;
    for (let j = 0; j < 5; j++) m.set(k[j]!, (m.get(k[j]!) ?? 0n) + q);
  }
  return fills.length / ((performance.now() - t0) / 1000);
}

/** The first version anyone would write: correct, allocation-heavy. */
function runNaive(fills: Fill[]): number {
  const bal = new Map<string, Decimal>();
  const pos = new Map<string, { qty: Decimal; avg: Decimal; realized: Decimal }>();
  const journal: Array<{ id: string; postings: Array<{ account: string; amount: Decimal }> }> = [];
  const seen = new Set<string>();
  for (const a of accountIds) bal.set(`acct:${a}:USDT`, FUNDING);
  const add = (k: string, d: Decimal) => bal.set(k, (bal.get(k) ?? Decimal.ZERO).add(d));
  const t0 = performance.now();
  for (const f of fills) {
    if (seen.has(f.id)) continue;
    const [base, quote] = f.symbol.split('/') as [string, string];
    const notional = f.price.mul(f.quantity);
    const buy = f.side === 'buy';
    const dq = buy ? notional.add(f.fee).neg() : notional.sub(f.fee);
    const db = buy ? f.quantity : f.quantity.neg();
    const uq = `acct:${f.accountId}:${quote}`;
    const ub = `acct:${f.accountId}:${base}`;
    if (
      (bal.get(uq) ?? Decimal.ZERO).add(dq).isNegative() ||
      (bal.get(ub) ?? Decimal.ZERO).add(db).isNegative()
    )
      continue;
    const postings = [
      { account: ub, amount: db },
      { account: `venue:${f.venue}:${base}`, amount: db.neg() },
      { account: uq, amount: dq },
      { account: `venue:${f.venue}:${quote}`, amount: buy ? notional : notional.neg() },
      { account: `fees:${f.venue}:${quote}`, amount: f.fee },
    ];
    for (const p of postings) add(p.account, p.amount);
    const key = `${f.accountId}|${f.symbol}`;
    const p = pos.get(key) ?? { qty: Decimal.ZERO, avg: Decimal.ZERO, realized: Decimal.ZERO };
    if (buy) {
      const qty = p.qty.add(f.quantity);
      p.avg = p.avg.mul(p.qty).add(notional).add(f.fee).div(qty);
      p.qty = qty;
    } else {
      p.realized = p.realized.add(f.price.sub(p.avg).mul(f.quantity)).sub(f.fee);
      p.qty = p.qty.sub(f.quantity);
    }
    pos.set(key, p);
    journal.push({ id: f.id, postings });
    seen.add(f.id);
  }
  return fills.length / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);

console.log(
  `generating ${FILLS.toLocaleString('en-US')} fills across ${ACCOUNTS} accounts and ${instruments.length} instruments…`,
);
const fills = generate(FILLS);
runLedger(fills.slice(0, 200_000)); // warm up the JIT on every path
runNaive(fills.slice(0, 200_000));
runFloor(fills.slice(0, 200_000));

const sameInstant = fills.map((f) => ({ ...f, ts: 0 }));
const ledger: number[] = [];
const floor: number[] = [];
const naive: number[] = [];
const unordered: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  ledger.push(runLedger(fills));
  floor.push(runFloor(fills));
  naive.push(runNaive(fills));
  unordered.push(runLedger(sameInstant));
}
const l = median(ledger);
const row = (name: string, v: number, vs = true) =>
  console.log(`${name.padEnd(44)}${fmt(v)}${vs ? `   ledger at ${(l / v).toFixed(2)}×` : ''}`);
console.log(`\n${'path'.padEnd(44)}${'fills/s'.padStart(12)}`);
row('Portfolio.applyFill (ledger + position)', l, false);
row('floor: 5 bigint Map additions per fill', median(floor));
row('naive Decimal implementation', median(naive));
row('applyFill, all fills at one instant', median(unordered));
console.log(
  `\ntarget ${TARGET.toLocaleString('en-US')} fills/s: ${l >= TARGET ? 'met' : 'NOT met'}`,
);
