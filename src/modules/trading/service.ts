import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import { topics } from '../../core/topics.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Books } from './books.js';
import { demoBalance, type TradingConfig } from './config.js';
import { feeFor } from './domain/matching-config.js';
import type { MatchingOutput } from './domain/matching.js';
import * as machine from './domain/order-machine.js';
import { orderDenied, RiskEngine, type RiskLimits } from './domain/risk.js';
import type { InstrumentRules, Order, OrderIntent } from './domain/types.js';
import { validateAmend, validateIntent, validationProblem } from './domain/validation.js';
import * as E from './errors.js';
import { provisionPaperAccount } from './provisioning.js';
import { riskLimitsFrom } from './accounts.js';
import { dailyLossContext } from './domain/daily-loss.js';
import * as S from './store.js';
import type { VenueClient, VenueOp } from './remote.js';
import { PAPER, type Batch, type PaperVenue } from './venue.js';
import { balanceView, fillView, orderView, positionView, type OrderView } from './views.js';

export interface PlaceInput {
  symbol: string;
  side: string;
  type: string;
  quantity: string;
  price?: string;
  stopPrice?: string;
  timeInForce?: string;
  postOnly?: boolean;
  reduceOnly?: boolean;
  clientOrderId?: string;
  accountId?: string;
}

const HUNDRED = Decimal.fromInt(100);

/** Hash of what makes two placements the same request (the account resolved, defaults filled). */
function requestHash(accountId: string, i: PlaceInput): string {
  const canonical = [
    accountId,
    i.symbol,
    i.side,
    i.type,
    i.quantity,
    i.price ?? null,
    i.stopPrice ?? null,
    i.timeInForce ?? null,
    i.postOnly ?? false,
    i.reduceOnly ?? false,
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** The last version of each order an engine output touched. */
const finalOrder = (out: MatchingOutput, id: string): Order | undefined =>
  out.transitions.filter((t) => t.order.id === id).at(-1)?.order;

const stored = (order: Order, requestHash: string, reasonMessage: string | undefined) => ({
  order,
  requestHash,
  reasonMessage,
  hold: undefined,
});

const rejectMessage = (out: MatchingOutput, id: string): string | undefined => {
  for (const t of out.transitions)
    if (t.order.id === id && t.event.type === 'OrderRejected') return t.event.message;
  return undefined;
};

/**
 * The OMS: validation → risk → hold → venue → one transaction per engine output. Commands run
 * on the paper venue's queue, so each sees the state the previous one committed.
 */
export class TradingService {
  readonly risk = new RiskEngine();
  private readonly bySymbol: Map<string, InstrumentRules>;
  private readonly defaults = new Map<string, string>();
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly deps: {
      database: Database;
      outbox: Outbox;
      clock: Clock;
      config: TradingConfig;
      books: Books;
      instruments: readonly InstrumentRules[];
      /** The paper venue, when this process leads it. */
      venue: () => PaperVenue | undefined;
      /** Forwards commands to the leader when this process does not lead. */
      remote?: VenueClient | undefined;
      /** Last prices, for marking positions where the venue does not run. */
      lastPrice?: (venue: string, symbol: string) => Decimal | undefined;
    },
  ) {
    this.bySymbol = new Map(deps.instruments.map((i) => [i.symbol, i]));
  }

  private get db() {
    return this.deps.database.db;
  }

  private venue(): PaperVenue {
    const v = this.deps.venue();
    if (!v) throw E.venueUnavailable();
    return v;
  }

  /** Where commands go: the venue in this process, or the leader over the feed. */
  private get forward(): VenueClient | undefined {
    return this.deps.venue() ? undefined : this.deps.remote;
  }

  /** Executes a command forwarded by another process (this one leads the venue). */
  async execute(op: VenueOp, userId: string, args: unknown[]): Promise<unknown> {
    // Never forwarded again: a process that has just lost the lead answers "unavailable".
    this.venue();
    switch (op) {
      case 'place':
        return await this.place(userId, args[0] as PlaceInput);
      case 'cancel':
        return await this.cancel(userId, args[0] as string);
      case 'amend':
        return await this.amend(
          userId,
          args[0] as string,
          args[1] as { price?: string; quantity?: string },
        );
    }
  }

  private marks(): Map<string, Decimal> {
    const v = this.deps.venue();
    if (v) return v.marks();
    const m = new Map<string, Decimal>();
    for (const i of this.deps.instruments) {
      const last = this.deps.lastPrice?.(i.venue, i.symbol);
      if (last && i.quote === 'USDT') m.set(i.base, last);
    }
    return m;
  }

  /** Reads run after queued commands, so they never see half-applied state. */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    const v = this.deps.venue();
    return v ? v.run(fn) : fn();
  }

  /** The named account if it is the user's, else the default one (opened on first use). */
  async account(userId: string, accountId?: string): Promise<S.AccountRow> {
    if (accountId !== undefined) {
      const a = /^[0-9a-f-]{36}$/i.test(accountId)
        ? await S.findAccount(this.db, accountId.toLowerCase())
        : undefined;
      if (!a || a.user_id !== userId) throw E.accountNotFound();
      return a;
    }
    const found = await S.defaultAccount(this.db, userId);
    if (found) return found;
    await this.ensureAccount(userId);
    return (await S.defaultAccount(this.db, userId))!;
  }

  /** Opens and funds the user's paper account if the sign-up event has not done so yet. */
  async ensureAccount(userId: string): Promise<void> {
    await this.deps.outbox.transaction(async (tx, emit) => {
      await emit(
        ...(await provisionPaperAccount(
          tx,
          userId,
          demoBalance(this.deps.config),
          this.deps.clock,
        )),
      );
    });
  }

  /**
   * The account an order is for, checked against its owner. Ownership and the default account
   * never change once made, so the answer is kept: the order path then reads nothing here.
   */
  private async accountIdFor(userId: string, accountId?: string): Promise<string> {
    if (accountId === undefined) {
      const known = this.defaults.get(userId);
      if (known) return known;
      const a = await this.account(userId);
      this.defaults.set(userId, a.id);
      return a.id;
    }
    const id = accountId.toLowerCase();
    if (this.owners.get(id) === userId) return id;
    const a = await this.account(userId, accountId);
    this.owners.set(a.id, userId);
    return a.id;
  }

  async place(userId: string, input: PlaceInput): Promise<{ created: boolean; order: OrderView }> {
    const remote = this.forward;
    if (remote) {
      // A client order id makes a placement whose reply was lost findable and safely retryable.
      const cid = input.clientOrderId ?? newId();
      return remote.call('place', userId, [{ ...input, clientOrderId: cid }], cid);
    }
    const venue = this.venue();
    const accountId = await this.accountIdFor(userId, input.accountId);
    const hash = requestHash(accountId, input);
    return venue.step({
      accounts: [accountId],
      ...(input.clientOrderId !== undefined
        ? { clientIds: [[accountId, input.clientOrderId] as [string, string]] }
        : {}),
      run: (b) => this.placeStep(b, venue, accountId, hash, input),
    });
  }

  /** Validation → risk → hold → venue, in memory; the batch writes what it produced. */
  private placeStep(
    b: Batch,
    venue: PaperVenue,
    accountId: string,
    hash: string,
    input: PlaceInput,
  ): { created: boolean; order: OrderView } {
    const key =
      input.clientOrderId === undefined ? undefined : `${accountId}|${input.clientOrderId}`;
    const prior = key === undefined ? undefined : b.clientOrders.get(key);
    if (prior && prior.requestHash !== hash) throw E.clientOrderIdReused(input.clientOrderId!);
    if (prior) return { created: false, order: orderView(prior.order, prior.reasonMessage) };
    const account = b.accounts.get(accountId);
    if (!account) throw E.accountNotFound();
    const inst = this.bySymbol.get(input.symbol);
    const last = venue.engine.lastPrice(input.symbol);
    const v = validateIntent({ ...input, accountId }, inst, {
      ...(last ? { referencePrice: last } : {}),
      clientOrderId: newId(),
    });
    if (!v.ok || !inst) throw validationProblem(v.ok ? [] : v.errors);
    const intent = v.intent;
    const portfolio = b.portfolio(accountId);
    const now = this.deps.clock.now();
    const order = machine.createOrder(intent, newId(), now);
    const spend = intent.side === 'buy' ? inst.quote : inst.base;
    const decision = this.risk.check(intent, {
      instrument: inst,
      limits: this.limits(b.limits.get(accountId)),
      tradingState: account.trading_state,
      lastPrice: last,
      available: portfolio.ledger.balance(accountId, spend).available,
      position: portfolio.position(accountId, PAPER, inst.symbol)?.quantity ?? Decimal.ZERO,
      openOrders: venue.engine.openCount(accountId),
      ...dailyLossContext(portfolio, accountId, inst.quote, now),
    });
    const hold = this.holdFor(intent, inst, last);
    const held = decision.ok
      ? portfolio.ledger.hold(order.id, accountId, hold.currency, hold.amount)
      : undefined;
    if (!decision.ok || (held && !held.ok)) {
      const denial = !decision.ok
        ? decision
        : {
            ok: false as const,
            reason: 'insufficient_balance' as const,
            message: held!.ok ? '' : held!.error.message,
          };
      const t = machine.reject(order, denial.reason, denial.message, now);
      if (!t.ok) throw new Error(t.error.message);
      const denied = { ...orderDenied(intent, denial, now), orderId: order.id };
      b.add(
        { transitions: [{ order: t.order, event: t.event }], fills: [] },
        {
          inserts: new Map([[order.id, { requestHash: hash, reasonMessage: denial.message }]]),
          events: [
            { topic: topics.tradingOrders, type: 'OrderDenied', key: accountId, payload: denied },
          ],
        },
      );
      if (key) b.remember(key, stored(t.order, hash, denial.message));
      return { created: true, order: orderView(t.order, denial.message) };
    }
    const res = venue.engine.submit(order);
    if (!res.ok) {
      portfolio.ledger.release(order.id);
      throw new Error(`the venue refused a validated order: ${res.message}`);
    }
    b.add(res, {
      inserts: new Map([[order.id, { requestHash: hash, holdCurrency: hold.currency }]]),
    });
    const final = finalOrder(res, order.id)!;
    const message = rejectMessage(res, order.id);
    if (key) b.remember(key, stored(final, hash, message));
    return { created: true, order: orderView(final, message) };
  }

  async cancel(userId: string, orderId: string): Promise<OrderView> {
    const remote = this.forward;
    if (remote) return remote.call('cancel', userId, [orderId]);
    const venue = this.venue();
    const owned = await this.owned(userId, orderId);
    return venue.step({
      accounts: [owned.order.accountId],
      run: (b) => {
        const res = venue.engine.cancel(owned.order.id);
        if (!res.ok) {
          const status = venue.engine.order(owned.order.id)?.status ?? 'no longer open';
          throw E.orderNotOpen(`order ${orderId} is ${status}`);
        }
        b.add(res);
        return orderView(finalOrder(res, owned.order.id)!);
      },
    });
  }

  async amend(
    userId: string,
    orderId: string,
    body: { price?: string; quantity?: string },
  ): Promise<OrderView> {
    const remote = this.forward;
    if (remote) return remote.call('amend', userId, [orderId, body]);
    const venue = this.venue();
    const owned = await this.owned(userId, orderId);
    const accountId = owned.order.accountId;
    return venue.step({
      accounts: [accountId],
      run: (b) => {
        const working = venue.engine.order(owned.order.id);
        if (!working) throw E.orderNotOpen(`order ${orderId} is no longer open`);
        const inst = this.bySymbol.get(working.symbol)!;
        const v = validateAmend(working, body, inst);
        if (!v.ok) throw validationProblem(v.errors);
        const ledger = b.portfolio(accountId).ledger;
        const leaves = (v.change.quantity ?? working.quantity).sub(working.filledQuantity);
        const price = v.change.price ?? working.price!;
        const buy = working.side === 'buy';
        const need = buy
          ? leaves.mul(price, 'ceil').add(feeFor(price, leaves, this.feeRate(working, inst), 8))
          : leaves;
        const ccy = buy ? inst.quote : inst.base;
        // A hold id is placed once in the ledger, so the new amount is written to the order
        // row and the account's balances are rebuilt from the database after the commit.
        const delta = leaves.isPositive() ? need.sub(ledger.heldFor(working.id)) : Decimal.ZERO;
        const available = ledger.balance(accountId, ccy).available;
        if (delta.gt(available)) {
          throw E.insufficientBalance(
            `the amended order needs ${delta} ${ccy} more held; ${available} ${ccy} is available`,
          );
        }
        const res = venue.engine.amend(working.id, v.change);
        if (!res.ok) {
          if (res.code === 'order_not_open') throw E.orderNotOpen(res.message);
          const field = res.code.includes('quantity') ? '/quantity' : '/price';
          throw E.amendRefused(res.code, res.message, field);
        }
        b.add(res, { holdDelta: new Map([[working.id, delta]]) });
        b.forgets.add(accountId);
        return orderView(finalOrder(res, working.id) ?? working);
      },
    });
  }

  private feeRate(o: { postOnly: boolean }, inst: InstrumentRules): Decimal {
    return Decimal.max(o.postOnly ? inst.makerFee : inst.takerFee, Decimal.ZERO);
  }

  /** What an order reserves: the most a buy can spend (as the risk check priced it), or the base sold. */
  private holdFor(intent: OrderIntent, inst: InstrumentRules, last: Decimal | undefined) {
    if (intent.side === 'sell') return { currency: inst.base, amount: intent.quantity };
    const ref = intent.price ?? intent.stopPrice ?? last ?? Decimal.ZERO;
    const marketPriced = intent.type === 'market' || intent.type === 'stop_market';
    const price = marketPriced
      ? ref.mul(HUNDRED.add(this.risk.config.marketSlippagePct)).div(HUNDRED, 'ceil')
      : ref;
    const cost = intent.quantity.mul(price, 'ceil');
    const fee = feeFor(
      price,
      intent.quantity,
      this.feeRate(intent, inst),
      this.risk.config.feePlaces,
    );
    return { currency: inst.quote, amount: cost.add(fee) };
  }

  private limits(row: S.RiskLimitRow | undefined): RiskLimits {
    return riskLimitsFrom(row, this.deps.config);
  }

  private async owned(userId: string, orderId: string): Promise<S.StoredOrder> {
    const stored = /^[0-9a-f-]{36}$/i.test(orderId)
      ? await S.findOrder(this.db, orderId.toLowerCase())
      : undefined;
    const account = stored && (await S.findAccount(this.db, stored.order.accountId));
    if (!stored || !account || account.user_id !== userId) throw E.orderNotFound();
    return stored;
  }

  async getOrder(userId: string, orderId: string): Promise<OrderView> {
    const s = await this.owned(userId, orderId);
    return orderView(s.order, s.reasonMessage);
  }

  async listOrders(
    userId: string,
    q: {
      status?: 'open' | 'all';
      symbol?: string;
      accountId?: string;
      limit?: number;
      before?: string;
    },
  ): Promise<OrderView[]> {
    const account = await this.account(userId, q.accountId);
    const rows = await S.listOrders(this.db, {
      accountId: account.id,
      open: (q.status ?? 'all') === 'open',
      limit: q.limit ?? 50,
      ...(q.symbol ? { symbol: q.symbol } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    return rows.map((s) => orderView(s.order, s.reasonMessage));
  }

  async listFills(
    userId: string,
    q: { symbol?: string; orderId?: string; accountId?: string; limit?: number },
  ) {
    const account = await this.account(userId, q.accountId);
    const fills = await S.listFills(this.db, {
      accountId: account.id,
      limit: q.limit ?? 100,
      ...(q.symbol ? { symbol: q.symbol } : {}),
      ...(q.orderId ? { orderId: q.orderId } : {}),
    });
    return fills.map(fillView);
  }

  async balances(userId: string, accountId?: string) {
    const account = await this.account(userId, accountId);
    return this.read(async () => {
      const p = await this.deps.books.load(this.db, (await S.findAccount(this.db, account.id))!);
      return p.ledger.balances(account.id).map((b) => balanceView(account.id, b));
    });
  }

  async positions(userId: string, accountId?: string) {
    const account = await this.account(userId, accountId);
    return this.read(async () => {
      const p = await this.deps.books.load(this.db, (await S.findAccount(this.db, account.id))!);
      const marks = this.marks();
      return p.positionsOf(account.id).map((pos) => positionView(pos, marks.get(pos.base)));
    });
  }

  async accounts(userId: string) {
    await this.account(userId);
    const rows = await S.accountsOfUser(this.db, userId);
    return this.read(async () => {
      const marks = this.marks();
      const out = [];
      for (const a of rows) {
        const p = await this.deps.books.load(this.db, (await S.findAccount(this.db, a.id))!);
        const v = p.valuation(a.id, marks);
        out.push({
          id: a.id,
          venue: a.venue,
          name: a.name,
          isDefault: a.is_default,
          tradingState: a.trading_state,
          createdAt: new Date(a.created_at).toISOString(),
          currency: p.valuationCurrency,
          equity: v.equity.toString(),
          cash: v.cash.toString(),
          positionsValue: v.positionsValue.toString(),
          realizedPnl: v.realizedPnl.toString(),
          unrealizedPnl: v.unrealizedPnl.toString(),
          feesPaid: v.feesPaid.toString(),
          netContributions: v.netContributions.toString(),
          missingMarks: v.missingMarks,
        });
      }
      return out;
    });
  }
}
