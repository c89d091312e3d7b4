import type { Clock } from '../../../core/clock.js';
import { AppError } from '../../../core/errors.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Names the connection in errors and metrics, e.g. `binance:acct-1`. */
  name: string;
  clock: Clock;
  /** Which errors are the exchange's or the network's fault; only those count against it. */
  isFailure: (err: unknown) => boolean;
  /** Consecutive failures that open the breaker. */
  failureThreshold?: number;
  /**
   * Failure rate that opens it: at least `minCalls` outcomes within the last `windowMs`, of
   * which at least `rate` (0–1) failed. Catches a flapping exchange that never fails N times
   * in a row.
   */
  window?: { windowMs: number; minCalls: number; rate: number };
  /** How long the first opening lasts. */
  cooldownMs?: number;
  /** Each failed probe multiplies the cooldown by this, up to `maxCooldownMs`. */
  backoffFactor?: number;
  maxCooldownMs?: number;
  onStateChange?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot) => void;
}

/** Counters and gauges for metrics and status pages. */
export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Outcomes and failures inside the rate window. */
  windowCalls: number;
  windowFailures: number;
  /** When the open breaker lets a probe through (epoch ms). */
  retryAt: number | undefined;
  cooldownMs: number;
  /** Totals since creation. */
  opened: number;
  rejected: number;
  failures: number;
  successes: number;
}

/** Refusal while the breaker is open: nothing was sent to the exchange. */
export class CircuitOpenError extends AppError {
  constructor(
    readonly breaker: string,
    readonly retryAt: number,
    now: number,
  ) {
    super(
      'unavailable',
      'venue_circuit_open',
      `${breaker}: the exchange failed repeatedly; calls are paused until ${new Date(retryAt).toISOString()}`,
      { retryAfter: Math.max(1, Math.ceil((retryAt - now) / 1000)) },
    );
    this.name = 'CircuitOpenError';
  }
}

const DEFAULTS = {
  failureThreshold: 5,
  cooldownMs: 10_000,
  backoffFactor: 2,
  maxCooldownMs: 300_000,
};

/**
 * A circuit breaker for one exchange connection. Closed, calls pass; after
 * `failureThreshold` consecutive failures (or a failure rate over the window) it opens and
 * refuses calls at once with `CircuitOpenError` until `retryAt`. Then exactly one call goes
 * through as a probe (half-open) while others are still refused: success closes the breaker
 * and resets the cooldown, failure reopens it with the cooldown multiplied.
 *
 * An error that is the caller's (an invalid order, insufficient funds) proves the exchange
 * answered, so it counts as a success here. Time is read from the injected clock only, so
 * tests drive it on simulated time; no timer runs.
 *
 * @example
 * const breaker = new CircuitBreaker({ name: 'binance', clock, isFailure: isRetryable });
 * const balance = await breaker.run(() => exchange.fetchBalance());
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private cooldown: number;
  private openedAt = 0;
  private probing = false;
  private outcomes: Array<{ ts: number; failed: boolean }> = [];
  private totals = { opened: 0, rejected: 0, failures: 0, successes: 0 };
  private readonly o: Required<Omit<BreakerOptions, 'window' | 'onStateChange'>> &
    Pick<BreakerOptions, 'window' | 'onStateChange'>;

  constructor(options: BreakerOptions) {
    this.o = { ...DEFAULTS, ...options };
    if (this.o.failureThreshold < 1) throw new Error('failureThreshold must be at least 1');
    this.cooldown = this.o.cooldownMs;
  }

  /** Runs `fn` unless the breaker is open; records its outcome. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      if (this.o.isFailure(err)) this.onFailure(probe);
      else this.onSuccess(probe);
      throw err;
    }
    this.onSuccess(probe);
    return result;
  }

  /** Throws `CircuitOpenError` when a call would be refused now; otherwise returns at once. */
  check(): void {
    const now = this.o.clock.now();
    if (this.current === 'open' && now >= this.retryAt()) return;
    if (this.current === 'open' || (this.current === 'half_open' && this.probing)) {
      throw new CircuitOpenError(this.o.name, this.retryAt(), now);
    }
  }

  state(): BreakerSnapshot {
    const now = this.o.clock.now();
    this.prune(now);
    const failures = this.outcomes.filter((x) => x.failed).length;
    return {
      name: this.o.name,
      state: this.current,
      consecutiveFailures: this.consecutive,
      windowCalls: this.outcomes.length,
      windowFailures: failures,
      retryAt: this.current === 'closed' ? undefined : this.retryAt(),
      cooldownMs: this.cooldown,
      ...this.totals,
    };
  }

  /** Whether the next call would be sent (closed, or a probe is due). */
  get available(): boolean {
    try {
      this.check();
      return true;
    } catch {
      return false;
    }
  }

  private retryAt(): number {
    return this.openedAt + this.cooldown;
  }

  /** Decides whether a call may go; returns true when it is the half-open probe. */
  private admit(): boolean {
    const now = this.o.clock.now();
    if (this.current === 'open') {
      if (now < this.retryAt()) return this.refuse(now);
      this.transition('half_open');
    }
    if (this.current === 'half_open') {
      if (this.probing) return this.refuse(now);
      this.probing = true;
      return true;
    }
    return false;
  }

  private refuse(now: number): never {
    this.totals.rejected++;
    throw new CircuitOpenError(this.o.name, this.retryAt(), now);
  }

  private onSuccess(probe: boolean): void {
    this.totals.successes++;
    this.record(false);
    this.consecutive = 0;
    if (probe) {
      this.probing = false;
      this.cooldown = this.o.cooldownMs;
      this.outcomes = [];
      this.transition('closed');
    }
  }

  private onFailure(probe: boolean): void {
    this.totals.failures++;
    this.record(true);
    this.consecutive++;
    if (probe) {
      this.probing = false;
      this.cooldown = Math.min(this.cooldown * this.o.backoffFactor, this.o.maxCooldownMs);
      this.open();
      return;
    }
    // A call sent before the breaker opened may fail after; it does not open it again.
    if (this.current !== 'closed') return;
    if (this.consecutive >= this.o.failureThreshold || this.rateExceeded()) this.open();
  }

  private open(): void {
    this.openedAt = this.o.clock.now();
    this.totals.opened++;
    this.transition('open');
  }

  private transition(to: BreakerState): void {
    const from = this.current;
    if (from === to && to !== 'open') return;
    this.current = to;
    this.o.onStateChange?.(from, to, this.state());
  }

  private record(failed: boolean): void {
    if (!this.o.window) return;
    const now = this.o.clock.now();
    this.outcomes.push({ ts: now, failed });
    this.prune(now);
  }

  private prune(now: number): void {
    const w = this.o.window;
    if (!w) return;
    const from = now - w.windowMs;
    let i = 0;
    while (i < this.outcomes.length && this.outcomes[i]!.ts <= from) i++;
    if (i) this.outcomes.splice(0, i);
  }

  private rateExceeded(): boolean {
    const w = this.o.window;
    if (!w || this.outcomes.length < w.minCalls) return false;
    const failed = this.outcomes.filter((x) => x.failed).length;
    return failed / this.outcomes.length >= w.rate;
  }
}
