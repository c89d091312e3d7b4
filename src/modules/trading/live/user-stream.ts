import type { Exchange, Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt';
import type { Logger } from '../../../platform/logging/logger.js';
import { scrub } from './errors.js';
import type { StreamState } from './types.js';

export interface BackoffOptions {
  /** First delay after a failure, doubled per further failure up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** Random fraction taken off each delay (0–1), so many connections do not retry in step. */
  jitter: number;
}

/** Delay before reconnect attempt `attempt` (1, 2, …): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - o.jitter * random()));
}

export interface UserStreamDeps {
  exchange: string;
  ex: Exchange;
  logger: Logger;
  secrets: readonly string[];
  backoff: BackoffOptions;
  random: () => number;
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
  /** Resolves when the subscription is acknowledged; by default, when a socket is open. */
  ready?: (ex: Exchange) => Promise<void>;
  /** Waits while the exchange is considered down (the breaker is open). */
  waitUntilAvailable(signal: AbortSignal): Promise<void>;
  onOrders(orders: CcxtOrder[]): void;
  onTrades(trades: CcxtTrade[]): void;
  /** Runs after every (re)connection, once the subscription stands. */
  onConnected(first: boolean): Promise<void>;
}

/**
 * The user data stream: CCXT's watchOrders and watchMyTrades, kept alive. When either ends
 * (a dropped socket, an error), both are stopped, the sockets closed, and after an
 * exponential delay with jitter they are started again; once the new subscription is
 * acknowledged `onConnected` runs, which is where reconciliation fetches what the gap hid.
 */
export class UserStream {
  state: StreamState = 'stopped';
  reconnects = 0;
  lastError: string | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly d: UserStreamDeps) {}

  start(): void {
    if (this.loop) return;
    if (!this.kinds().length) {
      this.d.logger.warn(
        { at: 'trading#live', exchange: this.d.exchange },
        'the exchange streams no order updates; only reconciliation will report them',
      );
      return;
    }
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.d.ex.close().catch(() => undefined);
    await this.loop;
    this.loop = undefined;
    this.state = 'stopped';
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let first = true;
    while (!signal.aborted) {
      this.state = first ? 'connecting' : 'reconnecting';
      await this.d.waitUntilAvailable(signal);
      if (signal.aborted) break;
      const live = { on: true };
      const ended = this.kinds().map((kind) => this.watch(kind, live, signal));
      const failure = Promise.race(ended).then((err) => {
        throw err ?? new Error('the stream ended');
      });
      failure.catch(() => undefined);
      try {
        await Promise.race([this.ready(), failure]);
        this.state = 'connected';
        await Promise.race([this.d.onConnected(first), failure]);
        attempt = 0;
        first = false;
        await failure;
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = scrub(err instanceof Error ? err.message : String(err), this.d.secrets);
        this.d.logger.warn(
          { at: 'trading#live', exchange: this.d.exchange, error: this.lastError, attempt },
          'user data stream lost; reconnecting',
        );
      } finally {
        live.on = false;
      }
      // Both watchers stop and the sockets go, so the next attempt starts from nothing.
      await this.d.ex.close().catch(() => undefined);
      await Promise.allSettled(ended);
      if (signal.aborted) break;
      attempt++;
      this.reconnects++;
      this.state = 'reconnecting';
      await this.d.sleep(backoffDelay(attempt, this.d.backoff, this.d.random), signal);
    }
    this.state = 'stopped';
  }

  /**
   * What the exchange can stream. Without `watchMyTrades` (Coinbase), an order update whose
   * filled quantity grew makes the connector fetch the fills over REST.
   */
  private kinds(): Array<'orders' | 'trades'> {
    const has = this.d.ex.has;
    return [
      ...(has['watchOrders'] ? (['orders'] as const) : []),
      ...(has['watchMyTrades'] ? (['trades'] as const) : []),
    ];
  }

  /** Resolves with the error that ended the watcher (undefined when it was told to stop). */
  private async watch(
    kind: 'orders' | 'trades',
    live: { on: boolean },
    signal: AbortSignal,
  ): Promise<unknown> {
    try {
      while (live.on && !signal.aborted) {
        if (kind === 'orders') {
          const batch = await this.d.ex.watchOrders();
          if (live.on) this.d.onOrders(batch);
        } else {
          const batch = await this.d.ex.watchMyTrades();
          if (live.on) this.d.onTrades(batch);
        }
      }
    } catch (err) {
      return err;
    }
    return undefined;
  }

  private async ready(): Promise<void> {
    if (this.d.ready) return this.d.ready(this.d.ex);
    // Without an acknowledgement to wait for: an open socket and a moment for the subscribe.
    for (let i = 0; i < 200; i++) {
      const open = Object.values(this.d.ex.clients ?? {}).some((c) => {
        const client = c as { isOpen?: () => boolean };
        return client.isOpen?.() === true;
      });
      if (open) {
        await new Promise((r) => setTimeout(r, 250));
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the user data stream did not connect within 10 s');
  }
}
