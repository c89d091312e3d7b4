import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { defaultSyntheticInstruments } from './domain/catalogue.js';
import { SyntheticMarket } from './domain/synthetic.js';
import type { MarketEvent } from './domain/types.js';
import { T0 } from './market.fixtures.js';
import type { MarketSink } from './source.js';
import { SyntheticSource } from './source-synthetic.js';

class Collect implements MarketSink {
  events: MarketEvent[] = [];
  advances: number[] = [];
  /** Events delivered as history. */
  past: MarketEvent[] = [];
  replaying = false;
  event(e: MarketEvent) {
    this.events.push(e);
    if (this.replaying) this.past.push(e);
  }
  history(on: boolean) {
    this.replaying = on;
  }
  advance(ts: number) {
    this.advances.push(ts);
  }
  async pause() {}
}

const btc = defaultSyntheticInstruments().filter((s) => s.instrument.symbol === 'BTC/USDT');

describe('synthetic source', () => {
  it('runs market time at the configured multiple of the injected clock', () => {
    const clock = new SimulatedClock(T0 + 5_000);
    const source = new SyntheticSource({
      instruments: btc,
      seed: 's',
      startTime: T0,
      clock,
      speed: 60,
    });
    const sink = new Collect();
    source.catchUp(sink);
    // At creation the market stands at its start: only the opening quote is due.
    expect(sink.events.map((e) => e.kind)).toEqual(['book']);
    clock.advance(1_000);
    source.catchUp(sink);
    // One clock second at 60× is one market minute.
    expect(source.marketNow()).toBe(T0 + 60_000);
    expect(sink.advances.at(-1)).toBe(T0 + 60_001);
    expect(sink.events.at(-1)!.ts).toBeLessThanOrEqual(T0 + 60_000);
    expect(sink.events.length).toBeGreaterThan(100);
    expect(source.progress()).toMatchObject({
      events: sink.events.length,
      marketTime: T0 + 60_000,
    });
  });

  it('gives the same path for the same seed and start, and opens at the given price', () => {
    const run = (seed: string) => {
      const clock = new SimulatedClock(T0);
      const start = [{ ...btc[0]!, startPrice: Decimal.parse('50000') }];
      const s = new SyntheticSource({ instruments: start, seed, startTime: T0, clock, speed: 1 });
      const sink = new Collect();
      clock.advance(30_000);
      s.catchUp(sink);
      return sink.events;
    };
    const a = run('x@1');
    expect(JSON.stringify(run('x@1'))).toBe(JSON.stringify(a));
    expect(JSON.stringify(run('x@2'))).not.toBe(JSON.stringify(a));
    const first = a.find((e) => e.kind === 'trade')!;
    expect(
      first.kind === 'trade' &&
        first.price.sub(Decimal.parse('50000')).abs().lt(Decimal.parse('100')),
    ).toBe(true);
  });

  it('delivers in slices while running and stops when aborted', async () => {
    const clock = new SimulatedClock(T0);
    const source = new SyntheticSource({
      instruments: btc,
      seed: 's',
      startTime: T0,
      clock,
      speed: 1,
      intervalMs: 1,
    });
    const sink = new Collect();
    let pauses = 0;
    sink.pause = async () => void pauses++;
    const abort = new AbortController();
    clock.advance(5 * 60_000);
    const running = source.run(sink, abort.signal);
    while (sink.advances.at(-1) !== T0 + 5 * 60_000 + 1) await new Promise((r) => setTimeout(r, 1));
    abort.abort();
    await running;
    // Five minutes in one-minute slices: four pauses between five deliveries.
    expect(pauses).toBe(4);
    expect(sink.advances).toEqual([1, 2, 3, 4, 5].map((m) => T0 + m * 60_000 + 1));
  });
});

describe('synthetic source after a clock jump', () => {
  it('skips a gap too long to simulate, carrying on from the last prices', () => {
    const clock = new SimulatedClock(T0);
    const skipped: number[][] = [];
    const source = new SyntheticSource({
      instruments: btc,
      seed: 's',
      startTime: T0,
      clock,
      speed: 1,
      onSkip: (from, to) => skipped.push([from, to]),
    });
    const sink = new Collect();
    clock.advance(60_000);
    source.catchUp(sink);
    const before = sink.events.length;
    const last = sink.events.filter((e) => e.kind === 'trade').at(-1)!;
    clock.advance(24 * 3_600_000);
    source.catchUp(sink);
    expect(skipped).toEqual([[T0 + 60_000, T0 + 86_460_000]]);
    // Only the opening quote of the new path: nothing of the skipped day was generated.
    expect(sink.events.slice(before).map((e) => [e.kind, e.ts])).toEqual([
      ['book', T0 + 86_460_000],
    ]);
    expect(sink.advances.at(-1)).toBe(T0 + 86_460_001);
    clock.advance(10_000);
    source.catchUp(sink);
    const next = sink.events.slice(before).find((e) => e.kind === 'trade')!;
    const move = next.kind === 'trade' && last.kind === 'trade' && next.price.sub(last.price).abs();
    expect(move && move.lt(Decimal.parse('200'))).toBe(true);
  });
});

describe('synthetic source with a backfill', () => {
  const HOUR = 3_600_000;

  it('makes up the hours before its start as history, then carries on live on the same path', () => {
    const clock = new SimulatedClock(T0 + 2 * HOUR);
    const reports: Array<[number, boolean]> = [];
    const source = new SyntheticSource({
      instruments: btc,
      seed: 's',
      startTime: T0 + 2 * HOUR,
      backfillFrom: T0,
      clock,
      speed: 1,
      onSkip: () => expect.unreachable('history is not a clock jump'),
      onBackfill: (reached, done) => reports.push([reached, done]),
    });
    const sink = new Collect();
    source.catchUp(sink);
    expect(sink.replaying).toBe(false);
    expect(reports).toEqual([[T0 + 2 * HOUR, true]]);
    expect(source.progress().backfill).toEqual({ from: T0, to: T0 + 2 * HOUR, done: true });
    // Two hours of history, every event of them, up to the clock.
    expect(sink.past).toEqual(sink.events);
    expect(sink.past[0]!.ts).toBe(T0);
    expect(sink.past.at(-1)!.ts).toBeLessThanOrEqual(T0 + 2 * HOUR);
    expect(sink.past.filter((e) => e.kind === 'trade').length).toBeGreaterThan(10_000);
    clock.advance(60_000);
    source.catchUp(sink);
    const live = sink.events.slice(sink.past.length);
    expect(live.length).toBeGreaterThan(100);
    expect(live.every((e) => e.ts > T0 + 2 * HOUR)).toBe(true);
    // History and live are one path: exactly what the seeded market makes from T0 on.
    const whole = new SyntheticMarket({ seed: 's', startTime: T0, instruments: btc });
    expect(JSON.stringify(sink.events)).toBe(
      JSON.stringify(whole.advanceTo(T0 + 2 * HOUR + 60_000)),
    );
  });

  it('runs the history flat out in slices while running, then paces by the clock', async () => {
    const clock = new SimulatedClock(T0 + HOUR);
    const reports: Array<[number, boolean]> = [];
    const source = new SyntheticSource({
      instruments: btc,
      seed: 's',
      startTime: T0 + HOUR,
      backfillFrom: T0,
      clock,
      speed: 1,
      intervalMs: 1,
      onBackfill: (reached, done) => reports.push([reached, done]),
    });
    const sink = new Collect();
    const abort = new AbortController();
    const running = source.run(sink, abort.signal);
    while (!source.progress().backfill?.done) await new Promise((r) => setTimeout(r, 1));
    // One report per market minute of history, then the end.
    expect(reports).toHaveLength(61);
    expect(reports.at(-1)).toEqual([T0 + HOUR, true]);
    expect(sink.advances.slice(0, 2)).toEqual([T0 + 60_001, T0 + 120_001]);
    const past = sink.past.length;
    expect(past).toBe(sink.events.length);
    clock.advance(30_000);
    while (sink.advances.at(-1) !== T0 + HOUR + 30_001) await new Promise((r) => setTimeout(r, 1));
    abort.abort();
    await running;
    expect(sink.replaying).toBe(false);
    expect(sink.events.length).toBeGreaterThan(past);
    expect(sink.events.slice(past).every((e) => e.ts > T0 + HOUR)).toBe(true);
  });
});
