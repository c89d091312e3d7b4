import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import { channels, topics } from '../../core/topics.js';
import type { NewEvent, Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Books } from './books.js';
import { fillPostings, type TransactionInput } from './domain/ledger-journal.js';
import * as machine from './domain/order-machine.js';
import type { Portfolio } from './domain/portfolio.js';
import { TERMINAL, type Fill, type InstrumentRules, type Order } from './domain/types.js';
import type { CcxtVenueConnector, VenueStatusUpdate, VenueUpdate } from './live/index.js';
import { fillShortfall, spotInstrumentOf, syncPostings } from './live-ledger.js';
import * as S from './store.js';
import {
  bumpJournals,
  insertFills,
  insertLedgerEntries,
  insertOrders,
  updateOrders,
  type LedgerWrite,
  type OrderWrite,
} from './store-batch.js';
import { balanceView, fillView, orderView, positionView } from './views.js';

/** One of the account's orders as last written. */
export interface LiveOrderState {
  order: Order;
  reasonMessage?: string | undefined;
  /** The currency its ledger hold is in, which its own fills may draw on. */
  holdCurrency?: string | undefined;
}

export interface ConnectionDeps {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  books: Books;
  feed?: Feed | undefined;
  /** Last prices by base currency, for the positions pushed on the feed. */
  marks(): ReadonlyMap<string, Decimal>;
  /** A write failed: what this connection holds in memory may be ahead of the database. */
  onBroken(c: LiveConnection, err: unknown): void;
}

/** What one task changed, written in one transaction. */
export class LiveWrite {
  readonly orders = new Map<string, LiveOrderState>();
  /** Orders new in this write, with their request hash: inserted, not updated. */
  readonly inserts = new Map<string, string>();
  readonly fills: Fill[] = [];
  readonly ledger: LedgerWrite[] = [];
  readonly events: NewEvent[] = [];
  /** Rebuild the book from the database after the commit (an amended hold). */
  forget = false;
  /** Row hold amounts that differ from the book's, by order (see `TradingService.amend`). */
  readonly holds = new Map<string, Decimal>();

  get empty(): boolean {
    return !this.orders.size && !this.events.length && !this.ledger.length;
  }
}

type Task =
  | { kind: 'run'; fn: () => Promise<unknown>; resolve(v: unknown): void; reject(e: unknown): void }
  | { kind: 'update'; update: VenueUpdate };

/**
 * One linked exchange account in the process that runs the venues: its connector, its
 * working orders as last written, and one serial queue through which every change to the
 * account passes (placements, the connector's updates, balance syncs), so each sees the
 * state the previous one committed. Consecutive updates are applied and written together.
 */
export class LiveConnection {
  readonly orders = new Map<string, LiveOrderState>();
  instruments: Map<string, InstrumentRules> | undefined;
  /** Placements sent and not answered yet. */
  inflight = 0;
  /** Grows with every change that may move balances; a balance sync compares it before and after. */
  activity = 0;
  lastBalanceSync: number | undefined;
  private readonly tasks: Task[] = [];
  private draining = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly account: { id: string; userId: string; venue: string },
    readonly connector: CcxtVenueConnector,
    private readonly deps: ConnectionDeps,
  ) {
    connector.onUpdate((u) => this.push({ kind: 'update', update: u }));
  }

  /** Runs `fn` alone, after every update and task queued before it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.push({ kind: 'run', fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Resolves once everything queued so far has run. */
  settled(): Promise<void> {
    return this.run(async () => undefined);
  }

  async close(): Promise<void> {
    await this.connector.close();
    await this.idle;
  }

  /** The account's book, current as of the database, knowing this venue's instruments. */
  async book(): Promise<{ row: S.AccountRow; portfolio: Portfolio } | undefined> {
    const db = this.deps.database.db;
    const row = await S.findAccount(db, this.account.id);
    if (!row) return undefined;
    return { row, portfolio: await this.deps.books.load(db, row) };
  }

  /** Writes what a task changed in one transaction, then publishes it. */
  async commit(p: Portfolio, w: LiveWrite): Promise<void> {
    if (w.empty) return;
    const id = this.account.id;
    const n = w.ledger.length;
    const writes: OrderWrite[] = [...w.orders.values()].map((s) => {
      const hash = w.inserts.get(s.order.id);
      return {
        order: s.order,
        held: w.holds.get(s.order.id) ?? p.ledger.heldFor(s.order.id),
        reasonMessage: s.reasonMessage,
        ...(hash === undefined
          ? {}
          : { insert: { requestHash: hash, holdCurrency: s.holdCurrency } }),
      };
    });
    let seq = 0;
    try {
      await this.deps.outbox.transaction(async (tx, emit) => {
        await insertOrders(
          tx,
          writes.filter((x) => x.insert),
        );
        await updateOrders(
          tx,
          writes.filter((x) => !x.insert),
        );
        await insertFills(tx, w.fills);
        await insertLedgerEntries(tx, w.ledger);
        if (w.events.length) await emit(...w.events);
        if (n) seq = (await bumpJournals(tx, new Map([[id, n]]))).get(id)!;
      });
    } catch (err) {
      this.deps.books.forget(id);
      throw err;
    }
    if (n) this.deps.books.wrote(id, seq - n, seq);
    if (w.forget) this.deps.books.forget(id);
    for (const s of w.orders.values()) {
      if (TERMINAL.has(s.order.status)) this.orders.delete(s.order.id);
      else this.orders.set(s.order.id, s);
    }
    this.publish(p, w);
  }

  /**
   * Applies one order-machine transition in memory; false (logged) when it does not apply.
   * `positionBefore`: for a fill, the position it changed as it was just before (its event
   * carries it, as the paper venue's do).
   */
  transition(
    p: Portfolio,
    s: LiveOrderState,
    t: machine.Transition,
    w: LiveWrite,
    positionBefore?: Decimal,
  ): boolean {
    if (!t.ok) {
      this.deps.logger.warn(
        { at: 'trading#live', accountId: this.account.id, order: s.order.id, error: t.error },
        'an exchange update does not apply to the order; ignored',
      );
      return false;
    }
    s.order = t.order;
    if (t.event.type === 'OrderRejected') s.reasonMessage = t.event.message;
    if (TERMINAL.has(t.order.status)) p.ledger.release(t.order.id);
    w.orders.set(t.order.id, s);
    w.events.push({
      topic: topics.tradingOrders,
      type: t.event.type,
      key: this.account.id,
      payload:
        positionBefore === undefined
          ? t.event
          : { ...t.event, positionBefore: positionBefore.toString() },
      tsEvent: t.event.ts,
    });
    this.activity++;
    return true;
  }

  /**
   * Records that the account holds more or less than the ledger says, against the equity
   * accounts (see `live-ledger.ts`); false (logged) when the ledger refuses it.
   */
  sync(
    p: Portfolio,
    w: LiveWrite,
    changes: ReadonlyArray<{ currency: string; delta: Decimal }>,
    reference: string,
    reason: string,
  ): boolean {
    const ts = this.deps.clock.now();
    const input: TransactionInput = {
      id: `exchange_sync:${this.account.id}:${newId()}`,
      ts,
      kind: 'exchange_sync',
      reference,
      postings: syncPostings(this.account.id, changes),
    };
    const r = p.ledger.post(input);
    if (!r.ok) {
      this.deps.logger.error(
        { at: 'trading#live', accountId: this.account.id, error: r.error },
        'the ledger refused a balance sync',
      );
      return false;
    }
    w.ledger.push({ ...input, accountId: this.account.id });
    w.events.push({
      topic: topics.tradingAccounts,
      type: 'ExchangeBalanceSynced',
      key: this.account.id,
      tsEvent: ts,
      payload: {
        accountId: this.account.id,
        userId: this.account.userId,
        entryId: input.id,
        reason,
        changes: changes.map((c) => ({ currency: c.currency, delta: c.delta.toString() })),
      },
    });
    this.activity++;
    return true;
  }

  // ── queue ───────────────────────────────────────────────────────────────────────────────

  private push(t: Task): void {
    this.tasks.push(t);
    if (this.draining) return;
    this.draining = true;
    this.idle = this.drain();
  }

  private async drain(): Promise<void> {
    while (this.tasks.length) {
      const head = this.tasks[0]!;
      if (head.kind === 'run') {
        this.tasks.shift();
        try {
          head.resolve(await head.fn());
        } catch (err) {
          head.reject(err);
        }
        continue;
      }
      const updates: VenueUpdate[] = [];
      while (this.tasks[0]?.kind === 'update')
        updates.push((this.tasks.shift() as Task & { kind: 'update' }).update);
      try {
        await this.applyUpdates(updates);
      } catch (err) {
        this.deps.onBroken(this, err);
      }
    }
    this.draining = false;
  }

  // ── updates from the exchange ────────────────────────────────────────────────────────────

  private async applyUpdates(updates: VenueUpdate[]): Promise<void> {
    const book = await this.book();
    if (!book) return;
    const w = new LiveWrite();
    for (const u of updates) {
      const s = this.orders.get(u.orderId);
      if (!s) {
        this.deps.logger.warn(
          { at: 'trading#live', accountId: this.account.id, order: u.orderId },
          'an update for an order this process does not hold; ignored',
        );
        continue;
      }
      if (u.kind === 'fill') this.applyFill(book.portfolio, s, u.fill, w);
      else this.applyStatus(book.portfolio, s, u, w);
    }
    await this.commit(book.portfolio, w);
  }

  /** Brings an order the exchange is working past `new` (and a triggered stop past its trigger). */
  private working(p: Portfolio, s: LiveOrderState, w: LiveWrite, ts: number, triggered: boolean) {
    if (s.order.status === 'new') this.transition(p, s, machine.accept(s.order, ts), w);
    if (triggered && s.order.status === 'pending_trigger')
      this.transition(p, s, machine.trigger(s.order, s.order.stopPrice ?? Decimal.ZERO, ts), w);
  }

  private applyFill(p: Portfolio, s: LiveOrderState, f: Fill, w: LiveWrite): void {
    // A restart or a redelivery: the ledger knows every fill id it has journaled.
    if (p.ledger.has(f.id)) return;
    const log = { at: 'trading#live', accountId: this.account.id, order: s.order.id, fill: f.id };
    const pair = this.instruments?.get(f.symbol) ?? spotInstrumentOf(f.venue, f.symbol);
    if (!pair) {
      this.deps.logger.error(log, 'a fill on a market that is not spot; not applied');
      return;
    }
    p.addInstrument({ venue: f.venue, symbol: f.symbol, base: pair.base, quote: pair.quote });
    this.working(p, s, w, f.ts, true);
    const t = machine.fill(s.order, f);
    if (!t.ok) {
      this.deps.logger.error(
        { ...log, error: t.error },
        'a fill the order cannot take; not applied',
      );
      return;
    }
    const held = s.holdCurrency
      ? { currency: s.holdCurrency, amount: p.ledger.heldFor(s.order.id) }
      : undefined;
    const short = fillShortfall(p, f, pair, held);
    if (short.length) {
      this.sync(
        p,
        w,
        short,
        `fill:${f.id}`,
        'the exchange filled an order with funds the ledger did not know of',
      );
    }
    const before = p.quantity(f.accountId, f.venue, f.symbol);
    const r = p.applyFill(f);
    if (!r.ok) {
      this.deps.logger.error({ ...log, error: r.error }, 'the ledger refused a fill; not applied');
      return;
    }
    w.fills.push(f);
    w.ledger.push({
      id: f.id,
      accountId: f.accountId,
      kind: 'fill',
      reference: f.orderId,
      fillId: f.id,
      postings: fillPostings(f, pair),
      ts: f.ts,
    });
    this.transition(p, s, t, w, before);
  }

  private applyStatus(p: Portfolio, s: LiveOrderState, u: VenueStatusUpdate, w: LiveWrite): void {
    const ts = u.ts;
    switch (u.status) {
      case 'pending_trigger':
        this.working(p, s, w, ts, false);
        return;
      case 'accepted':
        this.working(p, s, w, ts, true);
        return;
      case 'partially_filled':
      case 'filled':
        this.working(p, s, w, ts, true);
        if (s.order.filledQuantity.lt(u.filledQuantity)) {
          this.deps.logger.error(
            {
              at: 'trading#live',
              accountId: this.account.id,
              order: s.order.id,
              reported: u.filledQuantity.toString(),
              applied: s.order.filledQuantity.toString(),
            },
            'the exchange reports fills that could not be retrieved; balances follow at the next sync',
          );
          // Done on the exchange: it must not stay open here.
          if (u.status === 'filled')
            this.transition(p, s, machine.cancel(s.order, 'venue_fills_missing', ts), w);
        }
        return;
      case 'cancelled':
        this.working(p, s, w, ts, false);
        this.transition(p, s, machine.cancel(s.order, u.reason ?? 'venue_cancelled', ts), w);
        return;
      case 'expired':
        this.working(p, s, w, ts, false);
        this.transition(p, s, machine.expire(s.order, u.reason ?? 'venue_expired', ts), w);
        return;
      case 'rejected': {
        const reason = u.reason ?? 'venue_rejected';
        if (s.order.status === 'new')
          this.transition(p, s, machine.reject(s.order, reason, u.message ?? reason, ts), w);
        else this.transition(p, s, machine.cancel(s.order, reason, ts), w);
        return;
      }
    }
  }

  private publish(p: Portfolio, w: LiveWrite): void {
    const feed = this.deps.feed;
    if (!feed) return;
    const user = this.account.userId;
    const id = this.account.id;
    for (const s of w.orders.values())
      feed.publish(channels.user(user, 'orders'), orderView(s.order, s.reasonMessage));
    for (const f of w.fills) feed.publish(channels.user(user, 'fills'), fillView(f));
    feed.publish(
      channels.user(user, 'balances'),
      p.ledger.balances(id).map((b) => balanceView(id, b)),
    );
    if (w.fills.length) {
      const marks = this.deps.marks();
      feed.publish(
        channels.user(user, 'positions'),
        p.positionsOf(id).map((pos) => positionView(pos, marks.get(pos.base))),
      );
    }
  }
}
