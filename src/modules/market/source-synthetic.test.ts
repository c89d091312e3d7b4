import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { defaultSyntheticInstruments } from './domain/catalogue.js';
import type { MarketEvent } from './domain/types.js';
import { T0 } from './market.fixtures.js';
import type { MarketSink } from './source.js';
import { SyntheticSource } from './source-synthetic.js';

class Collect implements MarketSink {
  events: MarketEvent[] = [];
  advances: number[] = [];
  event(e: MarketEvent) {
    this.events.push(e);
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
