import { Decimal } from '../../../core/decimal.js';
import type { Logger } from '../../../platform/logging/logger.js';
import { TERMINAL, type Liquidity, type Order, type OrderStatus } from '../domain/types.js';
import type { UpdateSource, VenueStatusUpdate, VenueUpdate } from './types.js';

/** An order as the exchange reported it, already in exact decimals. */
export interface OrderSnapshot {
  venueOrderId: string;
  exchangeClientOrderId?: string | undefined;
  /** CCXT's unified status. */
  state: 'open' | 'closed' | 'canceled' | 'expired' | 'rejected' | undefined;
  /** Filled on this exchange order (not counting orders it replaced). */
  filled: Decimal;
  /** For stops, when the exchange says. */
  triggered?: boolean | undefined;
  ts: number;
}

/** One execution as the exchange reported it. */
export interface TradeSnapshot {
  tradeId: string;
  marketId: string;
  venueOrderId: string;
  price: Decimal;
  amount: Decimal;
  fee: Decimal;
  feeCurrency: string;
  liquidity: Liquidity;
  ts: number;
}

export interface Tracked {
  order: Order;
  /** The client order id the exchange knows. */
  cid: string;
  venueOrderId: string | undefined;
  /** Exchange orders this one replaced through amendments, and what they filled. */
  replaced: Set<string>;
  offset: Decimal;
  /** Last status delivered ('new': none yet) and the fills delivered. */
  status: OrderStatus;
  filled: Decimal;
  fillIds: Set<string>;
  /** A final status waiting for fills it counts that have not arrived yet. */
  pending: { snap: OrderSnapshot; source: UpdateSource; since: number } | undefined;
  cancelRequested: boolean;
  amending: boolean;
  /** A placement is under way (its answer not back yet). */
  inFlight: boolean;
  lastFillTs: number | undefined;
  since: number;
}

const ORPHAN_LIMIT = 1_000;
const KEEP_CLOSED = 2_000;

const isStop = (o: Order) => o.type === 'stop_market' || o.type === 'stop_limit';

/**
 * What we know of every order on one exchange connection, and the rules that turn reports
 * from three sources (REST answers, the user data stream, reconciliation) into one ordered,
 * deduplicated stream of updates: accepted before anything else, fills once each by their
 * exchange trade id, a final status only after the fills it includes, never backwards.
 * Every method is synchronous, so reports arriving concurrently cannot interleave inside it.
 */
export class OrderTracker {
  private readonly byCid = new Map<string, Tracked>();
  private readonly byVenueId = new Map<string, Tracked>();
  /** Trades of exchange orders not matched yet (a stream trade can beat the REST answer). */
  private readonly orphans = new Map<
    string,
    Array<{ trade: TradeSnapshot; source: UpdateSource }>
  >();
  private readonly closed = new Set<Tracked>();

  constructor(
    private readonly o: {
      exchange: string;
      emit: (u: VenueUpdate) => void;
      now: () => number;
      logger: Logger;
    },
  ) {}

  track(order: Order, cid: string): Tracked {
    const existing = this.byCid.get(cid);
    if (existing) {
      existing.order = order;
      return existing;
    }
    const t: Tracked = {
      order,
      cid,
      venueOrderId: undefined,
      replaced: new Set(),
      offset: Decimal.ZERO,
      status: 'new',
      filled: Decimal.ZERO,
      fillIds: new Set(),
      pending: undefined,
      cancelRequested: false,
      amending: false,
      inFlight: false,
      lastFillTs: undefined,
      since: this.o.now(),
    };
    this.byCid.set(cid, t);
    return t;
  }

  get(cid: string): Tracked | undefined {
    return this.byCid.get(cid);
  }

  byVenue(venueOrderId: string): Tracked | undefined {
    return this.byVenueId.get(venueOrderId);
  }

  /** Orders not known to be final: what reconciliation asks the exchange about. */
  open(): Tracked[] {
    return [...this.byCid.values()].filter((t) => !TERMINAL.has(t.status) || t.pending);
  }

  forget(t: Tracked): void {
    this.byCid.delete(t.cid);
    if (t.venueOrderId) this.byVenueId.delete(t.venueOrderId);
    for (const id of t.replaced) this.byVenueId.delete(id);
  }

  setVenueId(t: Tracked, venueOrderId: string): void {
    if (t.venueOrderId === venueOrderId) return;
    if (t.venueOrderId) t.replaced.add(t.venueOrderId);
    t.venueOrderId = venueOrderId;
    this.byVenueId.set(venueOrderId, t);
    const waiting = this.orphans.get(venueOrderId);
    if (waiting) {
      this.orphans.delete(venueOrderId);
      for (const w of waiting) this.observeTrade(w.trade, w.source);
    }
  }

  /**
   * An amendment replaced the exchange order: reports of the old one no longer speak for the
   * order's status, and what it filled (`offset`) is added to what the new one fills.
   */
  replace(t: Tracked, newVenueOrderId: string, offset: Decimal, order: Order): void {
    t.order = order;
    t.offset = offset;
    this.setVenueId(t, newVenueOrderId);
  }

  /** Applies a report of the order's state. Returns `needs_fills` when fills it counts are missing. */
  observeOrder(t: Tracked, snap: OrderSnapshot, source: UpdateSource): 'ok' | 'needs_fills' {
    if (t.replaced.has(snap.venueOrderId)) return 'ok';
    if (t.amending && t.venueOrderId !== undefined) return 'ok';
    if (t.venueOrderId === undefined) this.setVenueId(t, snap.venueOrderId);
    else if (t.venueOrderId !== snap.venueOrderId) {
      this.o.logger.warn(
        { at: 'trading#live', exchange: this.o.exchange, order: t.order.id },
        'a report for another exchange order carried this client order id; ignored',
      );
      return 'ok';
    }
    if (TERMINAL.has(t.status)) return 'ok';
    if (snap.state === 'rejected') {
      // After acceptance the machine knows no rejection: the order ends cancelled.
      if (t.status === 'new')
        this.status(t, 'rejected', source, snap.ts, { reason: 'venue_rejected' });
      else this.status(t, 'cancelled', source, snap.ts, { reason: 'venue_rejected' });
      return 'ok';
    }
    this.accepted(t, source, snap.ts, snap.triggered);
    if (t.filled.lt(t.offset.add(snap.filled))) {
      t.pending = { snap, source, since: t.pending?.since ?? this.o.now() };
      return 'needs_fills';
    }
    t.pending = undefined;
    this.final(t, snap, source);
    return 'ok';
  }

  /** Applies one execution; returns false when no tracked order owns it (yet). */
  observeTrade(trade: TradeSnapshot, source: UpdateSource): boolean {
    const t = this.byVenueId.get(trade.venueOrderId);
    if (!t) {
      this.orphan(trade, source);
      return false;
    }
    const id = `${this.o.exchange}:${trade.marketId}:${trade.tradeId}`;
    if (t.fillIds.has(id)) return true;
    const o = t.order;
    if (TERMINAL.has(t.status) && t.status !== 'filled' && !t.pending) {
      this.o.logger.error(
        { at: 'trading#live', exchange: this.o.exchange, order: o.id, fill: id },
        'a fill arrived after the order was reported final; not applied',
      );
      return true;
    }
    if (!trade.amount.isPositive() || t.filled.add(trade.amount).gt(o.quantity)) {
      this.o.logger.error(
        { at: 'trading#live', exchange: this.o.exchange, order: o.id, fill: id },
        'a fill would exceed the order quantity; not applied',
      );
      return true;
    }
    this.accepted(t, source, trade.ts, true);
    t.fillIds.add(id);
    t.filled = t.filled.add(trade.amount);
    t.lastFillTs = Math.max(t.lastFillTs ?? 0, trade.ts);
    this.o.emit({
      kind: 'fill',
      ...this.base(t, source, trade.ts),
      fill: {
        id,
        orderId: o.id,
        accountId: o.accountId,
        venue: o.venue,
        symbol: o.symbol,
        side: o.side,
        price: trade.price,
        quantity: trade.amount,
        fee: trade.fee,
        feeCurrency: trade.feeCurrency,
        liquidity: trade.liquidity,
        ts: trade.ts,
      },
    });
    const full = t.filled.eq(o.quantity);
    this.status(t, full ? 'filled' : 'partially_filled', source, trade.ts);
    if (t.pending && t.filled.gte(t.offset.add(t.pending.snap.filled))) {
      const p = t.pending;
      t.pending = undefined;
      this.final(t, p.snap, p.source);
    }
    if (TERMINAL.has(t.status)) this.retire(t);
    return true;
  }

  /** Closes an order the exchange has no trace of (a placement that never arrived). */
  notFound(t: Tracked, source: UpdateSource): void {
    if (TERMINAL.has(t.status)) return;
    if (t.status === 'new') {
      this.status(t, 'rejected', source, this.o.now(), {
        reason: 'not_found_on_venue',
        message: 'the exchange has no order with this client order id',
      });
    } else {
      this.status(t, 'cancelled', source, this.o.now(), { reason: 'not_found_on_venue' });
    }
  }

  /** Delivers a final status without its missing fills (they could not be fetched). */
  forceFinal(t: Tracked): void {
    const p = t.pending;
    if (!p) return;
    t.pending = undefined;
    this.o.logger.error(
      {
        at: 'trading#live',
        exchange: this.o.exchange,
        order: t.order.id,
        delivered: t.filled.toString(),
        reported: t.offset.add(p.snap.filled).toString(),
      },
      'fills the exchange reported could not be retrieved; status delivered without them',
    );
    this.final(t, p.snap, p.source);
  }

  /** Delivers `accepted` (and a stop's trigger) before anything else about the order. */
  private accepted(t: Tracked, source: UpdateSource, ts: number, triggered: boolean | undefined) {
    if (t.status === 'new') {
      this.status(t, isStop(t.order) ? 'pending_trigger' : 'accepted', source, ts);
    }
    if (t.status === 'pending_trigger' && triggered === true)
      this.status(t, 'accepted', source, ts);
  }

  /** The status a report ends the order with, if it is final. */
  private final(t: Tracked, snap: OrderSnapshot, source: UpdateSource): void {
    const o = t.order;
    switch (snap.state) {
      case 'canceled':
        this.status(t, 'cancelled', source, snap.ts, {
          reason: t.cancelRequested ? 'user_canceled' : 'venue_cancelled',
        });
        break;
      case 'expired': {
        // Named as the paper venue names the same outcomes (docs/FILL_MODEL.md).
        const reason =
          o.type === 'market' || o.type === 'stop_market'
            ? 'insufficient_liquidity'
            : o.timeInForce === 'IOC'
              ? 'ioc_remainder'
              : o.timeInForce === 'FOK'
                ? 'fok_not_fillable'
                : undefined;
        if (reason) this.status(t, 'cancelled', source, snap.ts, { reason });
        else this.status(t, 'expired', source, snap.ts, { reason: 'venue_expired' });
        break;
      }
      case 'closed':
        if (t.filled.lt(o.quantity)) {
          this.status(t, 'cancelled', source, snap.ts, { reason: 'venue_closed' });
        }
        break;
      default:
        return;
    }
    if (TERMINAL.has(t.status)) this.retire(t);
  }

  private status(
    t: Tracked,
    status: Exclude<OrderStatus, 'new'>,
    source: UpdateSource,
    ts: number,
    extra: { reason?: string; message?: string } = {},
  ): void {
    if (TERMINAL.has(t.status)) return;
    t.status = status;
    const u: VenueStatusUpdate = {
      kind: 'status',
      ...this.base(t, source, ts),
      status,
      filledQuantity: t.filled,
      ...extra,
    };
    this.o.emit(u);
  }

  private base(t: Tracked, source: UpdateSource, ts: number) {
    return {
      orderId: t.order.id,
      clientOrderId: t.order.clientOrderId,
      accountId: t.order.accountId,
      venue: t.order.venue,
      symbol: t.order.symbol,
      venueOrderId: t.venueOrderId ?? '',
      source,
      ts,
    };
  }

  private orphan(trade: TradeSnapshot, source: UpdateSource): void {
    let list = this.orphans.get(trade.venueOrderId);
    if (!list) {
      if (this.orphans.size >= ORPHAN_LIMIT) {
        const oldest = this.orphans.keys().next().value;
        if (oldest !== undefined) this.orphans.delete(oldest);
      }
      this.orphans.set(trade.venueOrderId, (list = []));
    }
    if (!list.some((x) => x.trade.tradeId === trade.tradeId)) list.push({ trade, source });
  }

  /**
   * Final orders stay known for a while, so that a late duplicate of one of their fills is
   * still recognised; the oldest are dropped beyond a bound.
   */
  private retire(t: Tracked): void {
    if (t.pending || this.closed.has(t)) return;
    this.closed.add(t);
    for (const old of this.closed) {
      if (this.closed.size <= KEEP_CLOSED) break;
      this.closed.delete(old);
      this.forget(old);
    }
  }
}
