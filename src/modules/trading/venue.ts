import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import { channels, topics } from '../../core/topics.js';
import type { NewEvent, Outbox } from '../../platform/bus/index.js';
import type { Database, Executor } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Books } from './books.js';
import { fillPostings } from './domain/ledger-journal.js';
import { PaperMatchingEngine, type MatchingOutput } from './domain/matching.js';
import type { Portfolio } from './domain/portfolio.js';
import {
  TERMINAL,
  type Fill,
  type InstrumentRules,
  type MarketTop,
  type MarketTrade,
  type Order,
} from './domain/types.js';
import * as S from './store.js';
import { balanceView, fillView, orderView, positionView } from './views.js';

export const PAPER = 'paper';

/** What the paper venue needs of the market: the catalogue and, when it runs, its data. */
export interface MarketView {
  instruments(): readonly InstrumentRules[];
  onTrade?(listener: (t: MarketTrade) => void): () => void;
  onBookTop?(listener: (t: MarketTop) => void): () => void;
}

/** How a new order's row is first written (later transitions update it). */
export interface NewOrderRow {
  requestHash: string;
  holdCurrency?: string;
  reasonMessage?: string;
}

export interface VenueDeps {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  books: Books;
  instruments: readonly InstrumentRules[];
  feed?: Feed | undefined;
}

/**
 * The paper venue runtime: one `PaperMatchingEngine` fed by market data, with every engine
 * call and the persistence of what it produced run one at a time. The engine is synchronous
 * and in memory, so a second caller must not see its state between a call and the commit
 * of that call's transitions.
 */
export class PaperVenue {
  engine: PaperMatchingEngine;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly deps: VenueDeps) {
    this.engine = this.newEngine();
  }

  private newEngine(): PaperMatchingEngine {
    return new PaperMatchingEngine({
      venue: PAPER,
      instruments: this.deps.instruments,
      positionOf: (accountId, symbol) =>
        this.deps.books.cached(accountId)?.position(accountId, PAPER, symbol)?.quantity ??
        Decimal.ZERO,
      nextId: () => newId(),
      clock: this.deps.clock,
    });
  }

  /** Runs `fn` after every earlier venue task has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Re-creates working orders from the database and listens to the market. */
  async start(market: MarketView | undefined): Promise<void> {
    await this.run(() => this.restore());
    if (market?.onTrade) this.unsubscribe.push(market.onTrade((t) => void this.onTrade(t)));
    if (market?.onBookTop) this.unsubscribe.push(market.onBookTop((t) => void this.onBookTop(t)));
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.queue;
  }

  /** Market data inlet: a print on the tape. */
  onTrade(t: MarketTrade): Promise<void> {
    return this.run(() => this.commitMarket(() => this.engine.onTrade(t)));
  }

  /** Market data inlet: a new best bid and ask. */
  onBookTop(top: MarketTop): Promise<void> {
    return this.run(() => this.commitMarket(() => this.engine.onBookTop(top)));
  }

  private async restore(): Promise<void> {
    const db = this.deps.database.db;
    const open = await S.openOrders(db, { venue: PAPER });
    for (const accountId of new Set(open.map((s) => s.order.accountId))) {
      const account = await S.findAccount(db, accountId);
      if (account) await this.deps.books.load(db, account);
    }
    this.engine.restore(open.map((s) => s.order));
  }

  private async commitMarket(step: () => MatchingOutput): Promise<void> {
    const out = step();
    try {
      await this.commit(out);
    } catch (err) {
      this.deps.logger.error({ at: 'trading#venue', err }, 'market-data output not persisted');
      await this.resync();
    }
  }

  /**
   * The engine moved on but the database did not: start again from what was committed. Book
   * and last price come back with the next market event. Call only from inside `run`.
   */
  async resync(): Promise<void> {
    this.engine = this.newEngine();
    await this.restore();
  }

  /** The account's portfolio, loaded inside the caller's transaction when not cached. */
  async portfolio(db: Executor, accountId: string): Promise<Portfolio> {
    const cached = this.deps.books.cached(accountId);
    if (cached) return cached;
    const account = await S.findAccount(db, accountId);
    if (!account) throw new Error(`order of unknown account ${accountId}`);
    return this.deps.books.load(db, account);
  }

  /**
   * Persists one engine output in one transaction: each transition's order state, each fill
   * with its ledger entry, and each transition as an event; then publishes to the live feed.
   * Orders named in `inserts` are new and get their row at their first transition.
   */
  async commit(
    out: MatchingOutput,
    opts: {
      inserts?: Map<string, NewOrderRow>;
      events?: NewEvent[];
      /** Change of an amended order's hold, written to its row (see `TradingService.amend`). */
      holdDelta?: Map<string, Decimal>;
    } = {},
  ): Promise<void> {
    const inserts = opts.inserts ?? new Map<string, NewOrderRow>();
    if (!out.transitions.length && !opts.events?.length) return;
    const touched = new Set<string>();
    const orders = new Map<string, Order>();
    const fills: Fill[] = [];
    const journal = new Map<string, number>();
    const written: Array<[string, number, number]> = [];
    try {
      await this.deps.outbox.transaction(async (tx, emit) => {
        for (const { order, event } of out.transitions) {
          const p = await this.portfolio(tx, order.accountId);
          touched.add(order.accountId);
          const fill = 'fill' in event ? event.fill : undefined;
          if (fill) {
            const r = p.applyFill(fill);
            if (!r.ok) throw new Error(`fill ${fill.id} refused by the ledger: ${r.error.message}`);
          }
          if (TERMINAL.has(order.status)) p.ledger.release(order.id);
          const delta = TERMINAL.has(order.status) ? undefined : opts.holdDelta?.get(order.id);
          const held = delta ? p.ledger.heldFor(order.id).add(delta) : p.ledger.heldFor(order.id);
          const row = inserts.get(order.id);
          if (row) {
            inserts.delete(order.id);
            await S.insertOrder(tx, order, { ...row, held });
          } else {
            const msg = event.type === 'OrderRejected' ? event.message : undefined;
            await S.updateOrder(tx, order, held, msg);
          }
          if (fill) {
            const inst = this.deps.instruments.find((i) => i.symbol === fill.symbol)!;
            await S.insertFill(tx, fill);
            await S.insertLedgerEntry(tx, {
              id: fill.id,
              accountId: fill.accountId,
              kind: 'fill',
              reference: fill.orderId,
              fillId: fill.id,
              postings: fillPostings(fill, inst),
              ts: fill.ts,
            });
            journal.set(fill.accountId, (journal.get(fill.accountId) ?? 0) + 1);
            fills.push(fill);
          }
          orders.set(order.id, order);
          await emit({
            topic: topics.tradingOrders,
            type: event.type,
            key: order.accountId,
            payload: event,
            tsEvent: event.ts,
          });
        }
        if (opts.events?.length) await emit(...opts.events);
        for (const [accountId, n] of journal) {
          const to = await S.bumpJournal(tx, accountId, n);
          written.push([accountId, to - n, to]);
        }
      });
    } catch (err) {
      for (const a of touched) this.deps.books.forget(a);
      throw err;
    }
    for (const [a, from, to] of written) this.deps.books.wrote(a, from, to);
    this.publish([...orders.values()], fills, touched);
  }

  /** Marks for valuation: each base currency at its instrument's last trade. */
  marks(): Map<string, Decimal> {
    const m = new Map<string, Decimal>();
    for (const i of this.deps.instruments) {
      const last = this.engine.lastPrice(i.symbol);
      if (last && i.quote === 'USDT') m.set(i.base, last);
    }
    return m;
  }

  private publish(orders: Order[], fills: Fill[], accounts: Set<string>): void {
    const feed = this.deps.feed;
    if (!feed) return;
    const user = (a: string) => this.deps.books.userOf(a);
    for (const o of orders) {
      const u = user(o.accountId);
      if (u) feed.publish(channels.user(u, 'orders'), orderView(o));
    }
    for (const f of fills) {
      const u = user(f.accountId);
      if (u) feed.publish(channels.user(u, 'fills'), fillView(f));
    }
    const marks = this.marks();
    for (const a of accounts) {
      const u = user(a);
      const p = this.deps.books.cached(a);
      if (!u || !p) continue;
      feed.publish(
        channels.user(u, 'balances'),
        p.ledger.balances(a).map((b) => balanceView(a, b)),
      );
      if (fills.some((f) => f.accountId === a)) {
        feed.publish(
          channels.user(u, 'positions'),
          p.positionsOf(a).map((pos) => positionView(pos, marks.get(pos.base))),
        );
      }
    }
  }
}
