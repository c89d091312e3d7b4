import type { Exchange, Trade as CcxtTrade } from 'ccxt';
import type { Logger } from '../../platform/logging/logger.js';
import { decimalOf, type MarketAdapter } from './ccxt-exchange.js';
import type { Trade } from './domain/types.js';

export type Origin = 'stream' | 'poll' | 'backfill';

interface TradeState {
  lastSeq: bigint | undefined;
  lastTs: number | undefined;
  seen: Set<string>;
  order: string[];
  /** The stream was just resubscribed: what it missed meanwhile must be fetched. */
  resumed: boolean;
}

const SEEN_LIMIT = 5_000;
const PAGE = 1_000;
const MAX_PAGES = 10;

/**
 * Live trades per symbol, delivered once each and in order. On exchanges whose trade ids
 * are sequential a jump in ids is a gap; elsewhere a resubscription or a silence longer than
 * `gapMs` may hide one. Either way the trades since the last one delivered are fetched over
 * REST and delivered first, and the gap is logged and counted. Duplicates and trades older
 * than the last one delivered are dropped (and counted).
 */
export class LiveTrades {
  gaps = 0;
  unfilledGaps = 0;
  dropped = 0;
  private readonly states = new Map<string, TradeState>();

  constructor(
    private readonly d: {
      venue: string;
      exchange: string;
      adapter: MarketAdapter;
      logger: Logger;
      gapMs: number;
    },
  ) {}

  /** Time of the last trade delivered for `symbol`, where a REST poll resumes. */
  lastTs(symbol: string): number | undefined {
    return this.states.get(symbol)?.lastTs;
  }

  /** The stream was resubscribed: whatever it missed meanwhile is looked for. */
  resumed(symbol: string): void {
    this.state(symbol).resumed = true;
  }

  private state(symbol: string): TradeState {
    let s = this.states.get(symbol);
    if (!s) {
      s = { lastSeq: undefined, lastTs: undefined, seen: new Set(), order: [], resumed: false };
      this.states.set(symbol, s);
    }
    return s;
  }

  /** Delivers each new trade of `batch` in order, after any that a hole before it hid. */
  async onTrades(
    ex: Exchange,
    symbol: string,
    batch: readonly CcxtTrade[],
    origin: Origin,
    deliver: (t: Trade) => void,
  ): Promise<void> {
    const s = this.state(symbol);
    for (const raw of sortTrades(batch)) {
      const t = this.normalize(symbol, raw);
      if (!t || s.seen.has(t.id)) continue;
      const seq = this.seq(t.id);
      if (seq !== undefined && s.lastSeq !== undefined) {
        if (seq <= s.lastSeq) continue;
        if (seq > s.lastSeq + 1n && origin !== 'backfill') {
          await this.backfill(ex, symbol, deliver, `trade ids jumped from ${s.lastSeq} to ${seq}`, {
            untilSeq: seq,
          });
        }
      } else if (s.lastTs !== undefined) {
        if (t.ts < s.lastTs) {
          this.dropped++;
          continue;
        }
        const silent = t.ts - s.lastTs > this.d.gapMs;
        if (origin === 'stream' && (s.resumed || silent)) {
          await this.backfill(
            ex,
            symbol,
            deliver,
            s.resumed ? 'stream resubscribed' : 'stream went silent',
            {
              untilTs: t.ts,
            },
          );
        }
      }
      s.resumed = false;
      if (!s.seen.has(t.id)) this.record(t, s, deliver);
    }
  }

  /** Fetches the trades between the last one delivered and the first one after the hole. */
  private async backfill(
    ex: Exchange,
    symbol: string,
    deliver: (t: Trade) => void,
    reason: string,
    until: { untilSeq?: bigint; untilTs?: number },
  ): Promise<void> {
    const s = this.state(symbol);
    this.gaps++;
    this.d.logger.warn(
      { at: 'market#ccxt', exchange: this.d.exchange, symbol, reason, since: s.lastTs },
      'possible gap in trades; backfilling from REST',
    );
    let since = s.lastTs;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const got = sortTrades(await ex.fetchTrades(symbol, since, PAGE));
        let done = got.length < PAGE;
        for (const raw of got) {
          const t = this.normalize(symbol, raw);
          if (!t || s.seen.has(t.id)) continue;
          const seq = this.seq(t.id);
          if (until.untilSeq !== undefined && seq !== undefined && seq >= until.untilSeq) {
            done = true;
            break;
          }
          if (until.untilTs !== undefined && t.ts > until.untilTs) {
            done = true;
            break;
          }
          if (seq !== undefined && s.lastSeq !== undefined && seq <= s.lastSeq) continue;
          if (s.lastTs !== undefined && t.ts < s.lastTs) continue;
          this.record(t, s, deliver);
        }
        const last = got.at(-1)?.timestamp;
        if (done || last === undefined || last === since) break;
        since = last;
      }
    } catch (err) {
      const text = err instanceof Error ? err.message.replace(/\?\S*/g, '?…') : String(err);
      this.d.logger.warn(
        { at: 'market#ccxt', exchange: this.d.exchange, symbol, error: text },
        'backfill failed',
      );
    }
    if (
      until.untilSeq !== undefined &&
      s.lastSeq !== undefined &&
      s.lastSeq + 1n < until.untilSeq
    ) {
      this.unfilledGaps++;
      this.d.logger.error(
        {
          at: 'market#ccxt',
          exchange: this.d.exchange,
          symbol,
          from: String(s.lastSeq),
          to: String(until.untilSeq),
        },
        'trades missing after the backfill',
      );
    }
  }

  private record(t: Trade, s: TradeState, deliver: (t: Trade) => void): void {
    s.seen.add(t.id);
    s.order.push(t.id);
    if (s.order.length > SEEN_LIMIT) s.seen.delete(s.order.shift()!);
    const seq = this.seq(t.id);
    if (seq !== undefined && (s.lastSeq === undefined || seq > s.lastSeq)) s.lastSeq = seq;
    s.lastTs = Math.max(s.lastTs ?? t.ts, t.ts);
    deliver(t);
  }

  private normalize(symbol: string, raw: CcxtTrade): Trade | undefined {
    const info = (raw.info ?? {}) as Record<string, unknown>;
    const exact = this.d.adapter.exactTrade?.(info);
    const price = decimalOf(exact?.price) ?? decimalOf(raw.price);
    const quantity = decimalOf(exact?.amount) ?? decimalOf(raw.amount);
    const ts = raw.timestamp;
    if (!price || !quantity || ts === undefined || !price.isPositive()) return undefined;
    return {
      venue: this.d.venue,
      symbol,
      id: raw.id !== undefined ? String(raw.id) : `${ts}:${price}:${quantity}`,
      price,
      quantity,
      side: raw.side === 'sell' ? 'sell' : 'buy',
      ts,
    };
  }

  private seq(id: string): bigint | undefined {
    return this.d.adapter.sequentialTradeIds && /^\d{1,30}$/.test(id) ? BigInt(id) : undefined;
  }
}

/**
 * Trades in time order, and by id within one millisecond. CCXT sorts by timestamp and then
 * by id as text, which puts trade 10 before trade 7.
 */
function sortTrades(list: readonly CcxtTrade[]): CcxtTrade[] {
  const num = (id: unknown) =>
    typeof id === 'string' && /^\d{1,30}$/.test(id) ? BigInt(id) : undefined;
  return [...list].sort((a, b) => {
    const dt = (a.timestamp ?? 0) - (b.timestamp ?? 0);
    if (dt !== 0) return dt;
    const x = num(a.id);
    const y = num(b.id);
    return x === undefined || y === undefined ? 0 : x < y ? -1 : x > y ? 1 : 0;
  });
}
