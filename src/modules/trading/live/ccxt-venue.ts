import type {
  Exchange,
  MarketInterface as Market,
  Order as CcxtOrder,
  Trade as CcxtTrade,
} from 'ccxt';
import { systemClock, type Clock } from '../../../core/clock.js';
import type { Decimal } from '../../../core/decimal.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { Instrument } from '../../market/index.js';
import type { ExchangeCredentials } from '../../vault/index.js';
import type { Amendment } from '../domain/order-machine.js';
import type { InstrumentRules, Order } from '../domain/types.js';
import { CircuitBreaker, type BreakerOptions, type BreakerSnapshot } from './circuit-breaker.js';
import { decimalFromCcxt, instrumentFromMarket, type PrecisionMode } from './decimals.js';
import { isRetryable, scrub, toVenueError, VenueError } from './errors.js';
import {
  adapterFor,
  createExchange,
  type ExchangeAdapter,
  type ExchangeSetup,
} from './exchange.js';
import { OrderCommands } from './order-commands.js';
import {
  OrderSync,
  type LiveContext,
  type ReconcileReport,
  type SyncOptions,
} from './order-sync.js';
import { balancesOf, tradeSnapshot } from './snapshots.js';
import { OrderTracker } from './tracker.js';
import type { StreamState, VenueBalance, VenueOrderAck, VenueUpdate } from './types.js';
import { UserStream, type BackoffOptions } from './user-stream.js';

export interface CcxtVenueOptions extends ExchangeSetup {
  logger: Logger;
  /** Breaker time and update timestamps the exchange does not give; the wall clock by default. */
  clock?: Clock;
  /** The venue name our orders, fills and instruments carry; the exchange id by default. */
  venue?: string;
  breaker?: Partial<
    Pick<
      BreakerOptions,
      'failureThreshold' | 'window' | 'cooldownMs' | 'backoffFactor' | 'maxCooldownMs'
    >
  >;
  reconnect?: Partial<BackoffOptions>;
  sync?: Partial<SyncOptions>;
  /** Reconciliation also runs this often without a disconnect (0: never). */
  reconcileEveryMs?: number;
  /** Whether `start` opens the user data stream (REST-only use otherwise). */
  stream?: boolean;
  random?: () => number;
}

export interface VenueConnectorStatus {
  exchange: string;
  venue: string;
  stream: StreamState;
  reconnects: number;
  lastStreamError: string | undefined;
  breaker: BreakerSnapshot;
  openOrders: number;
  lastReconcile: ReconcileReport | undefined;
}

const PRECISION: Record<number, PrecisionMode> = {
  2: 'decimal_places',
  3: 'significant_digits',
  4: 'tick_size',
};

/**
 * One exchange account, through CCXT: instruments, orders, balances, and a stream of
 * normalized order updates and fills. Nothing of CCXT leaves it: amounts are exact decimals,
 * statuses are ours, errors are `AppError`s without secrets.
 *
 * - Every REST call goes through a circuit breaker, so an exchange in trouble is not hammered
 *   and callers fail fast with `venue_circuit_open` and a retry time.
 * - An order is sent with a client order id derived only from ours, so when the answer is lost
 *   (timeout, dropped connection, 5xx) the exchange is asked for that id before anything is
 *   reported: the order is placed at most once.
 * - The user data stream is reconnected with exponential backoff and jitter; after each
 *   reconnection every order we believe open is reconciled with the exchange and what the gap
 *   hid is delivered, each fill once (its id is the exchange's trade id).
 *
 * @example
 * const venue = await CcxtVenueConnector.create('binance', credentials, { logger });
 * venue.onUpdate((u) => (u.kind === 'fill' ? applyFill(u.fill) : applyStatus(u)));
 * await venue.start();
 * const ack = await venue.place(order);
 */
export class CcxtVenueConnector {
  readonly exchange: string;
  readonly venue: string;
  private readonly listeners = new Set<(u: VenueUpdate) => void>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly adapter: ExchangeAdapter;
  private readonly breaker: CircuitBreaker;
  private readonly tracker: OrderTracker;
  private readonly sync: OrderSync;
  private readonly commands: OrderCommands;
  private readonly stream: UserStream;
  private readonly secrets: string[];
  private readonly sleeps = new Set<() => void>();
  private periodic: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly ex: Exchange,
    exchange: string,
    credentials: ExchangeCredentials,
    private readonly o: CcxtVenueOptions,
  ) {
    this.exchange = exchange;
    this.venue = o.venue ?? exchange;
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger;
    this.adapter = adapterFor(exchange);
    this.secrets = [credentials.secret, credentials.apiKey, credentials.passphrase ?? ''];
    this.breaker = new CircuitBreaker({
      name: `${exchange}:${this.venue}`,
      clock: this.clock,
      isFailure: isRetryable,
      ...o.breaker,
      onStateChange: (from, to, s) =>
        this.logger[to === 'open' ? 'warn' : 'info'](
          {
            at: 'trading#live',
            exchange,
            from,
            to,
            retryAt: s.retryAt,
            failures: s.consecutiveFailures,
          },
          `circuit breaker ${to}`,
        ),
    });
    this.tracker = new OrderTracker({
      exchange,
      emit: (u) => this.emit(u),
      now: () => this.clock.now(),
      logger: this.logger,
    });
    const sleep = async (ms: number) => void (await this.sleep(ms));
    const context: LiveContext = {
      exchange,
      ex,
      adapter: this.adapter,
      tracker: this.tracker,
      call: (fn) => this.breaker.run(fn),
      market: (symbol) => this.market(symbol),
      now: () => this.clock.now(),
      logger: this.logger,
      secrets: this.secrets,
      sleep,
    };
    this.sync = new OrderSync(context, {
      lookupAttempts: 3,
      lookupDelayMs: 500,
      fillGraceMs: 1_000,
      notFoundAfterMs: 30_000,
      ...o.sync,
    });
    this.commands = new OrderCommands(context, this.sync);
    this.stream = new UserStream({
      exchange,
      ex,
      logger: this.logger,
      secrets: this.secrets,
      backoff: { baseMs: 500, maxMs: 30_000, jitter: 0.3, ...o.reconnect },
      random: o.random ?? Math.random,
      sleep: (ms, signal) => this.sleep(ms, signal),
      ...(this.adapter.streamReady ? { ready: this.adapter.streamReady } : {}),
      waitUntilAvailable: (signal) => this.waitForBreaker(signal),
      onOrders: (orders) => this.onStreamOrders(orders),
      onTrades: (trades) => this.onStreamTrades(trades),
      onConnected: async () => {
        await this.reconcile('stream connected').catch((err: unknown) =>
          this.warn(err, 'reconciliation after (re)connecting failed'),
        );
      },
    });
  }

  /** Builds the connector; nothing is sent to the exchange until `start` or a call. */
  static async create(
    exchange: string,
    credentials: ExchangeCredentials,
    options: CcxtVenueOptions,
  ): Promise<CcxtVenueConnector> {
    const ex = await createExchange(exchange, credentials, options);
    return new CcxtVenueConnector(ex, exchange, credentials, options);
  }

  /** Loads the exchange's markets and opens the user data stream. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.call(() => this.ex.loadMarkets());
      if (this.o.stream !== false) this.stream.start();
      const every = this.o.reconcileEveryMs ?? 60_000;
      if (every > 0) {
        this.periodic = setInterval(() => {
          void this.reconcile('periodic').catch((err: unknown) =>
            this.warn(err, 'periodic reconciliation failed'),
          );
        }, every);
        this.periodic.unref();
      }
    })();
    this.started.catch(() => (this.started = undefined));
    return this.started;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.periodic) clearInterval(this.periodic);
    for (const wake of this.sleeps) wake();
    this.sync.close();
    await this.stream.stop();
  }

  onUpdate(listener: (u: VenueUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The exchange's spot markets as instrument rules (exact decimals); unusable ones are skipped. */
  async instruments(): Promise<InstrumentRules[]> {
    await this.start();
    const mode = PRECISION[this.ex.precisionMode ?? 4] ?? 'tick_size';
    const out: Instrument[] = [];
    for (const m of Object.values(this.ex.markets ?? {})) {
      if (!m || m.spot !== true) continue;
      const r = instrumentFromMarket(this.venue, m as never, mode);
      if (r.ok) out.push(r.instrument);
      else this.logger.debug({ at: 'trading#live', problems: r.problems }, 'market skipped');
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  async balances(): Promise<VenueBalance[]> {
    await this.start();
    try {
      return balancesOf(await this.call(() => this.ex.fetchBalance()), this.adapter);
    } catch (err) {
      throw this.error(err);
    }
  }

  /** The exchange's last trade price of a market, exact where the raw answer has it. */
  async lastPrice(symbol: string): Promise<Decimal | undefined> {
    await this.start();
    try {
      const t = await this.call(() => this.ex.fetchTicker(symbol));
      const raw = (t.info as Record<string, unknown> | undefined)?.lastPrice;
      return decimalFromCcxt(typeof raw === 'string' ? raw : t.last);
    } catch (err) {
      throw this.error(err);
    }
  }

  /**
   * Places an order once. Resolves when the exchange has it; rejects with a `VenueError`
   * whose `outcome` says whether it was refused, certainly not placed (safe to retry), or of
   * unknown fate (tracked; updates will settle it).
   */
  async place(order: Order): Promise<VenueOrderAck> {
    await this.start();
    return this.commands.place(order);
  }

  /** Cancels an order; resolves with its state afterwards (possibly filled, if it was first). */
  async cancel(order: Order): Promise<VenueOrderAck> {
    await this.start();
    return this.commands.cancel(order);
  }

  /**
   * Changes a working limit order's price and/or quantity (the total, as in the order
   * machine). Where the exchange replaces the order (Binance), the new exchange order is for
   * what is left to fill and later updates carry its id.
   */
  async amend(order: Order, change: Amendment): Promise<VenueOrderAck> {
    await this.start();
    return this.commands.amend(order, change);
  }

  /**
   * Orders believed open after a restart, with the ids of fills already applied to each, so
   * reconciliation delivers only what is new.
   */
  track(entries: ReadonlyArray<{ order: Order; fillIds?: readonly string[] }>): void {
    for (const { order, fillIds } of entries) {
      const t = this.commands.known(order);
      for (const id of fillIds ?? []) t.fillIds.add(id);
    }
  }

  /** Asks the exchange about every order believed open and delivers what was missed. */
  async reconcile(reason = 'requested'): Promise<ReconcileReport> {
    await this.start();
    try {
      return await this.sync.reconcile(reason);
    } catch (err) {
      throw this.error(err);
    }
  }

  status(): VenueConnectorStatus {
    return {
      exchange: this.exchange,
      venue: this.venue,
      stream: this.stream.state,
      reconnects: this.stream.reconnects,
      lastStreamError: this.stream.lastError,
      breaker: this.breaker.state(),
      openOrders: this.tracker.open().length,
      lastReconcile: this.sync.lastReport,
    };
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.run(fn);
  }

  private market(symbol: string): Market {
    const m = this.ex.markets?.[symbol];
    if (!m) {
      throw new VenueError(
        'not_found',
        'unknown_instrument',
        `${this.exchange} has no market ${symbol}`,
        this.exchange,
      );
    }
    return m;
  }

  private onStreamOrders(orders: CcxtOrder[]): void {
    for (const o of orders) {
      const t =
        (o.clientOrderId ? this.tracker.get(o.clientOrderId) : undefined) ??
        this.tracker.byVenue(String(o.id));
      if (!t) continue;
      try {
        this.sync.apply(t, { ...o, trades: [] }, 'stream');
      } catch (err) {
        this.warn(err, 'an order update could not be read');
      }
    }
  }

  private onStreamTrades(trades: CcxtTrade[]): void {
    for (const trade of trades) {
      try {
        const market = trade.symbol ? this.ex.markets?.[trade.symbol] : undefined;
        if (!market) continue;
        const s = tradeSnapshot(trade, market, this.adapter, { ts: this.clock.now() });
        if (s) this.tracker.observeTrade(s, 'stream');
      } catch (err) {
        this.warn(err, 'a fill from the stream could not be read');
      }
    }
  }

  private emit(u: VenueUpdate): void {
    for (const l of this.listeners) {
      try {
        l(u);
      } catch (err) {
        this.logger.error({ at: 'trading#live', err }, 'venue update listener failed');
      }
    }
  }

  private error(err: unknown, outcome?: 'rejected' | 'not_placed'): Error {
    return toVenueError(err, this.exchange, this.secrets, outcome);
  }

  private warn(err: unknown, msg: string): void {
    const text = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      { at: 'trading#live', exchange: this.exchange, error: scrub(text, this.secrets) },
      msg,
    );
  }

  private async waitForBreaker(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.breaker.available) {
      const retryAt = this.breaker.state().retryAt ?? this.clock.now();
      await this.sleep(Math.max(50, Math.min(retryAt - this.clock.now(), 5_000)), signal);
    }
  }

  /** A wall-clock pause that close() (or `signal`) cuts short; false if it was cut short. */
  private sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (completed: boolean) => {
        clearTimeout(timer);
        this.sleeps.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve(completed);
      };
      const wake = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      this.sleeps.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }
}
