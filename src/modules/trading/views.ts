import type { Decimal } from '../../core/decimal.js';
import { leavesQuantity } from './domain/order-machine.js';
import type { Balance } from './domain/ledger-results.js';
import type { PositionView as DomainPosition } from './domain/portfolio.js';
import type { Fill, Order } from './domain/types.js';

/** Wire shapes: money and quantities as decimal strings, times as ISO 8601. */

const iso = (ms: number) => new Date(ms).toISOString();

export function orderView(o: Order, reasonMessage?: string) {
  return {
    id: o.id,
    accountId: o.accountId,
    clientOrderId: o.clientOrderId,
    venue: o.venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    reduceOnly: o.reduceOnly,
    quantity: o.quantity.toString(),
    ...(o.price ? { price: o.price.toString() } : {}),
    ...(o.stopPrice ? { stopPrice: o.stopPrice.toString() } : {}),
    status: o.status,
    filledQuantity: o.filledQuantity.toString(),
    leavesQuantity: leavesQuantity(o).toString(),
    averagePrice: o.averagePrice.toString(),
    fees: o.fees.toString(),
    ...(o.reason ? { reason: o.reason } : {}),
    ...(reasonMessage ? { reasonMessage } : {}),
    ...(o.triggeredAt !== undefined ? { triggeredAt: iso(o.triggeredAt) } : {}),
    version: o.version,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
  };
}
export type OrderView = ReturnType<typeof orderView>;

export const fillView = (f: Fill) => ({
  id: f.id,
  orderId: f.orderId,
  accountId: f.accountId,
  venue: f.venue,
  symbol: f.symbol,
  side: f.side,
  price: f.price.toString(),
  quantity: f.quantity.toString(),
  fee: f.fee.toString(),
  feeCurrency: f.feeCurrency,
  liquidity: f.liquidity,
  ts: iso(f.ts),
});

export const balanceView = (accountId: string, b: Balance) => ({
  accountId,
  currency: b.currency,
  total: b.total.toString(),
  held: b.held.toString(),
  available: b.available.toString(),
});

/** Unrealized PnL = quantity × mark − cost basis; absent without a mark. */
export function positionView(p: DomainPosition, mark: Decimal | undefined) {
  return {
    accountId: p.accountId,
    venue: p.venue,
    symbol: p.symbol,
    quantity: p.quantity.toString(),
    averageCost: p.averageCost.toString(),
    costBasis: p.costBasis.toString(),
    realizedPnl: p.realizedPnl.toString(),
    feesPaid: p.feesPaid.toString(),
    markPrice: mark?.toString() ?? null,
    unrealizedPnl: mark ? p.quantity.mul(mark).sub(p.costBasis).toString() : null,
  };
}
