import { Decimal, divRound } from '../../../core/decimal.js';
import type { BookTop, Ticker, Trade } from './types.js';

const MINUTE = 60_000;
/** The window is 1,440 one-minute buckets: the current (partial) minute and the 1,439 before it. */
const BUCKETS = 1440;
const PERCENT_PLACES = 2;

interface Bucket {
  readonly minute: number;
  readonly open: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
}

/** A monotonic deque entry: the extreme price seen in `minute`. */
interface Extreme {
  minute: number;
  price: Decimal;
}

/** Front-indexed queue; compacts occasionally so that pops stay O(1) amortized. */
class Queue<T> {
  items: T[] = [];
  head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  front(): T | undefined {
    return this.items[this.head];
  }
  back(): T | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }
  shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Rolling 24-hour statistics of one instrument, in constant amortized time per trade: volumes
 * are running sums over one-minute buckets (a bucket is subtracted when it leaves the window)
 * and high / low come from monotonic deques holding at most one entry per minute.
 *
 * The window has minute resolution, as exchange tickers do: at time `now` it holds the trades
 * of the current minute and of the 1,439 minutes before it. `open24h` is the first trade in the
 * window. With no trade in the window, open, high and low equal the last price and the volumes
 * are zero. Trades must arrive in non-decreasing `ts`; older ones are counted and ignored.
 */
export class RollingTicker {
  private readonly buckets = new Queue<Bucket>();
  private readonly highs = new Queue<Extreme>();
  private readonly lows = new Queue<Extreme>();
  private volume = Decimal.ZERO;
  private quoteVolume = Decimal.ZERO;
  private last: Decimal | undefined;
  private lastTs = Number.NEGATIVE_INFINITY;
  /** Latest time the window was moved to; a snapshot never claims an earlier time. */
  private horizon = Number.NEGATIVE_INFINITY;
  private bid: Decimal | null = null;
  private ask: Decimal | null = null;
  private late = 0;

  constructor(
    readonly venue: string,
    readonly symbol: string,
  ) {}

  get lateCount(): number {
    return this.late;
  }

  onTrade(t: Trade): void {
    if (t.ts < this.lastTs) {
      this.late++;
      return;
    }
    this.evict(t.ts);
    const minute = Math.floor(t.ts / MINUTE) * MINUTE;
    let b = this.buckets.back();
    if (!b || b.minute !== minute) {
      b = { minute, open: t.price, volume: Decimal.ZERO, quoteVolume: Decimal.ZERO };
      this.buckets.items.push(b);
    }
    const quote = t.price.mul(t.quantity);
    b.volume = b.volume.add(t.quantity);
    b.quoteVolume = b.quoteVolume.add(quote);
    this.volume = this.volume.add(t.quantity);
    this.quoteVolume = this.quoteVolume.add(quote);
    pushExtreme(this.highs, minute, t.price, (a, z) => a.gte(z));
    pushExtreme(this.lows, minute, t.price, (a, z) => a.lte(z));
    this.last = t.price;
    this.lastTs = t.ts;
  }

  onBookTop(top: BookTop): void {
    this.bid = top.bidPrice;
    this.ask = top.askPrice;
  }

  /**
   * The ticker at `now` (default: the latest time seen); undefined before the first trade.
   * Querying moves the window, so a trade stamped before an earlier query still counts but no
   * longer brings back minutes that query already dropped.
   */
  snapshot(now?: number): Ticker | undefined {
    const last = this.last;
    if (last === undefined) return undefined;
    const ts = Math.max(now ?? this.lastTs, this.lastTs, this.horizon);
    this.evict(ts);
    const open = this.buckets.front()?.open ?? last;
    const change = last.sub(open);
    return {
      venue: this.venue,
      symbol: this.symbol,
      last,
      bid: this.bid,
      ask: this.ask,
      open24h: open,
      high24h: this.highs.front()?.price ?? last,
      low24h: this.lows.front()?.price ?? last,
      change24h: change,
      changePercent24h: percent(change, open),
      volume24h: this.volume,
      quoteVolume24h: this.quoteVolume,
      ts,
    };
  }

  private evict(now: number): void {
    if (now > this.horizon) this.horizon = now;
    const first = Math.floor(now / MINUTE) * MINUTE - (BUCKETS - 1) * MINUTE;
    for (let b = this.buckets.front(); b && b.minute < first; b = this.buckets.front()) {
      this.volume = this.volume.sub(b.volume);
      this.quoteVolume = this.quoteVolume.sub(b.quoteVolume);
      this.buckets.shift();
    }
    while ((this.highs.front()?.minute ?? first) < first) this.highs.shift();
    while ((this.lows.front()?.minute ?? first) < first) this.lows.shift();
  }
}

/**
 * Keeps the deque's prices strictly ordered from the front: entries the new price dominates can
 * never be the extreme again, because they also leave the window sooner.
 */
function pushExtreme(
  q: Queue<Extreme>,
  minute: number,
  price: Decimal,
  dominates: (a: Decimal, z: Decimal) => boolean,
): void {
  const back = q.back();
  if (back && back.minute === minute && dominates(back.price, price)) return;
  while (q.size > 0 && dominates(price, q.back()!.price)) q.items.pop();
  q.items.push({ minute, price });
}

/** change / open × 100 rounded once, half-even, straight from the exact quotient. */
function percent(change: Decimal, open: Decimal): Decimal {
  if (open.isZero()) return Decimal.ZERO;
  const scaled = divRound(
    change.units * 100n * 10n ** BigInt(PERCENT_PLACES),
    open.units,
    'half-even',
  );
  return Decimal.fromUnits(scaled * 10n ** BigInt(18 - PERCENT_PLACES));
}

/** Tickers of many instruments, created on their first event. */
export class TickerBoard {
  private readonly tickers = new Map<string, RollingTicker>();

  onTrade(t: Trade): void {
    this.of(t.venue, t.symbol).onTrade(t);
  }

  onBookTop(top: BookTop): void {
    this.of(top.venue, top.symbol).onBookTop(top);
  }

  ticker(venue: string, symbol: string, now?: number): Ticker | undefined {
    return this.tickers.get(`${venue}\u0000${symbol}`)?.snapshot(now);
  }

  /** Every instrument that has traded, in first-seen order. */
  all(now?: number): Ticker[] {
    const out: Ticker[] = [];
    for (const t of this.tickers.values()) {
      const s = t.snapshot(now);
      if (s) out.push(s);
    }
    return out;
  }

  private of(venue: string, symbol: string): RollingTicker {
    const key = `${venue}\u0000${symbol}`;
    let t = this.tickers.get(key);
    if (!t) this.tickers.set(key, (t = new RollingTicker(venue, symbol)));
    return t;
  }
}
