import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Decimal } from '../../core/decimal.js';
import type { Feed } from '../../platform/feed/types.js';
import { createLogger } from '../../platform/logging/logger.js';
import { TIMEFRAME_MS, type Candle, type Timeframe } from './domain/types.js';

/** Shared fixtures of the market module's tests and of test/market.test.ts. */

export const FIXTURES = fileURLToPath(new URL('./domain/__fixtures__/', import.meta.url));
export const T0 = Date.UTC(2026, 0, 1);
export const quietLogger = () => createLogger({ level: 'silent' });

/** A feed that records what is published and lets a test deliver messages to subscribers. */
export class RecordingFeed implements Feed {
  readonly kind = 'memory' as const;
  readonly messages: Array<{ channel: string; data: unknown }> = [];
  private readonly subs: Array<{ prefix: string; handler: (c: string, d: unknown) => void }> = [];

  publish(channel: string, data: unknown): void {
    this.messages.push({ channel, data });
  }

  subscribe(prefix: string, handler: (channel: string, data: unknown) => void): () => void {
    const sub = { prefix, handler };
    this.subs.push(sub);
    return () => void this.subs.splice(this.subs.indexOf(sub), 1);
  }

  /** Hands a message to the subscribers, as a message from another process would arrive. */
  deliver(channel: string, data: unknown): void {
    const copy: unknown = JSON.parse(JSON.stringify(data));
    for (const s of this.subs) if (channel.startsWith(s.prefix)) s.handler(channel, copy);
  }

  get subscribers(): number {
    return this.subs.length;
  }

  on(prefix: string): unknown[] {
    return this.messages.filter((m) => m.channel.startsWith(prefix)).map((m) => m.data);
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The invariants every candle keeps, whichever source and path it came through. */
export function expectValidCandle(
  c: Pick<Candle, 'openTime' | 'closeTime' | 'trades'> & {
    open: Decimal | string;
    high: Decimal | string;
    low: Decimal | string;
    close: Decimal | string;
    volume: Decimal | string;
    quoteVolume: Decimal | string;
  },
  timeframe: Timeframe,
): void {
  const d = (x: Decimal | string) => (typeof x === 'string' ? Decimal.parse(x) : x);
  const [open, high, low, close] = [d(c.open), d(c.high), d(c.low), d(c.close)];
  const len = TIMEFRAME_MS[timeframe];
  expect(c.openTime % len, 'aligned to its timeframe').toBe(0);
  expect(c.closeTime).toBe(c.openTime + len - 1);
  expect(low.lte(Decimal.min(open, close)), 'low ≤ open, close').toBe(true);
  expect(high.gte(Decimal.max(open, close)), 'high ≥ open, close').toBe(true);
  expect(d(c.volume).isNegative()).toBe(false);
  expect(d(c.quoteVolume).isNegative()).toBe(false);
  expect(c.trades === 0).toBe(d(c.volume).isZero());
}
