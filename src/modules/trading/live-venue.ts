import { AppError } from '../../core/errors.js';
import type { Vault } from '../vault/index.js';
import type { TradingConfig } from './config.js';
import type { RiskEngine } from './domain/risk.js';
import type { InstrumentRules, Order } from './domain/types.js';
import * as E from './errors.js';
import { CcxtVenueConnector } from './live/index.js';
import { LiveConnection, LiveWrite, type ConnectionDeps } from './live-connection.js';
import { exchangeSetup } from './live-link.js';
import { balanceChanges } from './live-ledger.js';
import { exchangeError, LiveOrders } from './live-orders.js';
import { connectionStatus, type ConnectionView } from './live-status.js';
import {
  accountsWithLiveOrders,
  accountsWithoutCredential,
  linkedAccounts,
  liveOpenOrders,
  upsertConnections,
} from './live-store.js';
import type { LiveRouting, PlaceInput } from './service.js';
import * as S from './store.js';
import { PAPER } from './venue.js';

/** How often connection health is written for other processes (only when it changed). */
const STATUS_MS = 5_000;

export interface LiveVenueDeps extends Omit<ConnectionDeps, 'onBroken'> {
  vault: Pick<Vault, 'decryptForExecution'>;
  config: TradingConfig;
  risk: RiskEngine;
}

/**
 * Live venues, in the process that runs the paper venue: one connector per linked exchange
 * account, created on first use (and at start for accounts with orders still working), each
 * with its own serial queue (`LiveConnection`). Commands go through `LiveOrders`; every later
 * change arrives as a connector update and is written like a paper fill: order state, fill,
 * ledger entry and outbox event in one transaction, then published on the feed. Balances are
 * compared with the exchange's periodically, and connection health is stored for the other
 * processes.
 */
export class LiveVenues implements LiveRouting {
  private readonly connections = new Map<string, Promise<LiveConnection>>();
  private readonly ready = new Map<string, LiveConnection>();
  private readonly venues = new Map<string, string>();
  private readonly errors = new Map<string, { message: string; at: number }>();
  private readonly saved = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private syncing = false;
  private stopped = false;

  private readonly orders: LiveOrders;

  constructor(private readonly deps: LiveVenueDeps) {
    this.orders = new LiveOrders({ ...deps, connection: (id) => this.connection(id) });
  }

  private get db() {
    return this.deps.database.db;
  }

  /** Reconnects the accounts with orders still working; the exchanges are reached in the background. */
  async start(): Promise<void> {
    for (const id of await accountsWithLiveOrders(this.db)) {
      this.connection(id).catch(() => undefined);
    }
    const every = this.deps.config.liveSyncIntervalMs;
    if (every > 0) this.timers.push(setInterval(() => void this.syncAll(), every));
    this.timers.push(setInterval(() => void this.saveStatuses(), STATUS_MS));
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    const all = [...this.connections.values()];
    this.connections.clear();
    this.ready.clear();
    for (const c of await Promise.allSettled(all))
      if (c.status === 'fulfilled') await c.value.close().catch(() => undefined);
  }

  /** Whether the account trades on an exchange (its venue never changes, so it is kept). */
  async isLive(accountId: string): Promise<boolean> {
    let venue = this.venues.get(accountId);
    if (venue === undefined) {
      const row = await S.findAccount(this.db, accountId);
      if (!row) return false;
      venue = row.venue;
      this.venues.set(accountId, venue);
    }
    return venue !== PAPER;
  }

  /** The account's connection, made on first use. */
  connection(accountId: string): Promise<LiveConnection> {
    if (this.stopped) return Promise.reject(E.venueUnavailable());
    const known = this.connections.get(accountId);
    if (known) return known;
    const made = this.connect(accountId);
    this.connections.set(accountId, made);
    made.catch((err: unknown) => {
      if (this.connections.get(accountId) === made) this.connections.delete(accountId);
      this.failed(accountId, err);
    });
    return made;
  }

  /** Health of the account's connection in this process, if it has one. */
  status(accountId: string): ConnectionView | undefined {
    const c = this.ready.get(accountId);
    const e = this.errors.get(accountId);
    if (!c && !e) return undefined;
    return connectionStatus(
      c?.connector.status(),
      c?.lastBalanceSync,
      e?.message,
      this.deps.clock.now(),
    );
  }

  /**
   * Reads the instruments of the exchanges these accounts trade on (connecting them if need
   * be), so that `instrument` knows them; paper accounts and unreachable exchanges are skipped.
   */
  async loadInstruments(accountIds: readonly string[]): Promise<void> {
    for (const id of new Set(accountIds)) {
      if (!(await this.isLive(id))) continue;
      if (this.orders.byVenue.has(this.venues.get(id)!)) continue;
      const conn = await this.connection(id).catch(() => undefined);
      if (conn) await this.orders.instrumentsOf(conn).catch(() => undefined);
    }
  }

  /** An exchange instrument's rules, when an account on that exchange has read them. */
  instrument(venue: string, symbol: string): InstrumentRules | undefined {
    return this.orders.byVenue.get(venue)?.get(symbol);
  }

  // ── commands ────────────────────────────────────────────────────────────────────────────

  place(accountId: string, hash: string, input: PlaceInput) {
    return this.orders.place(accountId, hash, input);
  }

  cancel(order: Order) {
    return this.orders.cancel(order);
  }

  amend(order: Order, body: { price?: string; quantity?: string }) {
    return this.orders.amend(order, body);
  }

  /**
   * Compares the exchange's balances with the ledger and records the difference. A fill on
   * its way must not be counted twice (once in the balances, once when its update arrives),
   * so nothing may be being placed, and while orders are working the balances are read on
   * both sides of a reconciliation: equal readings and no update in between mean every fill
   * the first reading counts was already applied.
   */
  async syncBalances(accountId: string): Promise<'synced' | 'in_sync' | 'busy'> {
    const conn = await this.connection(accountId);
    if (conn.inflight) return 'busy';
    const mark = conn.activity;
    const read = async () => {
      try {
        return new Map((await conn.connector.balances()).map((b) => [b.currency, b.total]));
      } catch (err) {
        throw exchangeError(err, conn.account.venue);
      }
    };
    let exchange = await read();
    if (conn.connector.status().openOrders > 0) {
      await conn.connector.reconcile('balance sync').catch((err: unknown) => {
        throw exchangeError(err, conn.account.venue);
      });
      await conn.settled();
      const again = await read();
      const same =
        again.size === exchange.size &&
        [...again].every(([c, v]) => exchange.get(c)?.eq(v) === true);
      if (!same) return 'busy';
      exchange = again;
    }
    return conn.run(async () => {
      if (conn.inflight || conn.activity !== mark) return 'busy';
      const book = await conn.book();
      if (!book) return 'in_sync';
      const p = book.portfolio;
      conn.lastBalanceSync = this.deps.clock.now();
      this.errors.delete(accountId);
      const changes = balanceChanges(
        exchange,
        new Map(p.ledger.balances(accountId).map((b) => [b.currency, b.total])),
      );
      if (!changes.length) return 'in_sync';
      const w = new LiveWrite();
      const ok = conn.sync(
        p,
        w,
        changes.map((c) => ({ currency: c.currency, delta: c.to.sub(c.from) })),
        'balance_sync',
        'the exchange balance differs from the ledger: deposits, withdrawals or trades made outside Obscura',
      );
      if (!ok) return 'in_sync';
      await conn.commit(p, w);
      this.deps.logger.info(
        {
          at: 'trading#live',
          accountId,
          changes: changes.map((c) => `${c.currency} ${c.from} → ${c.to}`),
        },
        'exchange balances synced',
      );
      return 'synced';
    });
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private async connect(accountId: string): Promise<LiveConnection> {
    const row = await S.findAccount(this.db, accountId);
    if (!row || row.venue === PAPER) throw E.accountNotFound();
    if (!row.credential_id) throw E.exchangeDisconnected();
    // What the database says is working is handed to the connector before it connects, so
    // the reconciliation that follows delivers only what happened since.
    const open = await liveOpenOrders(this.db, accountId);
    const credentials = await this.deps.vault.decryptForExecution(row.credential_id, row.user_id);
    const connector = await CcxtVenueConnector.create(row.venue, credentials, {
      ...exchangeSetup(this.deps.config, row.venue),
      logger: this.deps.logger,
      clock: this.deps.clock,
      venue: row.venue,
    });
    const conn = new LiveConnection(
      { id: row.id, userId: row.user_id, venue: row.venue },
      connector,
      { ...this.deps, onBroken: (c, err) => this.broken(c, err) },
    );
    for (const o of open) {
      conn.orders.set(o.order.id, {
        order: o.order,
        reasonMessage: o.reasonMessage,
        holdCurrency: o.hold?.currency,
      });
    }
    connector.track(open.map((o) => ({ order: o.order, fillIds: o.fillIds })));
    if (this.stopped) {
      await connector.close();
      throw E.venueUnavailable();
    }
    this.ready.set(accountId, conn);
    this.errors.delete(accountId);
    connector.start().catch((err: unknown) => this.failed(accountId, err));
    return conn;
  }

  /** A write failed: the connection is rebuilt from the database, and reconciliation redelivers. */
  private broken(c: LiveConnection, err: unknown): void {
    const id = c.account.id;
    this.deps.logger.error(
      { at: 'trading#live', accountId: id, err },
      'live account update not persisted; reconnecting from the database',
    );
    this.deps.books.forget(id);
    if (this.ready.get(id) !== c) return;
    this.ready.delete(id);
    this.connections.delete(id);
    void c.close().then(() => {
      if (!this.stopped) this.connection(id).catch(() => undefined);
    });
  }

  private failed(accountId: string, err: unknown): void {
    // Only our own errors' messages are known to be free of request details.
    const message =
      err instanceof AppError
        ? err.message
        : `the exchange could not be reached (${err instanceof Error ? err.name : 'error'})`;
    this.errors.set(accountId, { message, at: this.deps.clock.now() });
    this.deps.logger.warn(
      { at: 'trading#live', accountId, error: message },
      'live account not connected',
    );
  }

  /** Every linked account, one after the other; failures are recorded in its status. */
  private async syncAll(): Promise<void> {
    if (this.syncing || this.stopped) return;
    this.syncing = true;
    try {
      for (const row of await linkedAccounts(this.db)) {
        if (this.stopped) break;
        await this.syncBalances(row.id).catch((err: unknown) => this.failed(row.id, err));
      }
    } catch (err) {
      this.deps.logger.error({ at: 'trading#live', err }, 'balance sync round failed');
    } finally {
      this.syncing = false;
    }
  }

  /**
   * Closes the connections of accounts whose credential was deleted (in any process): their
   * placements are refused from the moment of the delete, and within one status round nothing
   * here holds the decrypted key or listens to the exchange on its behalf any more.
   */
  private async dropDeletedCredentials(): Promise<void> {
    for (const id of await accountsWithoutCredential(this.db, [...this.ready.keys()])) {
      const c = this.ready.get(id);
      if (!c) continue;
      this.ready.delete(id);
      this.connections.delete(id);
      this.deps.books.forget(id);
      await c.close().catch(() => undefined);
      this.failed(id, E.exchangeDisconnected());
    }
  }

  /** Writes connection health that changed, and retries connectors that could not start. */
  private async saveStatuses(): Promise<void> {
    if (this.stopped) return;
    await this.dropDeletedCredentials().catch((err: unknown) =>
      this.deps.logger.warn({ at: 'trading#live', err }, 'credential check failed'),
    );
    const rows: Array<{ accountId: string; status: ConnectionView; at: Date }> = [];
    for (const id of new Set([...this.ready.keys(), ...this.errors.keys()])) {
      const c = this.ready.get(id);
      if (c && c.connector.status().stream === 'stopped')
        c.connector.start().catch((err: unknown) => this.failed(id, err));
      const status = this.status(id);
      if (!status) continue;
      const key = JSON.stringify({ ...status, updatedAt: undefined });
      if (this.saved.get(id) === key) continue;
      this.saved.set(id, key);
      rows.push({ accountId: id, status, at: this.deps.clock.date() });
    }
    if (!rows.length) return;
    await upsertConnections(this.db, rows).catch((err: unknown) => {
      for (const r of rows) this.saved.delete(r.accountId);
      this.deps.logger.warn({ at: 'trading#live', err }, 'connection status not stored');
    });
  }
}
