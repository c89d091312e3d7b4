import type { RawBuilder } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import { channels, topics } from '../../core/topics.js';
import type { NewEvent, Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Books } from './books.js';
import { fillPostings } from './domain/ledger-journal.js';
import { PaperMatchingEngine, type MatchingOutput } from './domain/matching.js';
import type { Portfolio } from './domain/portfolio.js';
import { AppError } from '../../core/errors.js';
import {
  TERMINAL,
  type Fill,
  type InstrumentRules,
  type MarketTop,
  type MarketTrade,
  type Order,
} from './domain/types.js';
import * as S from './store.js';
import {
  accountsById,
  bumpJournals,
  insertFills,
  insertLedgerEntries,
  insertOrders,
  insertSmallBatch,
  ordersByClientId,
  riskLimitsById,
  updateOrders,
  type LedgerWrite,
  type OrderWrite,
} from './store-batch.js';
import { balanceView, fillView, orderView, positionView } from './views.js';

export const PAPER = 'paper';

/** What the paper venue needs of the market: the catalogue and, when it runs, its data. */
export interface MarketView {
  instruments(): readonly InstrumentRules[];
  /** The last trade price, where known (the market's cache in any process). */
  lastPrice?(venue: string, symbol: string): Decimal | undefined;
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

/** What one command or market event wrote, beyond its engine output. */
export interface StepWrites {
  inserts?: Map<string, NewOrderRow>;
  events?: NewEvent[];
  /** Change of an amended order's hold, written to its row (see `TradingService.amend`). */
  holdDelta?: Map<string, Decimal>;
}

/** A unit of venue work that runs synchronously inside a batch (see `PaperVenue.step`). */
export interface StepSpec<T> {
  /** Accounts whose row, risk limits and book the step reads: loaded before the batch runs. */
  accounts?: string[];
  /** (account, client order id) pairs the step looks up. */
  clientIds?: Array<[string, string]>;
  /** Market data for this symbol may fill any account working an order there. */
  symbol?: string;
  run(b: Batch): T;
}

type StepTask = Task & { kind: 'step' };

type Task =
  | { kind: 'step'; spec: StepSpec<unknown>; resolve(v: unknown): void; reject(e: unknown): void }
  | {
      kind: 'exclusive';
      fn: () => Promise<unknown>;
      resolve(v: unknown): void;
      reject(e: unknown): void;
    };

/**
 * One group commit: the state loaded for its steps, and everything they changed in memory,
 * written in one transaction. A step's in-memory changes (engine, ledger, positions) are made
 * at once; if the transaction fails, the venue rebuilds both from the database and every step
 * of the batch fails, so nothing that was not written is ever acknowledged.
 */
export class Batch {
  readonly accounts = new Map<string, S.AccountRow>();
  readonly limits = new Map<string, S.RiskLimitRow>();
  readonly clientOrders = new Map<string, S.StoredOrder>();
  readonly orders = new Map<string, { order: Order; rejected?: string }>();
  readonly inserts = new Map<string, NewOrderRow>();
  readonly holdDelta = new Map<string, Decimal>();
  readonly fills: Fill[] = [];
  readonly ledger: LedgerWrite[] = [];
  readonly events: NewEvent[] = [];
  readonly journal = new Map<string, number>();
  readonly touched = new Set<string>();
  /** Accounts whose cached book must be rebuilt from the database once this batch commits. */
  readonly forgets = new Set<string>();

  constructor(
    private readonly books: Books,
    private readonly instruments: ReadonlyMap<string, InstrumentRules>,
  ) {}

  get empty(): boolean {
    return !this.orders.size && !this.events.length;
  }

  portfolio(accountId: string): Portfolio {
    const p = this.books.cached(accountId);
    if (!p) throw new Error(`book of account ${accountId} was not loaded for this batch`);
    return p;
  }

  /**
   * Applies an engine output to the books now and queues its writes: each transition's order
   * state, each fill with its ledger entry, each transition as an event.
   */
  add(out: MatchingOutput, w: StepWrites = {}): void {
    for (const { order, event } of out.transitions) {
      const p = this.portfolio(order.accountId);
      this.touched.add(order.accountId);
      const fill = 'fill' in event ? event.fill : undefined;
      let payload: unknown = event;
      if (fill) {
        // A fill's event carries the position it changed, as the books held it just before: a
        // consumer (the copy fan-out) would otherwise have to sum the account's fill history.
        const before = p.quantity(fill.accountId, fill.venue, fill.symbol);
        // A copy, not a spread (see `base` in order-machine.ts): 0.2 against 1 µs a fill.
        payload = Object.assign({}, event, { positionBefore: before.toString() });
        const r = p.applyFill(fill);
        if (!r.ok) throw new Error(`fill ${fill.id} refused by the ledger: ${r.error.message}`);
        const inst = this.instruments.get(fill.symbol)!;
        this.fills.push(fill);
        this.ledger.push({
          id: fill.id,
          accountId: fill.accountId,
          kind: 'fill',
          reference: fill.orderId,
          fillId: fill.id,
          postings: fillPostings(fill, inst),
          ts: fill.ts,
        });
        this.journal.set(fill.accountId, (this.journal.get(fill.accountId) ?? 0) + 1);
      }
      if (TERMINAL.has(order.status)) p.ledger.release(order.id);
      const prior = this.orders.get(order.id);
      const rejected = event.type === 'OrderRejected' ? event.message : prior?.rejected;
      this.orders.set(order.id, rejected === undefined ? { order } : { order, rejected });
      this.events.push({
        topic: topics.tradingOrders,
        type: event.type,
        key: order.accountId,
        payload,
        tsEvent: event.ts,
      });
    }
    for (const [id, row] of w.inserts ?? []) this.inserts.set(id, row);
    for (const [id, d] of w.holdDelta ?? []) this.holdDelta.set(id, d);
    if (w.events?.length) this.events.push(...w.events);
  }

  /** Lets later steps of this batch see an order placed by an earlier one under its client id. */
  remember(key: string, stored: S.StoredOrder): void {
    this.clientOrders.set(key, stored);
  }

  writes(): OrderWrite[] {
    const out: OrderWrite[] = [];
    for (const [id, { order, rejected }] of this.orders) {
      const p = this.portfolio(order.accountId);
      const delta = TERMINAL.has(order.status) ? undefined : this.holdDelta.get(id);
      const held = delta ? p.ledger.heldFor(id).add(delta) : p.ledger.heldFor(id);
      const row = this.inserts.get(id);
      out.push({
        order,
        held,
        reasonMessage: row?.reasonMessage ?? rejected,
        ...(row
          ? { insert: { requestHash: row.requestHash, holdCurrency: row.holdCurrency } }
          : {}),
      });
    }
    return out;
  }
}

/** Refusals of a user's request, raised before a step changes anything. */
const isExpected = (err: unknown) => err instanceof AppError;

/**
 * Commands per group commit: large enough to amortise a commit over a copy-trading fan-out.
 * Rows are inserted as one JSON parameter whatever their count, and the statements that take
 * parameters per row are chunked below, so the size is bounded by memory and latency rather
 * than by PostgreSQL's 65,535-parameter cap.
 */
const MAX_BATCH = 1024;
/**
 * Orders up to which a batch's inserts go in one statement: below it, round trips are most of
 * a commit's time; above it, the server's work per row is, and separate statements ran faster.
 */
const SMALL_BATCH = 64;
/** Rows per statement for look-ups and updates that take parameters per row. */
const STATEMENT_CHUNK = 1000;

const chunks = <T>(list: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += STATEMENT_CHUNK)
    out.push(list.slice(i, i + STATEMENT_CHUNK));
  return out;
};

/**
 * The paper venue runtime: one `PaperMatchingEngine` fed by market data. Commands and market
 * events queue up; the queue drains in batches, each run step by step in memory and then
 * written in one transaction (group commit), so throughput is bounded by CPU rather than by
 * one database round trip per order. While a batch commits, the next one gathers.
 */
export class PaperVenue {
  engine: PaperMatchingEngine;
  private readonly tasks: Task[] = [];
  private draining = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly bySymbol: Map<string, InstrumentRules>;

  constructor(private readonly deps: VenueDeps) {
    this.engine = this.newEngine();
    this.bySymbol = new Map(deps.instruments.map((i) => [i.symbol, i]));
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

  /** Runs `fn` alone, after every earlier task has been committed and before any later one. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({ kind: 'exclusive', fn, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Runs a synchronous step in the next batch; resolves once the batch is committed. */
  step<T>(spec: StepSpec<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({
        kind: 'step',
        spec: spec as StepSpec<unknown>,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    this.idle = this.drain();
  }

  /**
   * Batches are pipelined two deep: while one batch's transaction is in flight, the next is
   * loaded and run in memory on top of it, so the database and this process work at the same
   * time. A batch's write starts only after the one before committed; if that one failed, the
   * next (built on its changes) fails too and the venue is rebuilt from the database.
   */
  private async drain(): Promise<void> {
    let pending: { batch: Batch; committed: Promise<boolean> } | undefined;
    const settle = async () => {
      const ok = pending ? await pending.committed : true;
      pending = undefined;
      return ok;
    };
    for (;;) {
      if (!this.tasks.length) {
        if (!(await settle())) await this.recover();
        // Checked again with no await before giving up the drain: a task queued by a caller
        // the last commit woke would otherwise wait for the next kick.
        if (!this.tasks.length) break;
      }
      // One turn of the event loop lets every caller woken by the last commit enqueue before
      // the next batch is cut; without it a batch of hundreds is followed by one of a few.
      await new Promise<void>((r) => setImmediate(r));
      const head = this.tasks[0]!;
      if (head.kind === 'exclusive') {
        if (!(await settle())) await this.recover();
        this.tasks.shift();
        try {
          head.resolve(await head.fn());
        } catch (err) {
          head.reject(err);
        }
        continue;
      }
      const tasks: StepTask[] = [];
      while (tasks.length < MAX_BATCH && this.tasks[0]?.kind === 'step')
        tasks.push(this.tasks.shift() as StepTask);
      // A book the batch in flight will drop after its commit must be read after that commit.
      const forgets = pending?.batch.forgets;
      if (forgets?.size && tasks.some((t) => t.spec.accounts?.some((a) => forgets.has(a)))) {
        if (!(await settle())) await this.recover();
      }
      const b = new Batch(this.deps.books, this.bySymbol);
      const { done, failure } = await this.prepare(b, tasks, pending?.batch);
      if (!(await settle())) {
        this.fail(b, done, new Error('an earlier batch this one was built on was not persisted'));
        await this.recover();
        continue;
      }
      if (failure !== undefined) {
        this.deps.logger.error({ at: 'trading#venue', err: failure }, 'batch step failed');
        this.fail(b, done, failure);
        await this.recover();
        continue;
      }
      pending = { batch: b, committed: this.commit(b, done) };
    }
    this.draining = false;
  }

  /** Loads what the steps read, then runs them in memory, in order. */
  private async prepare(
    b: Batch,
    tasks: StepTask[],
    inFlight: Batch | undefined,
  ): Promise<{ done: Array<[StepTask, unknown]>; failure: unknown }> {
    const done: Array<[StepTask, unknown]> = [];
    try {
      await this.prefetch(b, tasks, inFlight);
    } catch (err) {
      for (const t of tasks) t.reject(err);
      return { done, failure: undefined };
    }
    let failure: unknown;
    for (const t of tasks) {
      if (failure !== undefined) {
        t.reject(failure);
        continue;
      }
      const before = b.orders.size + b.events.length;
      try {
        done.push([t, t.spec.run(b)]);
      } catch (err) {
        // A step that fails before changing anything fails alone; one that fails after has
        // left the engine ahead of its books, so the whole batch is undone.
        if (b.orders.size + b.events.length === before && isExpected(err)) t.reject(err);
        else failure = err;
      }
    }
    return { done, failure };
  }

  /** Writes the batch; on success publishes and answers its steps. Never rejects. */
  private async commit(b: Batch, done: Array<[StepTask, unknown]>): Promise<boolean> {
    if (!b.empty) {
      try {
        await this.write(b);
      } catch (err) {
        this.deps.logger.error({ at: 'trading#venue', err }, 'batch not persisted');
        this.fail(b, done, err);
        return false;
      }
    }
    for (const a of b.forgets) this.deps.books.forget(a);
    this.publish(b);
    for (const [t, v] of done) t.resolve(v);
    return true;
  }

  private fail(b: Batch, done: Array<[StepTask, unknown]>, err: unknown): void {
    for (const a of b.touched) this.deps.books.forget(a);
    for (const [t] of done) t.reject(err);
  }

  private async recover(): Promise<void> {
    await this.resync().catch((err: unknown) =>
      this.deps.logger.error({ at: 'trading#venue', err }, 'venue resync failed'),
    );
  }

  /**
   * Loads, in a few set-at-a-time queries, everything the batch's steps read. `inFlight` is
   * the batch committing meanwhile: an account row read just after it committed, before this
   * process heard so, is ahead of the book by exactly that batch's entries; that is this
   * venue's own write, not another writer's, and must not make the book replay its journal.
   */
  private async prefetch(
    b: Batch,
    tasks: Array<Task & { kind: 'step' }>,
    inFlight: Batch | undefined,
  ): Promise<void> {
    const db = this.deps.database.db;
    const ids = new Set<string>();
    const pairs: Array<[string, string]> = [];
    for (const { spec } of tasks) {
      for (const a of spec.accounts ?? []) ids.add(a);
      if (spec.clientIds) pairs.push(...spec.clientIds);
      if (spec.symbol)
        for (const a of this.engine.workingAccounts(spec.symbol))
          if (!this.deps.books.cached(a)) ids.add(a);
    }
    if (!ids.size && !pairs.length) return;
    const list = chunks([...ids]);
    const [rows, limits, prior] = await Promise.all([
      Promise.all(list.map((c) => accountsById(db, c))),
      Promise.all(list.map((c) => riskLimitsById(db, c))),
      Promise.all(chunks(pairs).map((c) => ordersByClientId(db, c))),
    ]);
    for (const [id, read] of rows.flatMap((m) => [...m])) {
      const known = this.deps.books.seqOf(id);
      const ahead = inFlight?.journal.get(id);
      const row =
        known !== undefined && ahead !== undefined && Number(read.journal_seq) === known + ahead
          ? { ...read, journal_seq: String(known) }
          : read;
      b.accounts.set(id, row);
      await this.deps.books.load(db, row);
    }
    for (const [id, l] of limits.flatMap((m) => [...m])) b.limits.set(id, l);
    for (const [k, o] of prior.flatMap((m) => [...m])) b.clientOrders.set(k, o);
  }

  /**
   * Writes a batch atomically: a small one of new orders only (a market order and its fills, a
   * chunk of copies) as one statement with no transaction around it, saving the round trips of
   * BEGIN and COMMIT on the path of every such order; a small one with updates in a
   * transaction of two statements; a large one with one statement per table.
   */
  private async write(b: Batch): Promise<void> {
    const writes = b.writes();
    const small = (events: RawBuilder<unknown> | undefined, inserts = writes) => ({
      inserts,
      fills: b.fills,
      ledger: b.ledger,
      events,
      journal: b.journal,
    });
    let seqs = new Map<string, number>();
    if (writes.length <= SMALL_BATCH && writes.every((w) => w.insert)) {
      seqs = await this.deps.outbox.single((db, stage) =>
        insertSmallBatch(db, small(b.events.length ? stage(b.events) : undefined)),
      );
    } else {
      await this.deps.outbox.transaction(async (tx, emit) => {
        const inserts = writes.filter((w) => w.insert);
        for (const c of chunks(writes.filter((w) => !w.insert))) await updateOrders(tx, c);
        if (writes.length <= SMALL_BATCH) {
          const events = b.events.length ? emit.insert(b.events) : undefined;
          seqs = await insertSmallBatch(tx, small(events, inserts));
          return;
        }
        await insertOrders(tx, inserts);
        await insertFills(tx, b.fills);
        await insertLedgerEntries(tx, b.ledger);
        if (b.events.length) await emit(...b.events);
        for (const c of chunks([...b.journal])) {
          for (const [a, n] of await bumpJournals(tx, new Map(c))) seqs.set(a, n);
        }
      });
    }
    for (const [a, n] of b.journal) {
      const to = seqs.get(a)!;
      this.deps.books.wrote(a, to - n, to);
    }
  }

  /** Re-creates working orders from the database and listens to the market. */
  async start(market: MarketView | undefined): Promise<void> {
    await this.run(() => this.restore());
    if (market?.onTrade) this.unsubscribe.push(market.onTrade((t) => void this.onTrade(t)));
    if (market?.onBookTop) this.unsubscribe.push(market.onBookTop((t) => void this.onBookTop(t)));
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.run(async () => undefined);
    await this.idle;
  }

  /** Market data inlet: a print on the tape. */
  onTrade(t: MarketTrade): Promise<void> {
    return this.marketStep(t.symbol, () => this.engine.onTrade(t));
  }

  /** Market data inlet: a new best bid and ask. */
  onBookTop(top: MarketTop): Promise<void> {
    return this.marketStep(top.symbol, () => this.engine.onBookTop(top));
  }

  /** Market data that could not be persisted is logged, not thrown: the feed goes on. */
  private marketStep(symbol: string, fn: () => MatchingOutput): Promise<void> {
    return this.step({ symbol, run: (b) => b.add(fn()) }).catch((err: unknown) => {
      this.deps.logger.error({ at: 'trading#venue', err }, 'market-data output not persisted');
    });
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

  /**
   * The engine moved on but the database did not: start again from what was committed. Book
   * and last price come back with the next market event. Call only from inside the drain.
   */
  async resync(): Promise<void> {
    this.engine = this.newEngine();
    await this.restore();
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

  /**
   * Live updates of the batch for the owners' screens. A view is built only for a channel the
   * feed says someone may receive: most accounts a batch touches (a copy-trading fan-out's
   * followers) have no screen open, and building their views was most of this step's cost.
   */
  private publish(b: Batch): void {
    const feed = this.deps.feed;
    if (!feed) return;
    const books = this.deps.books;
    const listening = (channel: string) => feed.listening?.(channel) ?? true;
    for (const { order } of b.orders.values()) {
      const u = books.userOf(order.accountId);
      const channel = u && channels.user(u, 'orders');
      if (channel && listening(channel)) feed.publish(channel, orderView(order));
    }
    const filled = new Set<string>();
    for (const f of b.fills) {
      filled.add(f.accountId);
      const u = books.userOf(f.accountId);
      const channel = u && channels.user(u, 'fills');
      if (channel && listening(channel)) feed.publish(channel, fillView(f));
    }
    let marks: Map<string, Decimal> | undefined;
    for (const a of b.touched) {
      const u = books.userOf(a);
      const p = books.cached(a);
      if (!u || !p) continue;
      const balances = channels.user(u, 'balances');
      if (listening(balances))
        feed.publish(
          balances,
          p.ledger.balances(a).map((x) => balanceView(a, x)),
        );
      const positions = channels.user(u, 'positions');
      if (filled.has(a) && listening(positions)) {
        marks ??= this.marks();
        const m = marks;
        feed.publish(
          positions,
          p.positionsOf(a).map((pos) => positionView(pos, m.get(pos.base))),
        );
      }
    }
  }
}
