import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Clock } from '../../core/clock.js';
import { readBinanceKlines, readBinanceTrades } from './domain/binance-csv.js';
import { replay, type ReplaySpeed } from './domain/replay.js';
import {
  candleEvent,
  periodStart,
  TIMEFRAME_MS,
  type Candle,
  type MarketEvent,
  type Trade,
  type TradeEvent,
} from './domain/types.js';
import type { MarketSink, MarketSource, SourceProgress } from './source.js';
import { pauseFor } from './timing.js';

export type ReplayKind = 'klines' | 'trades';

export interface ReplaySourceOptions {
  file: string;
  kind: ReplayKind;
  venue: string;
  symbol: string;
  speed: ReplaySpeed;
  clock: Clock;
}

/** Events between two looks at the event loop when replaying flat out. */
const BURST = 1000;

/**
 * A Binance public-data CSV file (spot klines or trades) replayed at a multiple of real time.
 *
 * Trades go through the same candle aggregation as synthetic ones. Klines are taken as the
 * candles they are (longer timeframes are rolled up from them), and each also yields one
 * trade at its close, stamped at the last millisecond of its period, for the quantity of its
 * volume: that trade sets the last price, feeds the 24 h ticker (whose high and low therefore
 * follow closes, not intra-candle extremes) and lets the paper venue fill against it. No book
 * top is invented: a file without quotes has none.
 *
 * At the end of a trades file its last minute is closed, taking the file to cover that minute
 * (Binance's daily files end on a day boundary); longer periods stay open.
 */
export class ReplaySource implements MarketSource {
  readonly kind = 'replay' as const;
  readonly candles: 'aggregate' | 'provided';
  private readonly totalBytes: number;
  private bytesRead = 0;
  private events = 0;
  private marketTime: number | undefined;
  private done = false;

  constructor(private readonly o: ReplaySourceOptions) {
    this.candles = o.kind === 'klines' ? 'provided' : 'aggregate';
    this.totalBytes = statSync(o.file).size;
  }

  async run(sink: MarketSink, signal: AbortSignal): Promise<void> {
    const stream = createReadStream(this.o.file);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const at = { venue: this.o.venue, symbol: this.o.symbol };
    const events =
      this.o.kind === 'klines'
        ? klineEvents(readBinanceKlines(lines, at))
        : tradeEvents(readBinanceTrades(lines, at));
    try {
      const paced = replay(events, {
        speed: this.o.speed,
        clock: this.o.clock,
        sleep: async (ms) => void (await pauseFor(ms, signal)),
        signal,
      });
      for await (const e of paced) {
        sink.event(e);
        sink.advance(e.ts);
        this.events++;
        this.marketTime = e.ts;
        this.bytesRead = stream.bytesRead;
        if (this.events % BURST === 0) await sink.pause();
      }
      if (signal.aborted) return;
      if (this.o.kind === 'trades' && this.marketTime !== undefined) {
        sink.advance(periodStart('1m', this.marketTime) + TIMEFRAME_MS['1m']);
      }
      this.bytesRead = this.totalBytes;
      this.done = true;
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  progress(): SourceProgress {
    return {
      events: this.events,
      ...(this.marketTime === undefined ? {} : { marketTime: this.marketTime }),
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      done: this.done,
    };
  }
}

async function* tradeEvents(trades: AsyncIterable<Trade>): AsyncGenerator<MarketEvent> {
  for await (const t of trades) yield { kind: 'trade', ...t };
}

async function* klineEvents(candles: AsyncIterable<Candle>): AsyncGenerator<MarketEvent> {
  for await (const c of candles) {
    if (c.volume.isPositive()) yield closeTrade(c);
    yield candleEvent(c);
  }
}

function closeTrade(c: Candle): TradeEvent {
  return {
    kind: 'trade',
    venue: c.venue,
    symbol: c.symbol,
    id: `k${c.openTime}`,
    price: c.close,
    quantity: c.volume,
    side: c.close.gte(c.open) ? 'buy' : 'sell',
    ts: c.closeTime,
  };
}

/**
 * Klines have 12 columns and trades 7, header or not, so the first line tells them apart
 * without trusting the file name.
 */
export function detectReplayKind(file: string): ReplayKind | undefined {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf
      .subarray(0, n)
      .toString('utf8')
      .split('\n')
      .find((l) => l.trim() !== '');
    const columns = first?.split(',').length;
    return columns === 12 ? 'klines' : columns === 7 ? 'trades' : undefined;
  } finally {
    closeSync(fd);
  }
}
