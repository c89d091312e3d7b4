import ccxt, { type Exchange, type MarketInterface as Market, type Order as CcxtOrder } from 'ccxt';
import type { Logger } from '../../../platform/logging/logger.js';
import { CircuitOpenError } from './circuit-breaker.js';
import { isRetryable, scrub } from './errors.js';
import type { ExchangeAdapter } from './exchange.js';
import { orderSnapshot, tradeSnapshot } from './snapshots.js';
import type { OrderSnapshot, OrderTracker, Tracked } from './tracker.js';
import type { UpdateSource } from './types.js';

/** What the connector shares with the code that reads orders back from the exchange. */
export interface LiveContext {
  exchange: string;
  ex: Exchange;
  adapter: ExchangeAdapter;
  tracker: OrderTracker;
  /** Every REST call goes through here (the circuit breaker). */
  call<T>(fn: () => Promise<T>): Promise<T>;
  market(symbol: string): Market;
  now(): number;
  logger: Logger;
  secrets: readonly string[];
  sleep(ms: number): Promise<void>;
}

export interface SyncOptions {
  /** Lookups by client order id after a lost answer, and the pause between them. */
  lookupAttempts: number;
  lookupDelayMs: number;
  /** How long a final status waits for its fills on the stream before they are fetched. */
  fillGraceMs: number;
  /** Age after which a never-acknowledged order the exchange does not know is closed. */
  notFoundAfterMs: number;
}

export interface ReconcileReport {
  reason: string;
  checked: number;
  at: number;
}

/** Where a trade fetch for one symbol starts: a little before anything we might miss. */
const SINCE_MARGIN_MS = 60_000;
const MAX_TRADE_PAGES = 20;
const PAGE = 1000;
const FILL_FETCH_ATTEMPTS = 3;

/**
 * Reads orders and fills back from the exchange: the lookup of an order whose placement
 * answer was lost, the fills a final status counts but the stream has not delivered, and
 * reconciliation, which asks the exchange about every order we believe open and applies
 * what was missed. Everything lands in the tracker, which drops what it has already seen.
 */
export class OrderSync {
  private running: Promise<ReconcileReport> | undefined;
  private readonly fillTimers = new Map<Tracked, NodeJS.Timeout>();
  private closed = false;
  lastReport: ReconcileReport | undefined;

  constructor(
    private readonly c: LiveContext,
    private readonly o: SyncOptions,
  ) {}

  /** Applies an order answer: its fills first, then its state. */
  apply(t: Tracked, o: CcxtOrder, source: UpdateSource): void {
    const market = this.c.market(t.order.symbol);
    const snap = orderSnapshot(o, this.c.adapter, this.c.now());
    for (const trade of o.trades ?? []) {
      const s = tradeSnapshot(trade, market, this.c.adapter, {
        venueOrderId: snap.venueOrderId,
        ts: snap.ts,
        liquidity: 'taker',
      });
      if (s) {
        if (!t.venueOrderId) this.c.tracker.setVenueId(t, snap.venueOrderId);
        this.c.tracker.observeTrade(s, source);
      }
    }
    this.observe(t, snap, source);
  }

  observe(t: Tracked, snap: OrderSnapshot, source: UpdateSource): void {
    if (this.c.tracker.observeOrder(t, snap, source) === 'needs_fills') this.scheduleFills(t);
  }

  /**
   * Finds an order by its client order id. Returns the order, `null` when the exchange
   * answered (every time) that it has none, or `undefined` when it could not be asked.
   */
  async lookup(t: Tracked): Promise<CcxtOrder | null | undefined> {
    let answer: CcxtOrder | null | undefined;
    for (let i = 0; i < this.o.lookupAttempts; i++) {
      if (i > 0) await this.c.sleep(this.o.lookupDelayMs);
      try {
        const found = await this.byClientId(t);
        if (found) return found;
        answer = null;
      } catch (err) {
        answer = undefined;
        if (!(err instanceof CircuitOpenError) && !isRetryable(err)) break;
      }
    }
    return answer;
  }

  /** Brings one order up to date from the exchange; false if it could not be asked. */
  async resync(t: Tracked): Promise<boolean> {
    const found = await this.lookup(t);
    if (found) this.apply(t, found, 'reconcile');
    return found !== undefined;
  }

  /** Fetches the fills of one exchange order and applies them. */
  async fetchFills(t: Tracked, venueOrderId = t.venueOrderId): Promise<void> {
    if (!venueOrderId) return;
    const symbol = t.order.symbol;
    const market = this.c.market(symbol);
    const byOrder = this.c.adapter.tradesOfOrder?.(venueOrderId);
    const trades = await this.c.call(() =>
      this.c.ex.fetchMyTrades(
        symbol,
        byOrder ? undefined : t.since - SINCE_MARGIN_MS,
        byOrder ? undefined : PAGE,
        byOrder ?? {},
      ),
    );
    for (const trade of trades) {
      if (String(trade.order) !== venueOrderId) continue;
      const s = tradeSnapshot(trade, market, this.c.adapter, { ts: this.c.now() });
      if (s) this.c.tracker.observeTrade(s, 'reconcile');
    }
  }

  /**
   * Asks the exchange about every order we believe open and applies what was missed, fills
   * before statuses. Concurrent calls share one run.
   */
  reconcile(reason: string): Promise<ReconcileReport> {
    this.running ??= this.run(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.fillTimers.values()) clearTimeout(timer);
    this.fillTimers.clear();
  }

  private async run(reason: string): Promise<ReconcileReport> {
    const open = this.c.tracker.open().filter((t) => !t.inFlight && !t.amending);
    const report: ReconcileReport = { reason, checked: open.length, at: this.c.now() };
    if (!open.length) return (this.lastReport = report);
    const symbols = [...new Set(open.map((t) => t.order.symbol))];
    const snaps = new Map<Tracked, OrderSnapshot>();
    const missing: Tracked[] = [];

    for (const symbol of symbols) {
      const listed = await this.c.call(() => this.c.ex.fetchOpenOrders(symbol));
      for (const o of listed) {
        const t =
          (o.clientOrderId ? this.c.tracker.get(o.clientOrderId) : undefined) ??
          this.c.tracker.byVenue(String(o.id));
        if (t && open.includes(t)) snaps.set(t, orderSnapshot(o, this.c.adapter, this.c.now()));
      }
    }
    for (const t of open) {
      if (snaps.has(t)) continue;
      try {
        const o = await this.byClientId(t);
        if (o) snaps.set(t, orderSnapshot(o, this.c.adapter, this.c.now()));
        else missing.push(t);
      } catch (err) {
        this.warn(err, t, 'could not read the order during reconciliation');
      }
    }
    for (const symbol of symbols) await this.tradesSince(symbol, open);
    for (const [t, snap] of snaps) this.observe(t, snap, 'reconcile');
    for (const t of missing) {
      if (t.status === 'new' && this.c.now() - t.since < this.o.notFoundAfterMs) continue;
      this.c.tracker.notFound(t, 'reconcile');
    }
    for (const t of open) if (t.pending) await this.fillsNow(t, 0);
    return (this.lastReport = report);
  }

  /** Every fill of `symbol` since the oldest thing we might have missed, page by page. */
  private async tradesSince(symbol: string, open: readonly Tracked[]): Promise<void> {
    const mine = open.filter((t) => t.order.symbol === symbol);
    let since = Math.min(...mine.map((t) => t.lastFillTs ?? t.since)) - SINCE_MARGIN_MS;
    const market = this.c.market(symbol);
    for (let page = 0; page < MAX_TRADE_PAGES; page++) {
      const trades = await this.c.call(() => this.c.ex.fetchMyTrades(symbol, since, PAGE));
      for (const trade of trades) {
        const s = tradeSnapshot(trade, market, this.c.adapter, { ts: this.c.now() });
        // Fills of orders we do not track (placed elsewhere) are not ours to deliver.
        if (s && this.c.tracker.byVenue(s.venueOrderId))
          this.c.tracker.observeTrade(s, 'reconcile');
      }
      const last = trades.at(-1)?.timestamp;
      if (trades.length < PAGE || last === undefined || last <= since) return;
      since = last;
    }
  }

  private async byClientId(t: Tracked): Promise<CcxtOrder | undefined> {
    const symbol = t.order.symbol;
    try {
      return await this.c.call(() =>
        t.venueOrderId
          ? this.c.ex.fetchOrder(t.venueOrderId, symbol)
          : this.c.ex.fetchOrder('', symbol, { clientOrderId: t.cid }),
      );
    } catch (err) {
      if (err instanceof ccxt.OrderNotFound) return undefined;
      if (!(err instanceof ccxt.NotSupported) && !(err instanceof ccxt.ArgumentsRequired))
        throw err;
    }
    // Exchanges that cannot look an order up by client id: scan what they list.
    const open = await this.c.call(() => this.c.ex.fetchOpenOrders(symbol));
    const hit = open.find((o) => o.clientOrderId === t.cid || String(o.id) === t.venueOrderId);
    if (hit || !this.c.ex.has['fetchClosedOrders']) return hit;
    const closed = await this.c.call(() =>
      this.c.ex.fetchClosedOrders(symbol, t.since - SINCE_MARGIN_MS),
    );
    return closed.find((o) => o.clientOrderId === t.cid || String(o.id) === t.venueOrderId);
  }

  /** A final status is waiting for fills: give the stream a moment, then fetch them. */
  private scheduleFills(t: Tracked, attempt = 0): void {
    if (this.closed || this.fillTimers.has(t)) return;
    const timer = setTimeout(
      () => {
        this.fillTimers.delete(t);
        if (!t.pending || this.closed) return;
        void this.fillsNow(t, attempt);
      },
      this.o.fillGraceMs * (attempt + 1),
    );
    timer.unref();
    this.fillTimers.set(t, timer);
  }

  private async fillsNow(t: Tracked, attempt = FILL_FETCH_ATTEMPTS - 1): Promise<void> {
    try {
      await this.fetchFills(t);
    } catch (err) {
      this.warn(err, t, 'could not fetch the fills of an order');
    }
    if (!t.pending) return;
    if (attempt + 1 < FILL_FETCH_ATTEMPTS) this.scheduleFills(t, attempt + 1);
    else this.c.tracker.forceFinal(t);
  }

  private warn(err: unknown, t: Tracked, msg: string): void {
    const text = err instanceof Error ? err.message : String(err);
    this.c.logger.warn(
      {
        at: 'trading#live',
        exchange: this.c.exchange,
        order: t.order.id,
        error: scrub(text, this.c.secrets),
      },
      msg,
    );
  }
}
