import type { Clock } from '../../../core/clock.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long the first opening lasts. */
  cooldownMs: number;
  /** A failed probe doubles the cooldown, up to this many times the first one. */
  maxCooldownFactor?: number;
}

export interface BreakerStatus {
  state: BreakerState;
  consecutiveFailures: number;
  /** When an open breaker lets the next probe through (epoch ms); null when closed. */
  retryAt: number | null;
  /** Times it opened since the process started. */
  opened: number;
}

export type Admission = { admitted: true; probe: boolean } | { admitted: false; retryAt: number };

/**
 * A circuit breaker for one model, in this process. Closed, calls go through; after
 * `failureThreshold` consecutive failures it opens and refuses calls without sending them.
 * When the cooldown has passed, exactly one call goes through as a probe (half-open) while
 * the rest are still refused: success closes the breaker, failure reopens it with the
 * cooldown doubled. Time comes from the injected clock only; no timer runs.
 *
 * Every admitted call must end in exactly one `success` or `failure` with its `probe` flag.
 */
export class ModelBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private cooldown: number;
  private probing = false;
  private openings = 0;

  constructor(private readonly o: BreakerOptions) {
    if (o.failureThreshold < 1) throw new Error('failureThreshold must be at least 1');
    this.cooldown = o.cooldownMs;
  }

  admit(): Admission {
    if (this.current === 'open') {
      if (this.o.clock.now() < this.retryAt()) return { admitted: false, retryAt: this.retryAt() };
      this.current = 'half_open';
    }
    if (this.current === 'half_open') {
      if (this.probing) return { admitted: false, retryAt: this.retryAt() };
      this.probing = true;
      return { admitted: true, probe: true };
    }
    return { admitted: true, probe: false };
  }

  /** Whether a call would be refused now, without claiming the probe. */
  refusesNow(): { retryAt: number } | undefined {
    const now = this.o.clock.now();
    if (this.current === 'open' && now < this.retryAt()) return { retryAt: this.retryAt() };
    if (this.current === 'half_open' && this.probing) return { retryAt: this.retryAt() };
    return undefined;
  }

  success(probe: boolean): void {
    this.consecutive = 0;
    if (probe) {
      this.probing = false;
      this.cooldown = this.o.cooldownMs;
      this.current = 'closed';
    }
  }

  failure(probe: boolean): void {
    this.consecutive++;
    if (probe) {
      this.probing = false;
      const max = this.o.cooldownMs * (this.o.maxCooldownFactor ?? 16);
      this.cooldown = Math.min(this.cooldown * 2, max);
      this.open();
      return;
    }
    // A call admitted before the breaker opened may fail after; it does not reopen it.
    if (this.current === 'closed' && this.consecutive >= this.o.failureThreshold) this.open();
  }

  status(): BreakerStatus {
    const refused = this.refusesNow();
    return {
      // An open breaker whose cooldown has passed admits the next call: report it half-open.
      state: this.current === 'open' && !refused ? 'half_open' : this.current,
      consecutiveFailures: this.consecutive,
      retryAt: this.current === 'closed' ? null : this.retryAt(),
      opened: this.openings,
    };
  }

  private retryAt(): number {
    return this.openedAt + this.cooldown;
  }

  private open(): void {
    this.openedAt = this.o.clock.now();
    this.openings++;
    this.current = 'open';
  }
}
