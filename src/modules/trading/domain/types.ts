import type { Instrument } from '../../market/index.js';
import type { Decimal } from '../../../core/decimal.js';

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export type Liquidity = 'maker' | 'taker';

/**
 * new → accepted → (triggered →) partially_filled → filled, or → cancelled / rejected / expired.
 * `pending_trigger` is an accepted stop order waiting for its trigger price.
 */
export type OrderStatus =
  | 'new'
  | 'accepted'
  | 'pending_trigger'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired';

export const TERMINAL: ReadonlySet<OrderStatus> = new Set([
  'filled',
  'cancelled',
  'rejected',
  'expired',
]);

/** What a caller asks for; validated against the instrument before it becomes an order. */
export interface OrderIntent {
  accountId: string;
  venue: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  price?: Decimal;
  stopPrice?: Decimal;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  clientOrderId: string;
}

export interface Order extends OrderIntent {
  id: string;
  status: OrderStatus;
  filledQuantity: Decimal;
  /** Quantity-weighted average fill price; zero before the first fill. */
  averagePrice: Decimal;
  /** Σ price × quantity over fills, kept exactly so the average never drifts with rounding. */
  filledNotional: Decimal;
  fees: Decimal;
  /** When a stop order's trigger condition was met. */
  triggeredAt?: number;
  /** Reason code of a rejection, cancellation or expiry. */
  reason?: string;
  createdAt: number;
  updatedAt: number;
  /** Monotonic per order; each transition increments it (optimistic concurrency, event order). */
  version: number;
}

export interface Fill {
  id: string;
  orderId: string;
  accountId: string;
  venue: string;
  symbol: string;
  side: Side;
  price: Decimal;
  quantity: Decimal;
  /** Fee charged, in `feeCurrency` (the quote currency on the paper venue). */
  fee: Decimal;
  feeCurrency: string;
  liquidity: Liquidity;
  ts: number;
}

/** The instrument rules the trading domain needs: the market module's `Instrument`. */
export type InstrumentRules = Instrument;

/** A print on the venue's tape; `side` is the aggressor's side. The market `Trade` fits. */
export interface MarketTrade {
  venue: string;
  symbol: string;
  id: string;
  price: Decimal;
  quantity: Decimal;
  side: Side;
  ts: number;
}

/** Best bid and ask with their sizes. The market `BookTop` fits. */
export interface MarketTop {
  venue: string;
  symbol: string;
  bidPrice: Decimal;
  bidSize: Decimal;
  askPrice: Decimal;
  askSize: Decimal;
  ts: number;
}
