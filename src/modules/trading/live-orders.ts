import { Decimal } from '../../core/decimal.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { topics } from '../../core/topics.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Clock } from '../../core/clock.js';
import { riskLimitsFrom } from './accounts.js';
import type { TradingConfig } from './config.js';
import { dailyLossContext } from './domain/daily-loss.js';
import { feeFor } from './domain/matching-config.js';
import * as machine from './domain/order-machine.js';
import { orderDenied, type RiskEngine } from './domain/risk.js';
import { TERMINAL, type InstrumentRules, type Order, type OrderIntent } from './domain/types.js';
import { validateAmend, validateIntent, validationProblem } from './domain/validation.js';
import * as E from './errors.js';
import { CircuitOpenError, VenueError, type PlacementOutcome } from './live/index.js';
import { LiveWrite, type LiveConnection, type LiveOrderState } from './live-connection.js';
import type { PlaceInput } from './service.js';
import * as S from './store.js';
import { orderView, type OrderView } from './views.js';

const HUNDRED = Decimal.fromInt(100);

export type Placed = { created: boolean; order: OrderView };

export interface LiveOrderDeps {
  database: Database;
  clock: Clock;
  logger: Logger;
  config: TradingConfig;
  risk: RiskEngine;
  connection(accountId: string): Promise<LiveConnection>;
}

/**
 * Placing, cancelling and amending orders on exchange accounts. An order takes the paper
 * venue's path up to the venue — validation against the exchange's instruments, the same
 * risk engine over the ledger's available balance, a hold — and its row is written as `new`
 * before the exchange is asked, so the exchange never has an order the database does not.
 * What follows arrives as connector updates (`LiveConnection`); each answer is read once the
 * updates its command produced are written.
 */
export class LiveOrders {
  constructor(private readonly deps: LiveOrderDeps) {}

  private get db() {
    return this.deps.database.db;
  }

  async place(accountId: string, hash: string, input: PlaceInput): Promise<Placed> {
    // A repeated placement is answered from the database, whatever state the exchange is in.
    const repeat = await this.repeated(accountId, hash, input.clientOrderId);
    if (repeat) return repeat;
    const conn = await this.deps.connection(accountId);
    const instruments = await this.instrumentsOf(conn);
    const breaker = conn.connector.status().breaker;
    if (breaker.state === 'open' && breaker.retryAt !== undefined)
      throw new CircuitOpenError(breaker.name, breaker.retryAt, this.deps.clock.now());
    const prepared = await conn.run(() => this.prepare(conn, instruments, hash, input));
    if ('done' in prepared) return prepared.done;
    const order = prepared.order;
    conn.inflight++;
    let failure: unknown;
    try {
      await conn.connector.place(order);
    } catch (err) {
      failure = err;
    } finally {
      conn.inflight--;
    }
    // Queued behind the updates the placement produced, so the answer shows them.
    return conn.run(() => this.placed(conn, order, failure));
  }

  async cancel(order: Order): Promise<OrderView> {
    const conn = await this.deps.connection(order.accountId);
    const s = await conn.run(async () => conn.orders.get(order.id));
    if (!s || TERMINAL.has(s.order.status))
      throw E.orderNotOpen(`order ${order.id} is ${s?.order.status ?? order.status}`);
    try {
      await conn.connector.cancel(s.order);
    } catch (err) {
      throw exchangeError(err, conn.account.venue);
    }
    const after = await conn.run(() => this.current(conn, order.id));
    if (after.order.status === 'filled' || after.order.status === 'rejected')
      throw E.orderNotOpen(`order ${order.id} is ${after.order.status}`);
    return orderView(after.order, after.reasonMessage);
  }

  async amend(order: Order, body: { price?: string; quantity?: string }): Promise<OrderView> {
    const conn = await this.deps.connection(order.accountId);
    const instruments = await this.instrumentsOf(conn);
    const plan = await conn.run(async () => {
      const s = conn.orders.get(order.id);
      if (!s || TERMINAL.has(s.order.status) || s.order.status === 'new')
        throw E.orderNotOpen(`order ${order.id} is ${s?.order.status ?? 'no longer open'}`);
      const inst = instruments.get(s.order.symbol);
      if (!inst) throw E.orderNotOpen(`${s.order.symbol} is no longer traded on ${order.venue}`);
      const v = validateAmend(s.order, body, inst);
      if (!v.ok) throw validationProblem(v.errors);
      const t = machine.amend(s.order, v.change, this.deps.clock.now());
      if (!t.ok) {
        if (t.error.code === 'order_not_open') throw E.orderNotOpen(t.error.message);
        const field = t.error.code.includes('quantity') ? '/quantity' : '/price';
        throw E.amendRefused(t.error.code, t.error.message, field);
      }
      const book = await conn.book();
      if (!book) throw E.accountNotFound();
      const { delta, currency } = this.holdChange(book.portfolio, s.order, v.change, inst);
      const available = book.portfolio.ledger.balance(s.order.accountId, currency).available;
      if (delta.gt(available)) {
        throw E.insufficientBalance(
          `the amended order needs ${delta} ${currency} more held; ${available} ${currency} is available`,
        );
      }
      return { working: s.order, change: v.change, inst };
    });
    try {
      await conn.connector.amend(plan.working, plan.change);
    } catch (err) {
      throw exchangeError(err, conn.account.venue);
    }
    return conn.run(async () => {
      const s = conn.orders.get(order.id);
      const book = await conn.book();
      // Ended while it was being amended (a replacement the exchange refused, a fill).
      if (!s || !book) {
        const done = await this.current(conn, order.id);
        return orderView(done.order, done.reasonMessage);
      }
      const t = machine.amend(s.order, plan.change, this.deps.clock.now());
      const w = new LiveWrite();
      const { delta } = this.holdChange(book.portfolio, s.order, plan.change, plan.inst);
      if (conn.transition(book.portfolio, s, t, w)) {
        // A hold is placed once in the ledger: the row carries the new amount and the book
        // is rebuilt from the database after the commit.
        w.holds.set(s.order.id, book.portfolio.ledger.heldFor(s.order.id).add(delta));
        w.forget = true;
        await conn.commit(book.portfolio, w);
      }
      return orderView(s.order, s.reasonMessage);
    });
  }

  /**
   * Instruments by exchange, as the last connection to it read them: an exchange's rules are
   * the same for every account on it, and planners that size orders synchronously (copy
   * trading) read them here.
   */
  readonly byVenue = new Map<string, ReadonlyMap<string, InstrumentRules>>();

  /** The exchange's instruments, read once per connection. */
  async instrumentsOf(conn: LiveConnection): Promise<Map<string, InstrumentRules>> {
    if (conn.instruments) return conn.instruments;
    try {
      const list = await conn.connector.instruments();
      conn.instruments = new Map(list.map((i) => [i.symbol, i]));
      this.byVenue.set(conn.account.venue, conn.instruments);
      return conn.instruments;
    } catch (err) {
      throw exchangeError(err, conn.account.venue);
    }
  }

  /** Validation → risk → hold → the order row, as `new`; or the answer, when there is one already. */
  private async prepare(
    conn: LiveConnection,
    instruments: ReadonlyMap<string, InstrumentRules>,
    hash: string,
    input: PlaceInput,
  ): Promise<{ done: Placed } | { order: Order }> {
    const accountId = conn.account.id;
    const repeat = await this.repeated(accountId, hash, input.clientOrderId);
    if (repeat) return { done: repeat };
    const book = await conn.book();
    if (!book) throw E.accountNotFound();
    if (!book.row.credential_id) throw E.exchangeDisconnected();
    const { row, portfolio: p } = book;
    const inst = instruments.get(input.symbol);
    const limits = riskLimitsFrom(await S.riskLimitsOf(this.db, accountId), this.deps.config);
    const last =
      inst && (input.type === 'market' || limits.priceBandPct !== undefined)
        ? await conn.connector.lastPrice(inst.symbol).catch(() => undefined)
        : undefined;
    const v = validateIntent({ ...input, accountId }, inst, {
      ...(last ? { referencePrice: last } : {}),
      clientOrderId: newId(),
    });
    if (!v.ok || !inst) throw validationProblem(v.ok ? [] : v.errors);
    const intent = v.intent;
    const now = this.deps.clock.now();
    const order = machine.createOrder(intent, newId(), now);
    const working = [...conn.orders.values()].filter((s) =>
      S.OPEN_STATUSES.includes(s.order.status),
    ).length;
    const decision = this.deps.risk.check(intent, {
      instrument: inst,
      limits,
      tradingState: row.trading_state,
      lastPrice: last,
      available: p.ledger.balance(accountId, intent.side === 'buy' ? inst.quote : inst.base)
        .available,
      position: p.position(accountId, row.venue, inst.symbol)?.quantity ?? Decimal.ZERO,
      openOrders: working,
      ...dailyLossContext(p, accountId, inst.quote, now),
    });
    const hold = this.holdFor(intent, inst, last);
    const held = decision.ok
      ? p.ledger.hold(order.id, accountId, hold.currency, hold.amount)
      : undefined;
    const s: LiveOrderState = { order, holdCurrency: hold.currency };
    const w = new LiveWrite();
    w.inserts.set(order.id, hash);
    if (!decision.ok || (held && !held.ok)) {
      const denial = !decision.ok
        ? decision
        : {
            ok: false as const,
            reason: 'insufficient_balance' as const,
            message: held!.ok ? '' : held!.error.message,
          };
      s.holdCurrency = undefined;
      conn.transition(p, s, machine.reject(order, denial.reason, denial.message, now), w);
      s.reasonMessage = denial.message;
      w.events.push({
        topic: topics.tradingOrders,
        type: 'OrderDenied',
        key: accountId,
        payload: { ...orderDenied(intent, denial, now), orderId: order.id },
      });
      await conn.commit(p, w);
      return { done: { created: true, order: orderView(s.order, denial.message) } };
    }
    w.orders.set(order.id, s);
    conn.activity++;
    try {
      await conn.commit(p, w);
    } catch (err) {
      p.ledger.release(order.id);
      throw err;
    }
    return { order };
  }

  /**
   * What the exchange's answer (or its absence) makes of a placement. A refusal, or a request
   * that certainly never reached the exchange, rejects the order with the exchange's reason; an
   * answer lost with the exchange unreachable leaves it `new`, tracked, and reconciliation
   * settles it (accepted with its fills, or rejected `not_found_on_venue`).
   */
  private async placed(conn: LiveConnection, order: Order, failure: unknown): Promise<Placed> {
    const s = await this.current(conn, order.id);
    if (failure === undefined) return { created: true, order: orderView(s.order, s.reasonMessage) };
    const outcome = placementOutcome(failure);
    const err = failure instanceof AppError ? failure : undefined;
    if (outcome === 'unknown' || !err) {
      this.deps.logger.warn(
        {
          at: 'trading#live',
          accountId: conn.account.id,
          order: order.id,
          error: err?.message ?? 'unexpected failure',
        },
        'placement of unknown fate; reconciliation will settle it',
      );
      return {
        created: true,
        order: orderView(s.order, err?.message ?? 'the exchange did not confirm the order'),
      };
    }
    if (s.order.status !== 'new')
      return { created: true, order: orderView(s.order, s.reasonMessage) };
    const book = await conn.book();
    if (!book) throw E.accountNotFound();
    const message =
      outcome === 'not_placed' ? `${err.message}; nothing was placed on the exchange` : err.message;
    const w = new LiveWrite();
    conn.transition(
      book.portfolio,
      s,
      machine.reject(s.order, err.code, message, this.deps.clock.now()),
      w,
    );
    await conn.commit(book.portfolio, w);
    return { created: true, order: orderView(s.order, s.reasonMessage) };
  }

  /** The order an earlier placement with this client order id made, if the body is the same. */
  private async repeated(
    accountId: string,
    hash: string,
    clientOrderId: string | undefined,
  ): Promise<Placed | undefined> {
    if (clientOrderId === undefined) return undefined;
    const prior = await S.findByClientId(this.db, accountId, clientOrderId);
    if (!prior) return undefined;
    if (prior.requestHash !== hash) throw E.clientOrderIdReused(clientOrderId);
    return { created: false, order: orderView(prior.order, prior.reasonMessage) };
  }

  /** The order as this connection holds it, or as stored once it has ended. */
  private async current(conn: LiveConnection, orderId: string): Promise<LiveOrderState> {
    const s = conn.orders.get(orderId);
    if (s) return s;
    const stored = await S.findOrder(this.db, orderId);
    if (!stored) throw E.orderNotFound();
    return { order: stored.order, reasonMessage: stored.reasonMessage };
  }

  /** What an order reserves: the most a buy can spend (as the risk check priced it), or the base sold. */
  private holdFor(intent: OrderIntent, inst: InstrumentRules, last: Decimal | undefined) {
    if (intent.side === 'sell') return { currency: inst.base, amount: intent.quantity };
    const risk = this.deps.risk.config;
    const ref = intent.price ?? intent.stopPrice ?? last ?? Decimal.ZERO;
    const marketPriced = intent.type === 'market' || intent.type === 'stop_market';
    const price = marketPriced
      ? ref.mul(HUNDRED.add(risk.marketSlippagePct)).div(HUNDRED, 'ceil')
      : ref;
    const rate = Decimal.max(intent.postOnly ? inst.makerFee : inst.takerFee, Decimal.ZERO);
    const fee = feeFor(price, intent.quantity, rate, risk.feePlaces);
    return { currency: inst.quote, amount: intent.quantity.mul(price, 'ceil').add(fee) };
  }

  /** How much more an amended order must hold, and in what. */
  private holdChange(
    p: { ledger: { heldFor(id: string): Decimal } },
    o: Order,
    change: machine.Amendment,
    inst: InstrumentRules,
  ): { delta: Decimal; currency: string } {
    const leaves = (change.quantity ?? o.quantity).sub(o.filledQuantity);
    const price = change.price ?? o.price!;
    const buy = o.side === 'buy';
    const rate = Decimal.max(o.postOnly ? inst.makerFee : inst.takerFee, Decimal.ZERO);
    const need = buy
      ? leaves.mul(price, 'ceil').add(feeFor(price, leaves, rate, this.deps.risk.config.feePlaces))
      : leaves;
    const delta = leaves.isPositive() ? need.sub(p.ledger.heldFor(o.id)) : Decimal.ZERO;
    return { delta, currency: buy ? inst.quote : inst.base };
  }
}

/** What a failed placement means for the order (see `PlacementOutcome`). */
export function placementOutcome(err: unknown): PlacementOutcome {
  if (err instanceof VenueError && err.outcome) return err.outcome;
  // The breaker refused before anything was sent.
  if (err instanceof CircuitOpenError) return 'not_placed';
  if (err instanceof AppError && err.kind !== 'unavailable' && err.kind !== 'internal')
    return 'rejected';
  return 'unknown';
}

/** An exchange failure as an answer: the connector's errors are already safe to show. */
export function exchangeError(err: unknown, venue: string): unknown {
  if (err instanceof AppError) return err;
  return new AppError(
    'unavailable',
    'venue_unavailable',
    `${venue} could not be reached; nothing was changed there, retry shortly`,
    { cause: err },
  );
}
