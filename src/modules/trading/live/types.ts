import type { Decimal } from '../../../core/decimal.js';
import type { Fill, OrderStatus } from '../domain/types.js';

/** Where an update was learned: the REST answer, the user data stream, or reconciliation. */
export type UpdateSource = 'rest' | 'stream' | 'reconcile';

interface UpdateBase {
  /** Our order id and client order id. */
  orderId: string;
  clientOrderId: string;
  accountId: string;
  venue: string;
  symbol: string;
  /** The exchange's order id (it changes when an amendment replaces the order). */
  venueOrderId: string;
  source: UpdateSource;
  /** When it happened on the exchange, or when we learned it if the exchange did not say. */
  ts: number;
}

/**
 * The order's status changed. Updates of one order come in order and never go back:
 *
 * - the first is `accepted` (or `pending_trigger` for a stop) — or `rejected`;
 * - a stop's `accepted` after `pending_trigger` means it triggered;
 * - `partially_filled` / `filled` follow the fills they summarise: every fill counted in
 *   `filledQuantity` has been delivered before, so a consumer that applies fills may ignore
 *   them;
 * - `cancelled`, `expired` and `rejected` are final and carry a reason code.
 */
export interface VenueStatusUpdate extends UpdateBase {
  kind: 'status';
  status: Exclude<OrderStatus, 'new'>;
  /** Everything filled so far, across replacements. */
  filledQuantity: Decimal;
  reason?: string;
  message?: string;
}

/**
 * One execution. `fill.id` is built from the exchange's trade id
 * (`<exchange>:<market id>:<trade id>`), so a fill learned twice is delivered once here and
 * is recognisable again after a restart.
 */
export interface VenueFillUpdate extends UpdateBase {
  kind: 'fill';
  fill: Fill;
}

export type VenueUpdate = VenueStatusUpdate | VenueFillUpdate;

/** What `place`, `cancel` and `amend` resolve with: the order as the exchange has it now. */
export interface VenueOrderAck {
  orderId: string;
  clientOrderId: string;
  /** The client order id the exchange knows the order by (ours, or derived from it). */
  exchangeClientOrderId: string;
  venueOrderId: string;
  status: Exclude<OrderStatus, 'new'>;
  filledQuantity: Decimal;
  /** The answer was lost (timeout, dropped connection) and the order was found by its client id. */
  recovered: boolean;
  ts: number;
}

export interface VenueBalance {
  currency: string;
  free: Decimal;
  /** Held by working orders. */
  locked: Decimal;
  total: Decimal;
}

export type StreamState = 'stopped' | 'connecting' | 'connected' | 'reconnecting';
