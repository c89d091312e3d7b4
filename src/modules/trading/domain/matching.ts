import { Decimal } from '../../../core/decimal.js';
import { SimulatedBook } from './matching-book.js';
import { feeFor, matchingConfig, type MatchingConfig } from './matching-config.js';
import { RestingSide, type Working } from './matching-resting.js';
import {
  checkSteps,
  refuse,
  rejectMessage,
  type CommandResult,
  type MatchingOutput,
  type PaperMatchingEngineDeps,
  type VenueReason,
} from './matching-types.js';
import * as machine from './order-machine.js';
import type { Amendment, Transition } from './order-machine.js';
import {
  TERMINAL,
  type Fill,
  type InstrumentRules,
  type Liquidity,
  type MarketTop,
  type MarketTrade,
  type Order,
} from './types.js';

export type * from './matching-types.js';

/**
 * The paper venue: matches the orders of every account against market data, following the
 * fill model in docs/FILL_MODEL.md. It is synchronous and deterministic — the same inputs in
 * the same order give the same fills, ids included — and performs no I/O: each call returns
 * the transitions and fills it caused, and the caller persists and publishes them.
 */

interface SymbolState {
  inst: InstrumentRules;
  book: SimulatedBook | undefined;
  last: Decimal | undefined;
  bids: RestingSide;
  asks: RestingSide;
  stops: Working[];
}

interface Step extends MatchingOutput {
  ts: number;
  /** Orders with a sequence at or above this one arrived during this call. */
  startSeq: number;
  /** Position changes from this call's fills, which `positionOf` cannot know yet. */
  deltas: Map<string, Decimal>;
}

const isStop = (o: Order) => o.type === 'stop_market' || o.type === 'stop_limit';
const isMarketLike = (o: Order) => o.type === 'market' || o.type === 'stop_market';
const stopHolds = (o: Order, last: Decimal) =>
  o.side === 'buy' ? last.gte(o.stopPrice!) : last.lte(o.stopPrice!);

export class PaperMatchingEngine {
  readonly venue: string;
  readonly config: MatchingConfig;
  private readonly symbols = new Map<string, SymbolState>();
  private readonly working = new Map<string, { st: SymbolState; w: Working }>();
  private seq = 0;

  constructor(private readonly deps: PaperMatchingEngineDeps) {
    this.venue = deps.venue;
    this.config = matchingConfig(deps.config);
    for (const inst of deps.instruments) {
      if (inst.venue !== deps.venue) continue;
      this.symbols.set(inst.symbol, {
        inst,
        book: undefined,
        last: undefined,
        bids: new RestingSide('buy'),
        asks: new RestingSide('sell'),
        stops: [],
      });
    }
  }

  // ── commands ────────────────────────────────────────────────────────────────────────────

  /** Takes a risk-approved order in status `new`: rejects it, or accepts and works it. */
  submit(order: Order): CommandResult {
    if (order.venue !== this.venue)
      return refuse('wrong_venue', `order is for ${order.venue}, not ${this.venue}`);
    if (order.status !== 'new')
      return refuse('order_not_new', `order ${order.id} is already ${order.status}`);
    if (this.working.has(order.id))
      return refuse('duplicate_order', `order ${order.id} is already working`);
    const step = this.step(this.deps.clock.now());
    const w: Working = { order, seq: this.seq++, queueAhead: Decimal.ZERO };
    const st = this.symbols.get(order.symbol);
    const why = this.refusal(step, st, order);
    if (why || !st) {
      const reason = why ?? 'unknown_instrument';
      this.apply(step, w, machine.reject(order, reason, rejectMessage(reason, order), step.ts));
      return done(step);
    }
    this.apply(step, w, machine.accept(order, step.ts));
    this.working.set(order.id, { st, w });
    if (isStop(order)) st.stops.push(w);
    else this.execute(step, st, w);
    return done(step);
  }

  cancel(orderId: string, reason = 'user_canceled'): CommandResult {
    const entry = this.working.get(orderId);
    if (!entry) return refuse('order_not_open', `order ${orderId} is not open on ${this.venue}`);
    const step = this.step(this.deps.clock.now());
    this.apply(step, entry.w, machine.cancel(entry.w.order, reason, step.ts));
    this.forget(entry.st, entry.w);
    return done(step);
  }

  /**
   * Changes a working limit's price or quantity. A new price or a larger quantity sends the
   * order to the back of its queue; a smaller quantity keeps its place. An amended price that
   * crosses the book takes liquidity at once, as a new order would.
   */
  amend(orderId: string, change: Amendment): CommandResult {
    const entry = this.working.get(orderId);
    if (!entry) return refuse('order_not_open', `order ${orderId} is not open on ${this.venue}`);
    const { st, w } = entry;
    const bad = checkSteps(change, st.inst);
    if (bad) return bad;
    const old = w.order;
    const price = change.price ?? old.price;
    if (old.postOnly && price && st.book?.crosses(old.side, price)) {
      return refuse(
        'post_only_would_take',
        `a post-only ${old.side} at ${price} would take liquidity`,
      );
    }
    const step = this.step(this.deps.clock.now());
    const t = machine.amend(old, change, step.ts);
    if (!t.ok) return refuse(t.error.code, t.error.message);
    this.apply(step, w, t);
    const requeue =
      (change.price && !change.price.eq(old.price!)) || t.order.quantity.gt(old.quantity);
    if (!requeue) return done(step);
    const side = w.order.side === 'buy' ? st.bids : st.asks;
    side.remove(w);
    w.seq = this.seq++;
    if (st.book?.crosses(w.order.side, w.order.price!)) this.take(step, st, w, w.order.price);
    if (TERMINAL.has(w.order.status)) this.working.delete(orderId);
    else if (w.order.reduceOnly && this.cap(step, w.order).isZero()) this.closeReduceOnly(step, w);
    else this.rest(st, w);
    return done(step);
  }

  /** Re-creates working orders after a restart, without events (they were already recorded). */
  restore(orders: readonly Order[]): void {
    for (const order of orders) {
      const st = this.symbols.get(order.symbol);
      if (!st || order.venue !== this.venue || this.working.has(order.id)) continue;
      const w: Working = { order, seq: this.seq++, queueAhead: Decimal.ZERO };
      if (order.status === 'pending_trigger') st.stops.push(w);
      else if (machine.isOpen(order) && order.price)
        (order.side === 'buy' ? st.bids : st.asks).insert(w);
      else continue;
      this.working.set(order.id, { st, w });
    }
  }

  // ── market data ─────────────────────────────────────────────────────────────────────────

  /** A print: fills resting limits it trades through, then fires stops on the new last price. */
  onTrade(t: MarketTrade): MatchingOutput {
    const st = t.venue === this.venue ? this.symbols.get(t.symbol) : undefined;
    const step = this.step(t.ts);
    if (!st) return output(step);
    st.last = t.price;
    this.fillOnTrade(step, st, st.bids, t);
    this.fillOnTrade(step, st, st.asks, t);
    this.triggerStops(step, st, t.price);
    return output(step);
  }

  /** A new top: rebuilds the simulated book and fills resting limits it crosses. */
  onBookTop(top: MarketTop): MatchingOutput {
    const st = top.venue === this.venue ? this.symbols.get(top.symbol) : undefined;
    const step = this.step(top.ts);
    if (!st) return output(step);
    const book = new SimulatedBook(top, this.config, st.inst);
    st.book = book;
    for (const side of [st.bids, st.asks]) {
      if (this.config.queueModel === 'queue') side.shrinkQueues(book);
      if (!this.config.fillOnBookCross) continue;
      for (const w of side.items) {
        const price = w.order.price!;
        if (!book.crosses(side.side, price)) break;
        const q = sum(book.quote(side.side, this.cap(step, w.order), price));
        if (q.isPositive()) {
          book.take(side.side, q);
          this.fillOne(step, st, w, price, q, 'maker');
        } else if (w.order.reduceOnly && this.cap(step, w.order).isZero())
          this.closeReduceOnly(step, w);
      }
      this.prune(side);
    }
    return output(step);
  }

  // ── queries ─────────────────────────────────────────────────────────────────────────────

  order(id: string): Order | undefined {
    return this.working.get(id)?.w.order;
  }

  /** Working orders (resting limits and pending stops) in arrival order. */
  openOrders(symbol?: string): Order[] {
    const all = [...this.working.values()].filter((e) => !symbol || e.st.inst.symbol === symbol);
    return all.sort((a, b) => a.w.seq - b.w.seq).map((e) => e.w.order);
  }

  /** How many orders the account has working; the risk check asks this on every order. */
  openCount(accountId: string): number {
    let n = 0;
    for (const e of this.working.values()) if (e.w.order.accountId === accountId) n++;
    return n;
  }

  /** Accounts with working orders (on one symbol, if given): those market data can fill. */
  workingAccounts(symbol?: string): Set<string> {
    const out = new Set<string>();
    for (const e of this.working.values())
      if (!symbol || e.st.inst.symbol === symbol) out.add(e.w.order.accountId);
    return out;
  }

  lastPrice(symbol: string): Decimal | undefined {
    return this.symbols.get(symbol)?.last;
  }

  // ── the fill model ──────────────────────────────────────────────────────────────────────

  /** Why a new order must be refused before the venue takes it, if it must. */
  private refusal(step: Step, st: SymbolState | undefined, o: Order): VenueReason | undefined {
    if (!st) return 'unknown_instrument';
    if (!st.inst.active) return 'instrument_inactive';
    if (o.reduceOnly && this.cap(step, o).isZero()) return 'reduce_only_would_increase';
    if (isStop(o))
      return st.last && stopHolds(o, st.last) ? 'stop_would_trigger_immediately' : undefined;
    return this.preflight(step, st, o);
  }

  /** Checks made before an order executes, on arrival or when its stop fires. */
  private preflight(step: Step, st: SymbolState, o: Order): VenueReason | undefined {
    const market = isMarketLike(o);
    if (!st.book && (market || o.timeInForce !== 'GTC')) return 'no_market_data';
    if (o.postOnly && st.book?.crosses(o.side, o.price!)) return 'post_only_would_take';
    if (o.timeInForce === 'FOK') {
      const need = machine.leavesQuantity(o);
      const avail = st.book!.available(o.side, market ? undefined : o.price);
      if (this.cap(step, o).lt(need) || avail.lt(need)) return 'fok_not_fillable';
    }
    return undefined;
  }

  /** Runs an accepted (or just triggered) order as a market or limit order. */
  private execute(step: Step, st: SymbolState, w: Working): void {
    const limit = isMarketLike(w.order) ? undefined : w.order.price;
    if (!limit || st.book?.crosses(w.order.side, limit)) this.take(step, st, w, limit);
    if (TERMINAL.has(w.order.status)) return; // filled, or closed by reduce-only: already forgotten
    if (limit && w.order.timeInForce === 'GTC') return this.rest(st, w);
    const reason: VenueReason = !limit
      ? 'insufficient_liquidity'
      : w.order.timeInForce === 'IOC'
        ? 'ioc_remainder'
        : 'fok_not_fillable';
    this.apply(step, w, machine.cancel(w.order, reason, step.ts));
    this.working.delete(w.order.id);
  }

  /** Takes liquidity from the simulated book as a taker, up to `limit` if given. */
  private take(step: Step, st: SymbolState, w: Working, limit: Decimal | undefined): void {
    if (!st.book) return;
    const slices = st.book.quote(w.order.side, this.cap(step, w.order), limit);
    st.book.take(w.order.side, sum(slices));
    for (const s of slices) this.fillOne(step, st, w, s.price, s.size, 'taker');
  }

  private rest(st: SymbolState, w: Working): void {
    const side = w.order.side === 'buy' ? st.bids : st.asks;
    w.queueAhead =
      this.config.queueModel === 'queue' && st.book
        ? st.book.sizeAt(w.order.side, w.order.price!)
        : Decimal.ZERO;
    side.insert(w);
  }

  /**
   * Resting limits on one side against one print, best price first then by arrival. The
   * print's quantity is shared out among them, so the paper venue never fills more than the
   * market traded; orders placed during this call are skipped (the print came before them).
   */
  private fillOnTrade(step: Step, st: SymbolState, side: RestingSide, t: MarketTrade): void {
    const lot = st.inst.lotSize;
    let budget = t.quantity.roundToStep(lot, 'down');
    const buy = side.side === 'buy';
    for (const w of side.items) {
      const p = w.order.price!;
      const through = buy ? t.price.lt(p) : t.price.gt(p);
      if (!through && !t.price.eq(p)) break;
      if (w.seq >= step.startSeq) continue;
      let avail = budget;
      if (!through) {
        if (this.config.queueModel === 'through' || t.side === w.order.side) continue;
        if (this.config.queueModel === 'queue') {
          const eaten = Decimal.min(w.queueAhead, t.quantity);
          w.queueAhead = w.queueAhead.sub(eaten);
          avail = Decimal.min(budget, t.quantity.sub(eaten).roundToStep(lot, 'down'));
        }
      }
      if (!avail.isPositive()) continue;
      const q = Decimal.min(avail, this.cap(step, w.order));
      if (q.isPositive()) {
        this.fillOne(step, st, w, p, q, 'maker');
        budget = budget.sub(q);
      } else if (w.order.reduceOnly) this.closeReduceOnly(step, w);
    }
    this.prune(side);
  }

  private triggerStops(step: Step, st: SymbolState, last: Decimal): void {
    if (!st.stops.some((w) => stopHolds(w.order, last))) return;
    const fired = st.stops.filter((w) => stopHolds(w.order, last));
    st.stops = st.stops.filter((w) => !stopHolds(w.order, last));
    for (const w of fired) {
      this.apply(step, w, machine.trigger(w.order, last, step.ts));
      w.seq = this.seq++;
      const why =
        w.order.reduceOnly && this.cap(step, w.order).isZero()
          ? 'reduce_only_position_closed'
          : this.preflight(step, st, w.order);
      if (why) {
        this.apply(step, w, machine.cancel(w.order, why, step.ts));
        this.working.delete(w.order.id);
      } else this.execute(step, st, w);
    }
  }

  /** The most an order may fill now: what is left, clamped to the position if reduce-only. */
  private cap(step: Step, o: Order): Decimal {
    const leaves = machine.leavesQuantity(o);
    if (!o.reduceOnly) return leaves;
    const key = `${o.accountId}\u0000${o.symbol}`;
    const pos = this.deps
      .positionOf(o.accountId, o.symbol)
      .add(step.deltas.get(key) ?? Decimal.ZERO);
    const reducible = o.side === 'sell' ? pos : pos.neg();
    if (!reducible.isPositive()) return Decimal.ZERO;
    const lot = this.symbols.get(o.symbol)!.inst.lotSize;
    return Decimal.min(leaves, reducible.roundToStep(lot, 'down'));
  }

  private closeReduceOnly(step: Step, w: Working): void {
    this.apply(step, w, machine.cancel(w.order, 'reduce_only_position_closed', step.ts));
    this.working.delete(w.order.id);
  }

  private fillOne(
    step: Step,
    st: SymbolState,
    w: Working,
    price: Decimal,
    qty: Decimal,
    liq: Liquidity,
  ): void {
    const o = w.order;
    const rate = liq === 'maker' ? st.inst.makerFee : st.inst.takerFee;
    const f: Fill = {
      id: this.deps.nextId(),
      orderId: o.id,
      accountId: o.accountId,
      venue: o.venue,
      symbol: o.symbol,
      side: o.side,
      price,
      quantity: qty,
      fee: feeFor(price, qty, rate, this.config.feePlaces),
      feeCurrency: st.inst.quote,
      liquidity: liq,
      ts: step.ts,
    };
    this.apply(step, w, machine.fill(o, f));
    step.fills.push(f);
    const key = `${o.accountId}\u0000${o.symbol}`;
    const d = step.deltas.get(key) ?? Decimal.ZERO;
    step.deltas.set(key, o.side === 'buy' ? d.add(qty) : d.sub(qty));
    if (TERMINAL.has(w.order.status)) this.working.delete(o.id);
    else if (o.reduceOnly && this.cap(step, w.order).isZero()) this.closeReduceOnly(step, w);
  }

  /** A failed transition here is a bug in the engine, not a user error: fail loudly. */
  private apply(step: Step, w: Working, t: Transition): void {
    if (!t.ok) throw new Error(`paper venue invariant broken: ${t.error.code}: ${t.error.message}`);
    w.order = t.order;
    step.transitions.push({ order: t.order, event: t.event });
  }

  private forget(st: SymbolState, w: Working): void {
    this.working.delete(w.order.id);
    (w.order.side === 'buy' ? st.bids : st.asks).remove(w);
    st.stops = st.stops.filter((s) => s !== w);
  }

  private prune(side: RestingSide): void {
    side.prune((w) => !TERMINAL.has(w.order.status));
  }

  private step(ts: number): Step {
    return { ts, startSeq: this.seq, transitions: [], fills: [], deltas: new Map() };
  }
}

const sum = (levels: { size: Decimal }[]) => levels.reduce((a, l) => a.add(l.size), Decimal.ZERO);
const output = (s: Step): MatchingOutput => ({ transitions: s.transitions, fills: s.fills });
const done = (s: Step): CommandResult => ({ ok: true, ...output(s) });
