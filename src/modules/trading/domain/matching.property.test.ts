import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import type { MatchingConfig } from './matching-config.js';
import { BTC, d, harness, top, trade, type OrderSpec } from './matching.fixtures.js';
import type { MatchingOutput } from './matching.js';
import { canTransition } from './order-machine.js';
import type { Order, OrderStatus } from './types.js';

// Random order flow against random market data. Prices are integer ticks around 50000.00.
const TICK = BTC.tickSize;
const LOT = BTC.lotSize;
const px = (ticks: number) => d('50000').add(TICK.mulInt(ticks)).toString();
const qty = (lots: number) => LOT.mulInt(lots).toString();

type Cmd =
  | { k: 'top'; mid: number; spread: number; bid: number; ask: number }
  | { k: 'trade'; at: number; lots: number; buy: boolean }
  | { k: 'submit'; spec: OrderSpec }
  | { k: 'cancel'; pick: number }
  | { k: 'amend'; pick: number; at: number | null; lots: number | null };

const ticks = fc.integer({ min: -100, max: 100 });
const lots = fc.integer({ min: 1, max: 1500 });

const spec: fc.Arbitrary<OrderSpec> = fc
  .record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constantFrom(
      'market' as const,
      'limit' as const,
      'stop_market' as const,
      'stop_limit' as const,
    ),
    lots,
    at: ticks,
    stopAt: ticks,
    tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const),
    postOnly: fc.boolean(),
    reduceOnly: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    account: fc.constantFrom('a', 'b', 'c'),
  })
  .map((r) => {
    const priced = r.type === 'limit' || r.type === 'stop_limit';
    const tif = r.type === 'market' && r.tif === 'GTC' ? 'IOC' : r.tif;
    return {
      side: r.side,
      type: r.type,
      quantity: qty(r.lots),
      accountId: r.account,
      tif,
      postOnly: r.type === 'limit' && tif === 'GTC' && r.postOnly,
      reduceOnly: r.reduceOnly,
      ...(priced ? { price: px(r.at) } : {}),
      ...(r.type.startsWith('stop') ? { stopPrice: px(r.stopAt) } : {}),
    };
  });

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('top' as const),
      mid: ticks,
      spread: fc.integer({ min: 1, max: 20 }),
      bid: lots,
      ask: lots,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('trade' as const), at: ticks, lots, buy: fc.boolean() }),
  },
  { weight: 4, arbitrary: spec.map((s) => ({ k: 'submit' as const, spec: s })) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('amend' as const),
      pick: fc.nat(),
      at: fc.option(ticks),
      lots: fc.option(lots),
    }),
  },
);

const config: fc.Arbitrary<Partial<MatchingConfig>> = fc.record({
  levelSpacingTicks: fc.integer({ min: 1, max: 50 }),
  sizeGrowth: fc.constantFrom('1', '1.25', '1.5', '2', '3').map(d),
  depthLevels: fc.integer({ min: 1, max: 12 }),
  queueModel: fc.constantFrom('through' as const, 'touch' as const, 'queue' as const),
  fillOnBookCross: fc.boolean(),
});

interface Run {
  log: string[];
  outputs: { cmd: Cmd; out: MatchingOutput }[];
  submitted: Map<string, Order>;
}

/** Runs the commands; positions follow the fills, as the ledger would between calls. */
function run(cmds: Cmd[], cfg: Partial<MatchingConfig>): Run {
  const h = harness(cfg);
  const submitted = new Map<string, Order>();
  const ids: string[] = [];
  const log: string[] = [];
  const outputs: Run['outputs'] = [];
  let ts = 0;
  for (const c of cmds) {
    h.clock.advance(1);
    ts = h.clock.now();
    let out: MatchingOutput;
    if (c.k === 'top') {
      out = h.engine.onBookTop(top(px(c.mid - c.spread), qty(c.bid), px(c.mid), qty(c.ask), ts));
    } else if (c.k === 'trade') {
      out = h.engine.onTrade(trade(px(c.at), qty(c.lots), c.buy ? 'buy' : 'sell', ts));
    } else {
      const r =
        c.k === 'submit'
          ? h.engine.submit(remember(h.order(c.spec)))
          : c.k === 'cancel'
            ? h.engine.cancel(ids[c.pick % Math.max(1, ids.length)] ?? 'none')
            : h.engine.amend(ids[c.pick % Math.max(1, ids.length)] ?? 'none', {
                ...(c.at !== null ? { price: d(px(c.at)) } : {}),
                ...(c.lots !== null ? { quantity: d(qty(c.lots)) } : {}),
              });
      out = r.ok ? r : { transitions: [], fills: [] };
      if (!r.ok) log.push(`refused ${r.code}`);
    }
    for (const f of out.fills) {
      const key = `${f.accountId}|${f.symbol}`;
      const pos = h.positions.get(key) ?? Decimal.ZERO;
      h.positions.set(key, f.side === 'buy' ? pos.add(f.quantity) : pos.sub(f.quantity));
    }
    outputs.push({ cmd: c, out });
    log.push(JSON.stringify(out));
  }
  return { log, outputs, submitted };

  function remember(o: Order): Order {
    submitted.set(o.id, o);
    ids.push(o.id);
    return o;
  }
}

// Most runs start with a book, so that orders have something to trade against.
const commands = fc
  .tuple(fc.boolean(), fc.array(cmd, { minLength: 1, maxLength: 80, size: 'medium' }))
  .map(([book, rest]): Cmd[] =>
    book ? [{ k: 'top', mid: 0, spread: 2, bid: 300, ask: 300 }, ...rest] : rest,
  );

describe('paper venue properties', () => {
  it('fills respect quantity, tick, lot and limit price; states move only along legal transitions', () => {
    fc.assert(
      fc.property(commands, config, (cmds, cfg) => {
        const { outputs } = run(cmds, cfg);
        const filled = new Map<string, Decimal>();
        const state = new Map<string, { status: OrderStatus; version: number }>();
        for (const { cmd: c, out } of outputs) {
          const fillEvents = out.transitions.flatMap((t) =>
            t.event.type === 'OrderFilled' || t.event.type === 'OrderPartiallyFilled'
              ? [t.event.fill]
              : [],
          );
          expect(fillEvents).toEqual(out.fills);
          for (const { order, event } of out.transitions) {
            const prev = state.get(order.id) ?? { status: 'new' as const, version: 0 };
            expect(
              canTransition(prev.status, order.status),
              `${prev.status} → ${order.status}`,
            ).toBe(true);
            expect(order.version).toBe(prev.version + 1);
            expect(event.version).toBe(order.version);
            state.set(order.id, { status: order.status, version: order.version });
            if (event.type === 'OrderFilled' || event.type === 'OrderPartiallyFilled') {
              const f = event.fill;
              expect(f.quantity.isPositive()).toBe(true);
              expect(f.quantity.isMultipleOf(LOT)).toBe(true);
              expect(f.price.isMultipleOf(TICK)).toBe(true);
              filled.set(f.orderId, (filled.get(f.orderId) ?? Decimal.ZERO).add(f.quantity));
              const p = order.price;
              if (p && order.side === 'buy') expect(f.price.lte(p)).toBe(true);
              if (p && order.side === 'sell') expect(f.price.gte(p)).toBe(true);
            }
            // never more than the order's quantity (which an amendment may have changed)
            expect(order.filledQuantity.lte(order.quantity)).toBe(true);
            expect(order.filledQuantity.eq(filled.get(order.id) ?? Decimal.ZERO)).toBe(true);
          }
          if (c.k === 'trade') {
            // the paper venue never fills more resting size on either side than the market printed
            for (const side of ['buy', 'sell'] as const) {
              const maker = out.fills.filter((f) => f.liquidity === 'maker' && f.side === side);
              const total = maker.reduce((a, f) => a.add(f.quantity), Decimal.ZERO);
              expect(total.lte(LOT.mulInt(c.lots))).toBe(true);
            }
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('reduce-only fills never flip or grow a position', () => {
    fc.assert(
      fc.property(commands, config, (cmds, cfg) => {
        const { outputs, submitted } = run(cmds, cfg);
        const pos = new Map<string, Decimal>();
        for (const { out } of outputs) {
          for (const f of out.fills) {
            const key = f.accountId;
            const before = pos.get(key) ?? Decimal.ZERO;
            const after = f.side === 'buy' ? before.add(f.quantity) : before.sub(f.quantity);
            if (submitted.get(f.orderId)!.reduceOnly) {
              expect(after.abs().lte(before.abs())).toBe(true);
              expect(after.sign() * before.sign()).toBeGreaterThanOrEqual(0);
            }
            pos.set(key, after);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the same inputs give the same fills, ids and transitions', () => {
    fc.assert(
      fc.property(commands, config, (cmds, cfg) => {
        expect(run(cmds, cfg).log).toEqual(run(cmds, cfg).log);
      }),
      { numRuns: 100 },
    );
  });
});
