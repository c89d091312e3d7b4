import type { Clock } from '../../core/clock.js';
import { decide, tightest } from './sliding-window.js';
import type { RateDecision, RateLimiter } from './types.js';

interface Slot {
  window: number;
  cur: number;
  prev: number;
}

/** Single-process limiter for the embedded build. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly slots = new Map<string, Slot>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock) {
    // Drop keys idle for two windows so memory tracks active clients, not every client ever seen.
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private slot(key: string, windowMs: number): Slot {
    const window = Math.floor(this.clock.now() / windowMs);
    let s = this.slots.get(key);
    if (!s) {
      s = { window, cur: 0, prev: 0 };
      this.slots.set(key, s);
    } else if (s.window !== window) {
      s.prev = s.window === window - 1 ? s.cur : 0;
      s.cur = 0;
      s.window = window;
    }
    return s;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const s = this.slot(`${key}|${windowMs}`, windowMs);
    const d = decide(s.prev, s.cur, limit, windowMs, this.clock.now(), true);
    if (d.counted) s.cur += 1;
    return d;
  }

  async hitMany(keys: string[], limit: number, windowSeconds: number): Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const now = this.clock.now();
    const slots = keys.map((k) => this.slot(`${k}|${windowMs}`, windowMs));
    const decisions = slots.map((s) => decide(s.prev, s.cur, limit, windowMs, now, true));
    const verdict = tightest(decisions, keys);
    if (verdict.allowed) for (const s of slots) s.cur += 1;
    return verdict;
  }

  async peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const s = this.slot(`${key}|${windowMs}`, windowMs);
    // As if counting, without counting: `allowed` says whether one more would be admitted.
    const d = decide(s.prev, s.cur, limit, windowMs, this.clock.now(), true);
    return { ...d, remaining: Math.max(0, d.remaining + (d.allowed ? 1 : 0)) };
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    this.slots.delete(`${key}|${windowSeconds * 1000}`);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, s] of this.slots) {
      const windowMs = Number(k.slice(k.lastIndexOf('|') + 1));
      if (Math.floor(now / windowMs) - s.window >= 2) this.slots.delete(k);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
