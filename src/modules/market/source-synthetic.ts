import type { Clock } from '../../core/clock.js';
import type { Decimal } from '../../core/decimal.js';
import type { SyntheticInstrument } from './domain/catalogue.js';
import { SyntheticMarket } from './domain/synthetic.js';
import type { MarketSink, MarketSource, SourceProgress } from './source.js';
import { pauseFor } from './timing.js';

export interface SyntheticSourceOptions {
  instruments: readonly SyntheticInstrument[];
  seed: string;
  /** Market time at creation (epoch ms), where pacing by the clock starts. */
  startTime: number;
  /**
   * Makes up history first: the market starts here, before `startTime`, runs flat out until
   * it has caught up with the clock, and only then goes live. Its events are history to the
   * sink (`MarketSink.history`).
   */
  backfillFrom?: number;
  clock: Clock;
  /** Market milliseconds per clock millisecond. */
  speed: number;
  /** How often the market is brought up to the clock; 100 ms looks continuous on a screen. */
  intervalMs?: number;
  /** Told when a gap too long to simulate is skipped. */
  onSkip?: (from: number, to: number) => void;
  /** Told the market time the backfill has reached, after each slice and once when it ends. */
  onBackfill?: (reached: number, done: boolean) => void;
}

/** Market time handed over per slice, so a long catch-up stays responsive. */
const SLICE_MS = 60_000;
/**
 * A gap longer than this (a suspended laptop, a test clock jumping a day) is not simulated: a
 * day of five instruments is 1.7 million events nobody watched. The path restarts at the new
 * time from the last prices, and the skipped periods close as flat candles.
 */
export const MAX_GAP_MS = 3_600_000;

/**
 * The seeded synthetic market, paced by the injected clock: market time is
 * `startTime + (clock - clock at creation) × speed`. On each tick it delivers every event up
 * to that time and then advances the sink to it, so quiet minutes close on time.
 *
 * With `backfillFrom` the same path begins earlier and is delivered as fast as the sink takes
 * it until it reaches the clock, then carries on paced: one path, so the history joins the
 * live market with neither a gap nor a repeated trade. The clock moves while the history
 * runs, so history is everything up to where the clock stands when it is reached; a market
 * paced faster than history can be made (an extreme MARKET_SPEED) stops catching up once it
 * is as far past `startTime` as it began before it, and the live loop skips what remains.
 */
export class SyntheticSource implements MarketSource {
  readonly kind = 'synthetic' as const;
  readonly candles = 'aggregate' as const;
  private market: SyntheticMarket;
  private readonly wallStart: number;
  private readonly from: number;
  private delivered: number;
  private backfilling: boolean;
  private events = 0;
  private readonly lastPrice = new Map<string, Decimal>();

  constructor(private readonly o: SyntheticSourceOptions) {
    this.from = Math.min(o.backfillFrom ?? o.startTime, o.startTime);
    this.market = this.marketFrom(this.from, o.seed);
    this.wallStart = o.clock.now();
    this.delivered = this.from;
    this.backfilling = this.from < o.startTime;
  }

  /** Market time now, by the clock. */
  marketNow(): number {
    return this.o.startTime + Math.floor((this.o.clock.now() - this.wallStart) * this.o.speed);
  }

  catchUp(sink: MarketSink): void {
    const target = this.marketNow();
    if (this.backfilling) {
      sink.history?.(true);
      this.deliverUntil(sink, target);
      return this.goLive(sink);
    }
    this.skipLongGap(target);
    this.deliverUntil(sink, target);
  }

  async run(sink: MarketSink, signal: AbortSignal): Promise<void> {
    if (this.backfilling) await this.backfill(sink, signal);
    while (!signal.aborted) {
      const target = this.marketNow();
      this.skipLongGap(target);
      while (this.delivered < target && !signal.aborted) {
        this.deliverUntil(sink, Math.min(target, this.delivered + SLICE_MS));
        if (this.delivered < target) await sink.pause();
      }
      if (!(await pauseFor(this.o.intervalMs ?? 100, signal))) return;
    }
  }

  progress(): SourceProgress {
    return {
      events: this.events,
      marketTime: this.delivered,
      done: false,
      ...(this.from < this.o.startTime
        ? { backfill: { from: this.from, to: this.o.startTime, done: !this.backfilling } }
        : {}),
    };
  }

  /** History a slice at a time, yielding between slices, until it reaches the clock. */
  private async backfill(sink: MarketSink, signal: AbortSignal): Promise<void> {
    sink.history?.(true);
    const limit = this.o.startTime + (this.o.startTime - this.from);
    // `catchUp` may finish the history while this waits in `pause`.
    while (this.backfilling && !signal.aborted) {
      const target = Math.min(this.marketNow(), limit);
      if (this.delivered >= target) return this.goLive(sink);
      this.deliverUntil(sink, Math.min(target, this.delivered + SLICE_MS));
      this.o.onBackfill?.(this.delivered, false);
      await sink.pause();
    }
  }

  private goLive(sink: MarketSink): void {
    if (!this.backfilling) return;
    this.backfilling = false;
    sink.history?.(false);
    this.o.onBackfill?.(this.delivered, true);
  }

  private deliverUntil(sink: MarketSink, until: number): void {
    if (until < this.delivered) return;
    for (const e of this.market.advanceTo(until)) {
      this.events++;
      if (e.kind === 'trade') this.lastPrice.set(e.symbol, e.price);
      sink.event(e);
    }
    this.delivered = until;
    sink.advance(until + 1);
  }

  private skipLongGap(target: number): void {
    if (target - this.delivered <= MAX_GAP_MS) return;
    this.o.onSkip?.(this.delivered, target);
    this.market = this.marketFrom(target, `${this.o.seed}@${target}`);
    this.delivered = target;
  }

  private marketFrom(startTime: number, seed: string): SyntheticMarket {
    const instruments = this.o.instruments.map((s) => {
      const last = this.lastPrice.get(s.instrument.symbol);
      return last ? { ...s, startPrice: last } : s;
    });
    return new SyntheticMarket({ seed, startTime, instruments });
  }
}
