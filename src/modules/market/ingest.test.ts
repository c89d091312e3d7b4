import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { defaultSyntheticInstruments, paperInstruments } from './domain/catalogue.js';
import type { Candle, MarketEvent, Trade } from './domain/types.js';
import { MarketIngest } from './ingest.js';
import { expectValidCandle, quietLogger, RecordingFeed, T0 } from './market.fixtures.js';
import { SyntheticSource } from './source-synthetic.js';
import { MarketState } from './state.js';
import type { CandleWire, TickerWire } from './wire.js';

const MINUTE = 60_000;
const d = Decimal.parse;

function pipeline(o: {
  symbols?: string[];
  candles?: 'aggregate' | 'provided';
  speed?: number;
  backfillFrom?: number;
}) {
  const symbols = o.symbols ?? ['BTC/USDT', 'ETH/USDT'];
  const clock = new SimulatedClock(T0);
  const feed = new RecordingFeed();
  const logger = quietLogger();
  const state = new MarketState(
    paperInstruments().filter((i) => symbols.includes(i.symbol)),
    logger,
  );
  const written: Candle[] = [];
  const write = vi.fn(async (candles: readonly Candle[]) => void written.push(...candles));
  const ingest = new MarketIngest({
    write,
    feed,
    state,
    logger,
    candles: o.candles ?? 'aggregate',
  });
  state.live = ingest;
  const source = new SyntheticSource({
    instruments: defaultSyntheticInstruments().filter((s) => symbols.includes(s.instrument.symbol)),
    seed: 'ingest',
    startTime: T0,
    ...(o.backfillFrom === undefined ? {} : { backfillFrom: o.backfillFrom }),
    clock,
    speed: o.speed ?? 1,
  });
  return { clock, feed, state, ingest, source, written, write };
}

afterEach(() => vi.useRealTimers());

describe('market ingest on a simulated clock', () => {
  it('closes and writes every period of ten quiet-or-busy minutes, and only those', async () => {
    const p = pipeline({});
    p.clock.advance(10 * MINUTE);
    p.source.catchUp(p.ingest);
    await p.ingest.persist();

    for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
      const mine = (tf: string) =>
        p.written.filter((c) => c.symbol === symbol && c.timeframe === tf);
      // Market time reached 00:10:00.000, so minutes 00:00…00:09 and two 5m periods closed.
      expect(mine('1m').map((c) => (c.openTime - T0) / MINUTE)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      ]);
      expect(mine('5m')).toHaveLength(2);
      expect(mine('15m')).toHaveLength(0);
      for (const c of p.written) expectValidCandle(c, c.timeframe);
      // A 5m candle holds exactly its five minutes.
      const [first] = mine('5m');
      const minutes = mine('1m').slice(0, 5);
      expect(first!.volume.eq(minutes.reduce((a, c) => a.add(c.volume), Decimal.ZERO))).toBe(true);
      expect(first!.trades).toBe(minutes.reduce((a, c) => a + c.trades, 0));
      expect(first!.open.eq(minutes[0]!.open) && first!.close.eq(minutes[4]!.close)).toBe(true);
      // The running candle is served from memory, not written.
      const running = p.ingest.currentCandle('paper', symbol, '1m')!;
      expect(running.closed).toBe(false);
      expect(running.openTime).toBe(T0 + 10 * MINUTE);
    }
    // One batch for the whole flush.
    expect(p.write).toHaveBeenCalledTimes(1);
    expect(p.ingest.pendingCandles('paper', 'BTC/USDT', '1m')).toEqual([]);
  });

  it('publishes every trade and every closed candle, and keeps the view current', () => {
    const p = pipeline({ symbols: ['SOL/USDT'] });
    const seen: Trade[] = [];
    p.state.onTrade((t) => seen.push(t));
    p.state.onTrade(() => {
      throw new Error('a broken listener');
    });
    p.clock.advance(3 * MINUTE);
    p.source.catchUp(p.ingest);

    const trades = p.feed.on('md.trades.paper.SOL/USDT') as Array<{ price: string; ts: number }>;
    expect(trades.length).toBeGreaterThan(100);
    expect(seen).toHaveLength(trades.length);
    expect(typeof trades[0]!.price).toBe('string');
    expect(p.state.lastPrice('paper', 'SOL/USDT')!.toString()).toBe(trades.at(-1)!.price);
    const top = p.state.bookTop('paper', 'SOL/USDT')!;
    expect(top.bidPrice.lt(top.askPrice)).toBe(true);
    const closed = (p.feed.on('md.candles.paper.SOL/USDT.1m') as CandleWire[]).filter(
      (c) => c.closed,
    );
    expect(closed.map((c) => c.openTime)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
  });

  it('builds candles and tickers from history but offers none of its trades or quotes as live', async () => {
    vi.useFakeTimers();
    const p = pipeline({ symbols: ['BTC/USDT'], backfillFrom: T0 - 30 * MINUTE });
    const seen: Trade[] = [];
    p.state.onTrade((t) => seen.push(t));
    p.ingest.start();
    p.source.catchUp(p.ingest);
    // Half an hour of history up to the clock: its candles are written and published as
    // live ones are, but no trade or quote reached the feed, the listeners or the last price.
    await p.ingest.persist();
    const minutes = p.written.filter((c) => c.timeframe === '1m');
    expect(minutes.map((c) => (c.openTime - T0) / MINUTE)).toEqual(
      Array.from({ length: 30 }, (_, i) => i - 30),
    );
    expect(p.written.filter((c) => c.timeframe === '15m')).toHaveLength(2);
    expect(p.feed.on('md.candles.paper.BTC/USDT.1m')).toHaveLength(30);
    expect(p.feed.on('md.trades.')).toEqual([]);
    expect(p.feed.on('md.book.')).toEqual([]);
    expect(seen).toEqual([]);
    expect(p.state.lastPrice('paper', 'BTC/USDT')).toBeUndefined();
    // The tape and the 24 h ticker have them, and the ticker goes out at the switch.
    const recent = p.state.recentTrades('paper', 'BTC/USDT', 5);
    expect(recent).toHaveLength(5);
    expect(recent.at(-1)!.ts).toBeLessThanOrEqual(T0);
    expect(p.ingest.ticker('paper', 'BTC/USDT')!.last.eq(recent.at(-1)!.price)).toBe(true);
    vi.advanceTimersByTime(250);
    expect(p.feed.on('md.ticker.')).toHaveLength(1);

    // Live from here: the next minute's trades go everywhere.
    p.clock.advance(MINUTE);
    p.source.catchUp(p.ingest);
    const live = p.feed.on('md.trades.paper.BTC/USDT') as Array<{ ts: number }>;
    expect(live.length).toBeGreaterThan(10);
    expect(live.every((t) => t.ts > T0)).toBe(true);
    expect(seen).toHaveLength(live.length);
    expect(p.state.lastPrice('paper', 'BTC/USDT')).toBeDefined();
    void p.ingest.stop();
  });

  it('throttles tickers to one per interval per instrument and running candles to one per timeframe', () => {
    vi.useFakeTimers();
    const p = pipeline({ symbols: ['BTC/USDT'] });
    p.ingest.start();
    p.clock.advance(MINUTE / 2);
    p.source.catchUp(p.ingest);
    vi.advanceTimersByTime(250);
    p.clock.advance(MINUTE / 2);
    p.source.catchUp(p.ingest);
    vi.advanceTimersByTime(250);
    const tickers = p.feed.on('md.ticker.') as TickerWire[];
    expect(tickers).toHaveLength(2);
    expect(tickers[1]!.last).toBe(p.state.lastPrice('paper', 'BTC/USDT')!.toString());
    const running = (p.feed.on('md.candles.') as CandleWire[]).filter((c) => !c.closed);
    // 500 ms of timers: one snapshot of each of the six timeframes.
    expect(running.map((c) => c.timeframe)).toEqual(['1m', '5m', '15m', '1h', '4h', '1d']);
    void p.ingest.stop();
  });

  it('keeps a batch the database refused and writes it on the next attempt', async () => {
    const p = pipeline({ symbols: ['BTC/USDT'] });
    p.write.mockRejectedValueOnce(new Error('database down'));
    p.clock.advance(2 * MINUTE);
    p.source.catchUp(p.ingest);
    await expect(p.ingest.persist()).rejects.toThrow('database down');
    // Still served from memory while unwritten.
    expect(p.ingest.pendingCandles('paper', 'BTC/USDT', '1m')).toHaveLength(2);
    await p.ingest.persist();
    expect(p.written.filter((c) => c.timeframe === '1m')).toHaveLength(2);
  });

  it('takes provided klines as they are, rolls them up, and lets their close trades set the price', async () => {
    const p = pipeline({ symbols: ['BTC/USDT'], candles: 'provided' });
    const kline = (minute: number, close: string): Candle => ({
      venue: 'paper',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      openTime: T0 + minute * MINUTE,
      closeTime: T0 + (minute + 1) * MINUTE - 1,
      open: d('100'),
      high: d('110'),
      low: d('90'),
      close: d(close),
      volume: d('2'),
      quoteVolume: d('200'),
      trades: 3,
      closed: true,
    });
    for (let m = 0; m < 6; m++) {
      const c = kline(m, String(100 + m));
      const trade: MarketEvent = {
        kind: 'trade',
        venue: 'paper',
        symbol: 'BTC/USDT',
        id: `k${c.openTime}`,
        price: c.close,
        quantity: c.volume,
        side: 'buy',
        ts: c.closeTime,
      };
      p.ingest.event(trade);
      p.ingest.advance(trade.ts);
      p.ingest.event({ kind: 'candle', ...c, ts: c.closeTime + 1 });
      p.ingest.advance(c.closeTime + 1);
    }
    await p.ingest.persist();
    expect(p.written.filter((c) => c.timeframe === '1m')).toHaveLength(6);
    const [five] = p.written.filter((c) => c.timeframe === '5m');
    // Minutes 0–4: open of the first (100), close of the fifth (104), volume 5 × 2.
    expect([five!.open, five!.high, five!.low, five!.close, five!.volume].map(String)).toEqual([
      '100',
      '110',
      '90',
      '104',
      '10',
    ]);
    expect(five!.trades).toBe(15);
    expect(p.state.lastPrice('paper', 'BTC/USDT')!.toString()).toBe('105');
    // The close trades are not aggregated into candles a second time.
    expect(p.ingest.currentCandle('paper', 'BTC/USDT', '5m')!.volume.toString()).toBe('2');
  });
});
