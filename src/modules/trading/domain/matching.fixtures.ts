import { SimulatedClock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import { sequentialIds, type MatchingConfig } from './matching-config.js';
import { PaperMatchingEngine } from './matching.js';
import { createOrder } from './order-machine.js';
import type {
  Fill,
  InstrumentRules,
  MarketTop,
  MarketTrade,
  Order,
  OrderType,
  Side,
  TimeInForce,
} from './types.js';

/**
 * Shared fixtures of the trading-domain tests and the matching benchmark. The book model here
 * spaces levels 10.00 apart and doubles their size, so scenarios can be checked by hand:
 * asks 0.3 @ 50000.00, 0.6 @ 50010.00, 1.2 @ 50020.00 behind a top of 0.3 @ 50000.00.
 */

export const d = (s: string): Decimal => Decimal.parse(s);
export const VENUE = 'paper';
export const T0 = Date.UTC(2026, 0, 1);

export function instrument(over: Partial<InstrumentRules> = {}): InstrumentRules {
  return {
    venue: VENUE,
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: d('0.01'),
    lotSize: d('0.001'),
    minQuantity: d('0.001'),
    maxQuantity: d('1000'),
    minNotional: d('5'),
    pricePrecision: 2,
    quantityPrecision: 3,
    makerFee: d('0.0005'),
    takerFee: d('0.001'),
    active: true,
    ...over,
  };
}

export const BTC = instrument();

export const HAND_BOOK: Partial<MatchingConfig> = {
  levelSpacingTicks: 1000,
  sizeGrowth: d('2'),
  depthLevels: 3,
};

export interface Harness {
  engine: PaperMatchingEngine;
  clock: SimulatedClock;
  positions: Map<string, Decimal>;
  order(o: OrderSpec): Order;
}

export interface OrderSpec {
  side: Side;
  type?: OrderType;
  quantity: string;
  price?: string;
  stopPrice?: string;
  tif?: TimeInForce;
  postOnly?: boolean;
  reduceOnly?: boolean;
  accountId?: string;
  symbol?: string;
  id?: string;
}

/** An engine on a simulated clock with positions the test controls (`account|symbol`). */
export function harness(
  config: Partial<MatchingConfig> = HAND_BOOK,
  instruments: InstrumentRules[] = [BTC],
): Harness {
  const clock = new SimulatedClock(T0);
  const positions = new Map<string, Decimal>();
  const engine = new PaperMatchingEngine({
    venue: VENUE,
    instruments,
    positionOf: (a, s) => positions.get(`${a}|${s}`) ?? Decimal.ZERO,
    nextId: sequentialIds('fill'),
    clock,
    config,
  });
  let n = 0;
  const order = (o: OrderSpec): Order => {
    n++;
    const type = o.type ?? (o.price ? 'limit' : 'market');
    const intent = {
      accountId: o.accountId ?? 'acc-1',
      venue: VENUE,
      symbol: o.symbol ?? 'BTC/USDT',
      side: o.side,
      type,
      quantity: d(o.quantity),
      timeInForce: o.tif ?? (type === 'market' ? 'IOC' : 'GTC'),
      postOnly: o.postOnly ?? false,
      reduceOnly: o.reduceOnly ?? false,
      clientOrderId: `c-${n}`,
      ...(o.price ? { price: d(o.price) } : {}),
      ...(o.stopPrice ? { stopPrice: d(o.stopPrice) } : {}),
    } as const;
    return createOrder(intent, o.id ?? `o-${n}`, clock.now());
  };
  return { engine, clock, positions, order };
}

export function top(
  bid: string,
  bidSize: string,
  ask: string,
  askSize: string,
  ts = T0,
  symbol = 'BTC/USDT',
): MarketTop {
  return {
    venue: VENUE,
    symbol,
    bidPrice: d(bid),
    bidSize: d(bidSize),
    askPrice: d(ask),
    askSize: d(askSize),
    ts,
  };
}

let tradeNo = 0;
/** A print; `side` is the aggressor. */
export function trade(
  price: string,
  quantity: string,
  side: Side,
  ts = T0,
  symbol = 'BTC/USDT',
): MarketTrade {
  return {
    venue: VENUE,
    symbol,
    id: `t-${++tradeNo}`,
    price: d(price),
    quantity: d(quantity),
    side,
    ts,
  };
}

/** The standard hand-checkable book: bids 0.3 @ 49990.00 …, asks 0.3 @ 50000.00 …. */
export const STANDARD_TOP = (): MarketTop => top('49990.00', '0.3', '50000.00', '0.3');

/** Compact view of events for assertions: `OrderFilled:o-1`. */
export const eventsOf = (out: { transitions: { event: { type: string; orderId: string } }[] }) =>
  out.transitions.map((t) => `${t.event.type}:${t.event.orderId}`);

export const str = (x: Decimal | undefined) => x?.toString();

/** Compact view of fills for assertions: `0.3@50000 fee 15 taker`. */
export const fillsOf = (out: { fills: Fill[] }) =>
  out.fills.map((f) => `${f.orderId} ${f.quantity}@${f.price} fee ${f.fee} ${f.liquidity}`);

/** Unwraps a command that must have succeeded. */
export function okOut<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`command refused: ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

/** The last state of each order touched by an output. */
export function lastStates(out: { transitions: { order: Order }[] }): Map<string, Order> {
  const m = new Map<string, Order>();
  for (const t of out.transitions) m.set(t.order.id, t.order);
  return m;
}
