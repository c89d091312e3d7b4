import ccxt, { type MarketInterface as Market, type Order as CcxtOrder } from 'ccxt';
import type { Decimal } from '../../../core/decimal.js';
import type { Amendment } from '../domain/order-machine.js';
import type { Order } from '../domain/types.js';
import { toCcxtNumber } from './decimals.js';
import { isRateLimit, isRetryable, scrub, toVenueError, VenueError } from './errors.js';
import { exchangeClientOrderId } from './exchange.js';
import type { LiveContext, OrderSync } from './order-sync.js';
import { orderSnapshot } from './snapshots.js';
import type { Tracked } from './tracker.js';
import type { VenueOrderAck } from './types.js';

/**
 * Placing, cancelling and amending orders: what is sent, and how each answer (or its
 * absence) is turned into tracked state. Placement is idempotent by client order id: when
 * the answer is lost the exchange is asked for that id before anything is reported.
 */
export class OrderCommands {
  constructor(
    private readonly c: LiveContext,
    private readonly sync: OrderSync,
  ) {}

  async place(order: Order): Promise<VenueOrderAck> {
    const market = this.c.market(order.symbol);
    const cid = exchangeClientOrderId(this.c.exchange, order);
    const known = this.c.tracker.get(cid);
    if (known?.inFlight) {
      throw new VenueError(
        'conflict',
        'placement_in_progress',
        `order ${order.id} is being placed`,
        this.c.exchange,
      );
    }
    if (known?.venueOrderId) return this.ack(known, false);
    const [type, price, params] = this.orderArgs(order, market, cid);
    const amount = this.number(order.quantity, 'quantity');
    const t = this.c.tracker.track(order, cid);
    t.inFlight = true;
    try {
      if (known) {
        // An earlier attempt's fate was unknown: ask before sending again.
        const found = await this.sync.lookup(t);
        if (found) return this.applied(t, found, true);
        if (found === undefined) throw this.unknown(t, new Error('the exchange cannot be asked'));
      }
      let res: CcxtOrder;
      try {
        res = await this.c.call(() =>
          this.c.ex.createOrder(order.symbol, type, order.side, amount, price, params),
        );
      } catch (err) {
        if (!isRetryable(err) || isRateLimit(err)) {
          this.c.tracker.forget(t);
          throw this.error(err, isRetryable(err) ? 'not_placed' : 'rejected');
        }
        // The request may have reached the exchange: ask it before reporting anything.
        const found = await this.sync.lookup(t);
        if (found) return this.applied(t, found, true);
        if (found === null) {
          this.c.tracker.forget(t);
          throw this.error(err, 'not_placed');
        }
        throw this.unknown(t, err);
      }
      return this.applied(t, res, false);
    } finally {
      t.inFlight = false;
    }
  }

  async cancel(order: Order): Promise<VenueOrderAck> {
    const t = this.known(order);
    t.cancelRequested = true;
    try {
      const res = await this.c.call(() =>
        t.venueOrderId
          ? this.c.ex.cancelOrder(t.venueOrderId, order.symbol)
          : this.c.ex.cancelOrder('', order.symbol, { clientOrderId: t.cid }),
      );
      return this.applied(t, res, false);
    } catch (err) {
      // Not open any more (filled, or cancelled already), or no answer: read what it is now.
      if (err instanceof ccxt.OrderNotFound || isRetryable(err)) {
        const read = await this.sync.resync(t).catch(() => false);
        if (read && t.status !== 'new') return this.ack(t, false);
      }
      throw this.error(err);
    }
  }

  async amend(order: Order, change: Amendment): Promise<VenueOrderAck> {
    if (!this.c.ex.has['editOrder']) {
      throw new VenueError(
        'validation',
        'venue_not_supported',
        `${this.c.exchange} cannot amend orders`,
        this.c.exchange,
      );
    }
    const t = this.known(order);
    if (!t.venueOrderId) await this.sync.resync(t).catch(() => false);
    const oldId = t.venueOrderId;
    if (!oldId) {
      throw new VenueError(
        'conflict',
        'order_not_open',
        `order ${order.id} is not on ${this.c.exchange}`,
        this.c.exchange,
      );
    }
    const quantity = change.quantity ?? order.quantity;
    const price = change.price ?? order.price;
    const replace = this.c.adapter.amendStyle === 'replace';
    const assumedFilled = t.filled;
    const venueQty = replace ? quantity.sub(assumedFilled) : quantity;
    const market = this.c.market(order.symbol);
    const [type, , params] = this.orderArgs({ ...order, price, quantity }, market, t.cid);
    const qty = this.number(venueQty, 'quantity');
    const px = price === undefined ? undefined : this.number(price, 'price');
    t.amending = true;
    let res: CcxtOrder;
    try {
      res = await this.c.call(() =>
        this.c.ex.editOrder(oldId, order.symbol, type, order.side, qty, px, params),
      );
    } catch (err) {
      t.amending = false;
      await this.sync.resync(t).catch(() => false);
      throw this.error(err);
    }
    try {
      const amended: Order = { ...t.order, quantity, ...(price ? { price } : {}) };
      const newId = String(res.id);
      if (replace && newId !== oldId) {
        const offset = await this.finalFilled(t, oldId, assumedFilled);
        this.c.tracker.replace(t, newId, offset, amended);
      } else t.order = amended;
    } finally {
      // Reports of the order count again from here on.
      t.amending = false;
    }
    return this.applied(t, res, false);
  }

  /**
   * The tracked entry of an order placed earlier; one met for the first time (after a
   * restart) starts from the state the caller has, so nothing it already knows is repeated.
   */
  known(order: Order): Tracked {
    const cid = exchangeClientOrderId(this.c.exchange, order);
    const existing = this.c.tracker.get(cid);
    if (existing) {
      existing.order = order;
      return existing;
    }
    const t = this.c.tracker.track(order, cid);
    if (order.status !== 'new') t.status = order.status;
    t.filled = order.filledQuantity;
    t.since = order.createdAt;
    return t;
  }

  /** CCXT's type, price and parameters for our order; amounts go as exactly representable numbers. */
  private orderArgs(
    order: Order,
    market: Market,
    cid: string,
  ): ['market' | 'limit', number | undefined, Record<string, unknown>] {
    const params: Record<string, unknown> = { clientOrderId: cid };
    const limit = order.type === 'limit' || order.type === 'stop_limit';
    if (order.stopPrice) params.triggerPrice = this.number(order.stopPrice, 'stop price');
    if (limit) {
      params.timeInForce = order.timeInForce;
      if (order.postOnly) params.postOnly = true;
    }
    if (order.reduceOnly && market.contract) params.reduceOnly = true;
    const price = limit && order.price ? this.number(order.price, 'price') : undefined;
    return [limit ? 'limit' : 'market', price, params];
  }

  private number(d: Decimal, what: string): number {
    try {
      return toCcxtNumber(d, what);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new VenueError('validation', 'amount_not_exact', msg, this.c.exchange, 'rejected');
    }
  }

  /** Applies an answer; fills it counts but did not list are fetched before answering. */
  private async applied(t: Tracked, res: CcxtOrder, recovered: boolean): Promise<VenueOrderAck> {
    this.sync.apply(t, res, 'rest');
    if (t.pending)
      await this.sync
        .fetchFills(t)
        .catch((err: unknown) => this.warn(err, 'could not fetch fills'));
    return this.ack(t, recovered);
  }

  private ack(t: Tracked, recovered: boolean): VenueOrderAck {
    return {
      orderId: t.order.id,
      clientOrderId: t.order.clientOrderId,
      exchangeClientOrderId: t.cid,
      venueOrderId: t.venueOrderId ?? '',
      status: t.status === 'new' ? 'accepted' : t.status,
      filledQuantity: t.filled,
      recovered,
      ts: this.c.now(),
    };
  }

  /** What the replaced exchange order filled in the end (its fills may still be on the way). */
  private async finalFilled(t: Tracked, oldId: string, assumed: Decimal): Promise<Decimal> {
    try {
      const old = await this.c.call(() => this.c.ex.fetchOrder(oldId, t.order.symbol));
      const filled = orderSnapshot(old, this.c.adapter, this.c.now()).filled;
      if (!filled.eq(assumed)) {
        this.c.logger.warn(
          {
            at: 'trading#live',
            exchange: this.c.exchange,
            order: t.order.id,
            assumed: assumed.toString(),
            filled: filled.toString(),
          },
          'the replaced order filled more while being amended; the replacement is larger by the difference',
        );
        await this.sync.fetchFills(t, oldId).catch(() => undefined);
      }
      return filled;
    } catch {
      return assumed;
    }
  }

  private unknown(t: Tracked, err: unknown): VenueError {
    const why = scrub(err instanceof Error ? err.message : String(err), this.c.secrets);
    return new VenueError(
      'unavailable',
      'venue_order_unknown',
      `${this.c.exchange} did not confirm order ${t.order.id} and could not be asked about it (${why}); it is tracked and will be reconciled`,
      this.c.exchange,
      'unknown',
    );
  }

  private error(err: unknown, outcome?: 'rejected' | 'not_placed'): Error {
    return toVenueError(err, this.c.exchange, this.c.secrets, outcome);
  }

  private warn(err: unknown, msg: string): void {
    const text = err instanceof Error ? err.message : String(err);
    this.c.logger.warn(
      { at: 'trading#live', exchange: this.c.exchange, error: scrub(text, this.c.secrets) },
      msg,
    );
  }
}
