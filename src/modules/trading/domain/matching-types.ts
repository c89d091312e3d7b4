import type { Clock } from '../../../core/clock.js';
import type { Decimal } from '../../../core/decimal.js';
import type { MatchingConfig } from './matching-config.js';
import type { Amendment, OrderEvent, TransitionErrorCode } from './order-machine.js';
import type { Fill, InstrumentRules, Order } from './types.js';

export interface OrderTransition {
  order: Order;
  event: OrderEvent;
}

export interface MatchingOutput {
  transitions: OrderTransition[];
  fills: Fill[];
}

export type EngineErrorCode =
  | 'wrong_venue'
  | 'order_not_new'
  | 'duplicate_order'
  | 'price_not_positive'
  | 'price_off_tick'
  | 'quantity_off_lot'
  | 'quantity_below_minimum'
  | 'quantity_above_maximum'
  | 'post_only_would_take'
  | TransitionErrorCode;

/** A refused command: nothing changed. Venue decisions about an order are events instead. */
export type CommandResult =
  ({ ok: true } & MatchingOutput) | { ok: false; code: EngineErrorCode; message: string };

/** Why the venue refused an order (OrderRejected) or stopped working it (OrderCancelled). */
export type VenueReason =
  | 'unknown_instrument'
  | 'instrument_inactive'
  | 'no_market_data'
  | 'post_only_would_take'
  | 'fok_not_fillable'
  | 'reduce_only_would_increase'
  | 'reduce_only_position_closed'
  | 'stop_would_trigger_immediately'
  | 'insufficient_liquidity'
  | 'ioc_remainder'
  | 'user_canceled';

export interface PaperMatchingEngineDeps {
  venue: string;
  instruments: Iterable<InstrumentRules>;
  /** Signed base quantity the account holds; asked only for reduce-only orders. */
  positionOf: (accountId: string, symbol: string) => Decimal;
  /** Fill ids; inject a seeded sequence for reproducible runs. */
  nextId: () => string;
  /** Time of commands; fills caused by market data carry the market event's time. */
  clock: Clock;
  config?: Partial<MatchingConfig>;
}

export const refuse = (code: EngineErrorCode, message: string): CommandResult => ({
  ok: false,
  code,
  message,
});

export function rejectMessage(reason: VenueReason, o: Order): string {
  switch (reason) {
    case 'unknown_instrument':
      return `${o.symbol} is not traded on ${o.venue}`;
    case 'instrument_inactive':
      return `${o.symbol} is not trading`;
    case 'no_market_data':
      return `no book for ${o.symbol} yet; a ${o.type} ${o.timeInForce} order needs one`;
    case 'post_only_would_take':
      return `a post-only ${o.side} at ${o.price} would take liquidity`;
    case 'fok_not_fillable':
      return `${o.quantity} cannot be filled at once in full`;
    case 'reduce_only_would_increase':
      return `a reduce-only ${o.side} would not reduce the ${o.symbol} position`;
    case 'stop_would_trigger_immediately':
      return `the last price already meets the stop at ${o.stopPrice}`;
    default:
      return reason;
  }
}

/** Tick and lot rules for an amendment's new values (a request that breaks them changes nothing). */
export function checkSteps(change: Amendment, inst: InstrumentRules): CommandResult | undefined {
  const { price, quantity } = change;
  if (price && !price.isPositive())
    return refuse('price_not_positive', `price ${price} must be positive`);
  if (price && !price.isMultipleOf(inst.tickSize)) {
    return refuse(
      'price_off_tick',
      `price ${price} is not a multiple of the tick ${inst.tickSize}`,
    );
  }
  if (quantity && !quantity.isMultipleOf(inst.lotSize)) {
    return refuse(
      'quantity_off_lot',
      `quantity ${quantity} is not a multiple of the lot ${inst.lotSize}`,
    );
  }
  if (quantity && quantity.lt(inst.minQuantity)) {
    return refuse(
      'quantity_below_minimum',
      `quantity ${quantity} is below the minimum ${inst.minQuantity}`,
    );
  }
  if (quantity && quantity.gt(inst.maxQuantity)) {
    return refuse(
      'quantity_above_maximum',
      `quantity ${quantity} is above the maximum ${inst.maxQuantity}`,
    );
  }
  return undefined;
}
