import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock, type Clock } from '../../core/clock.js';
import { CsvLineError } from './domain/errors.js';
import type { MarketEvent } from './domain/types.js';
import { FIXTURES } from './market.fixtures.js';
import type { MarketSink } from './source.js';
import { detectReplayKind, ReplaySource, type ReplayKind } from './source-replay.js';

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

const MAR_1 = Date.UTC(2024, 2, 1);
const source = (
  file: string,
  kind: ReplayKind,
  speed: number | 'max' = 'max',
  clock: Clock = new SimulatedClock(),
) =>
  new ReplaySource({
    file: join(FIXTURES, file),
    kind,
    venue: 'paper',
    symbol: 'BTC/USDT',
    speed,
    clock,
  });

describe('replay source', () => {
  it('tells klines from trades by their columns, header or not', () => {
    expect(detectReplayKind(join(FIXTURES, 'BTCUSDT-1m-2024-03-01.csv'))).toBe('klines');
    expect(detectReplayKind(join(FIXTURES, 'BTCUSDT-1m-2025-01-01.csv'))).toBe('klines');
    expect(detectReplayKind(join(FIXTURES, 'BTCUSDT-trades-2024-03-01.csv'))).toBe('trades');
    expect(detectReplayKind(join(FIXTURES, 'BTCUSDT-trades-2025-01-01.csv'))).toBe('trades');
  });

  it('delivers a trades file in order and closes its last minute at the end', async () => {
    const s = source('BTCUSDT-trades-2024-03-01.csv', 'trades');
    expect(s.candles).toBe('aggregate');
    const sink = new Collect();
    await s.run(sink, new AbortController().signal);
    expect(sink.events.map((e) => e.kind === 'trade' && e.id)).toEqual([
      '3454171001',
      '3454171002',
      '3454171003',
      '3454171004',
      '3454171005',
      '3454171006',
    ]);
    expect(sink.advances.at(-1)).toBe(MAR_1 + 60_000);
    const p = s.progress();
    expect(p).toMatchObject({ events: 6, done: true, marketTime: MAR_1 + 1530 });
    expect(p.bytesRead).toBe(p.totalBytes);
  });

  it('delivers klines as candles, each after a trade at its close (none for an empty minute)', async () => {
    const s = source('BTCUSDT-1m-2024-03-01.csv', 'klines');
    expect(s.candles).toBe('provided');
    const sink = new Collect();
    await s.run(sink, new AbortController().signal);
    const candles = sink.events.filter((e) => e.kind === 'candle');
    const trades = sink.events.filter((e) => e.kind === 'trade');
    expect(candles).toHaveLength(10);
    expect(trades).toHaveLength(9);
    const [t0, c0] = sink.events;
    expect(t0).toMatchObject({ kind: 'trade', ts: MAR_1 + 59_999, side: 'buy' });
    expect(t0?.kind === 'trade' && [t0.price.toString(), t0.quantity.toString()]).toEqual([
      '61153.99',
      '31.25684',
    ]);
    expect(c0).toMatchObject({ kind: 'candle', ts: MAR_1 + 60_000, openTime: MAR_1, closed: true });
  });

  it('stops at a malformed line, naming it', async () => {
    const s = source('BTCUSDT-trades-malformed.csv', 'trades');
    const sink = new Collect();
    const err = await s.run(sink, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvLineError);
    expect((err as CsvLineError).line).toBe(3);
    expect(sink.events).toHaveLength(2);
    expect(s.progress().done).toBe(false);
  });

  it('paces events by their market time at the given speed', async () => {
    // Nine minutes between the first and last kline at 6000× is 90 ms, never less.
    const s = source('BTCUSDT-1m-2024-03-01.csv', 'klines', 6000, systemClock);
    const started = Date.now();
    await s.run(new Collect(), new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('stops early when aborted', async () => {
    const s = source('BTCUSDT-1m-2024-03-01.csv', 'klines', 1, systemClock);
    const sink = new Collect();
    const abort = new AbortController();
    const running = s.run(sink, abort.signal);
    setTimeout(() => abort.abort(), 20);
    await running;
    // The first trade is due at once, the first candle one ms of market time later.
    expect(sink.events.length).toBeLessThanOrEqual(2);
    expect(s.progress().done).toBe(false);
  });
});
