/**
 * Paper-venue matching throughput in memory, beside a baseline measured in the same run:
 *
 *   npx tsx bench/matching.ts
 *   BENCH_SECONDS=5 npx tsx bench/matching.ts
 *
 * One pass replays a fixed, seeded stream of market data and orders through a fresh
 * `PaperMatchingEngine`: per round one book top, two prints and five order commands in a
 * realistic mix (35 % passive GTC limits, some post-only; 15 % marketable limits, some IOC;
 * 20 % market orders; 10 % stops; 20 % cancels of earlier orders), with positions kept
 * from the fills as the ledger would. The baseline walks the same stream doing only the
 * Decimal additions of a fill (quantity and notional running sums), the least any matching
 * must do, so the ratio reads "matching costs N × the bare arithmetic".
 */
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import { sequentialIds } from '../src/modules/trading/domain/matching-config.js';
import { BTC, top, trade, VENUE } from '../src/modules/trading/domain/matching.fixtures.js';
import { PaperMatchingEngine } from '../src/modules/trading/domain/matching.js';
import { createOrder } from '../src/modules/trading/domain/order-machine.js';
import type {
  MarketTop,
  MarketTrade,
  Order,
  OrderIntent,
} from '../src/modules/trading/domain/types.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = 4000;

type Event =
  | { k: 'top'; top: MarketTop }
  | { k: 'trade'; trade: MarketTrade }
  | { k: 'submit'; order: Order }
  | { k: 'cancel'; id: string };

/** mulberry32: a tiny seeded generator, so every run replays the same stream. */
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

function stream(seed: number): { events: Event[]; orders: number } {
  const r = rng(seed);
  const events: Event[] = [];
  const ids: string[] = [];
  let mid = 5_000_000; // in ticks of 0.01: 50000.00
  let n = 0;
  const px = (ticks: number) => Decimal.fromUnits(BigInt(ticks) * 10n ** 16n);
  const qty = () => Decimal.fromUnits(BigInt(1 + Math.floor(r() * 500)) * 10n ** 15n);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const order = (
    i: Omit<
      OrderIntent,
      'accountId' | 'venue' | 'symbol' | 'clientOrderId' | 'postOnly' | 'reduceOnly'
    > &
      Partial<OrderIntent>,
  ) => {
    const id = `o-${++n}`;
    ids.push(id);
    const intent: OrderIntent = {
      accountId: pick(['a', 'b', 'c', 'd']),
      venue: VENUE,
      symbol: BTC.symbol,
      clientOrderId: id,
      postOnly: false,
      reduceOnly: false,
      ...i,
    };
    events.push({ k: 'submit', order: createOrder(intent, id, 0) });
  };
  for (let round = 0; round < ROUNDS; round++) {
    mid += Math.round((r() - 0.5) * 40);
    const spread = 1 + Math.floor(r() * 5);
    events.push({
      k: 'top',
      top: top(px(mid - spread).toString(), '0.8', px(mid).toString(), '0.8', round),
    });
    for (let t = 0; t < 2; t++) {
      const at = mid + Math.round((r() - 0.5) * 30);
      events.push({
        k: 'trade',
        trade: trade(px(at).toString(), qty().toString(), r() < 0.5 ? 'buy' : 'sell', round),
      });
    }
    for (let c = 0; c < 5; c++) {
      const side = r() < 0.5 ? ('buy' as const) : ('sell' as const);
      const away = side === 'buy' ? -1 : 1;
      const x = r();
      if (x < 0.35) {
        order({
          side,
          type: 'limit',
          quantity: qty(),
          price: px(mid + away * (5 + Math.floor(r() * 40))),
          timeInForce: 'GTC',
          postOnly: r() < 0.3,
        });
      } else if (x < 0.5) {
        order({
          side,
          type: 'limit',
          quantity: qty(),
          price: px(mid - away * Math.floor(r() * 20)),
          timeInForce: r() < 0.5 ? 'IOC' : 'GTC',
        });
      } else if (x < 0.7) {
        order({ side, type: 'market', quantity: qty(), timeInForce: 'IOC' });
      } else if (x < 0.8) {
        const stop = mid - away * (10 + Math.floor(r() * 40));
        order(
          r() < 0.5
            ? {
                side,
                type: 'stop_market',
                quantity: qty(),
                stopPrice: px(stop),
                timeInForce: 'GTC',
              }
            : {
                side,
                type: 'stop_limit',
                quantity: qty(),
                stopPrice: px(stop),
                price: px(stop - away * 10),
                timeInForce: 'GTC',
              },
        );
      } else if (ids.length > 0) {
        events.push({ k: 'cancel', id: ids[Math.floor(r() * ids.length)]! });
      }
    }
  }
  return { events, orders: n };
}

function runEngine(events: Event[]): { fills: number; resting: number } {
  const positions = new Map<string, Decimal>();
  const engine = new PaperMatchingEngine({
    venue: VENUE,
    instruments: [BTC],
    positionOf: (a) => positions.get(a) ?? Decimal.ZERO,
    nextId: sequentialIds('fill'),
    clock: new SimulatedClock(0),
  });
  let fills = 0;
  for (const e of events) {
    const out =
      e.k === 'top'
        ? engine.onBookTop(e.top)
        : e.k === 'trade'
          ? engine.onTrade(e.trade)
          : e.k === 'submit'
            ? engine.submit(e.order)
            : engine.cancel(e.id);
    if ('fills' in out) {
      for (const f of out.fills) {
        const p = positions.get(f.accountId) ?? Decimal.ZERO;
        positions.set(f.accountId, f.side === 'buy' ? p.add(f.quantity) : p.sub(f.quantity));
        fills++;
      }
    }
  }
  return { fills, resting: engine.openOrders().length };
}

/** The bare arithmetic: running sums of quantity and of price, per event. */
function runBaseline(events: Event[]): Decimal {
  let q = Decimal.ZERO;
  let n = Decimal.ZERO;
  for (const e of events) {
    if (e.k === 'submit') {
      q = q.add(e.order.quantity);
      n = n.add(e.order.price ?? e.order.stopPrice ?? Decimal.ONE);
    } else if (e.k === 'trade') {
      q = q.add(e.trade.quantity);
      n = n.add(e.trade.price);
    }
  }
  return q.add(n);
}

function timed(fn: () => unknown): number {
  fn(); // warm-up
  let passes = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < end) {
    fn();
    passes++;
    now = process.hrtime.bigint();
  }
  return passes / (Number(now - start) / 1e9);
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const { events, orders } = stream(7);
const once = runEngine(events);
const again = runEngine(events);
if (once.fills !== again.fills) throw new Error('matching is not deterministic');
const enginePasses = timed(() => runEngine(events));
const basePasses = timed(() => runBaseline(events));
const ordersPerSec = enginePasses * orders;
const basePerSec = basePasses * orders;
console.log(
  `paper matching, ${fmt(events.length)} events per pass (${fmt(orders)} orders, ${fmt(once.fills)} fills, ${once.resting} left resting); ${SECONDS}s each`,
);
console.log(
  `  engine    ${fmt(ordersPerSec)} orders/s  (${fmt(enginePasses * events.length)} events/s)`,
);
console.log(`  baseline  ${fmt(basePerSec)} orders/s  (Decimal additions only)`);
console.log(`  ratio     ${fmt(basePerSec / ordersPerSec, 1)} × the baseline's cost per order`);
