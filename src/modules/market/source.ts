import type { MarketEvent } from './domain/types.js';

/**
 * Where the running process hands a source's events. A source delivers in time order and
 * says how far its time has got, which is when candles may close: wall time has no say, so a
 * replay of 2024 and a market running 600× ahead close candles exactly as a live one does.
 */
export interface MarketSink {
  event(e: MarketEvent): void;
  /** Every event stamped before `ts` has been delivered: periods ending by `ts` may close. */
  advance(ts: number): void;
  /** Lets a source that runs flat out yield to the event loop and to the candle writer. */
  pause(): Promise<void>;
  /**
   * Whether the events that follow are history made up after the fact (a synthetic market's
   * backfill) rather than live: history builds candles and tickers, but nobody could have
   * traded against it, so it is not offered as trades or quotes. Events are live unless a
   * source says otherwise.
   */
  history?(on: boolean): void;
}

export interface SourceProgress {
  /** Events delivered so far. */
  events: number;
  /** Source time reached (epoch ms), if any event was delivered. */
  marketTime?: number;
  /** File sources: bytes read and the file's size. */
  bytesRead?: number;
  totalBytes?: number;
  done: boolean;
  /** A synthetic market's history made up on its first start: `[from, to)`, `to` its launch. */
  backfill?: { from: number; to: number; done: boolean };
  /** Live sources: possible gaps in trades seen (and backfilled), and those left unfilled. */
  gaps?: number;
  unfilledGaps?: number;
  /** Live sources: duplicate or out-of-order trades dropped. */
  dropped?: number;
  /** Live sources: stream resubscriptions after a failure. */
  reconnects?: number;
  /** Live sources: feeds (`trades:BTC/USDT`) currently polled over REST instead of streamed. */
  polling?: string[];
}

/**
 * A market-data source: synthetic, a replayed file, or a live exchange through CCXT.
 * Push-based, because the synthetic market is pulled on a timer, a replay waits between
 * events and a live exchange pushes; all end up calling the sink.
 */
export interface MarketSource {
  readonly kind: 'synthetic' | 'replay' | 'ccxt';
  /**
   * `aggregate`: candles are built from the source's trades. `provided`: the source delivers
   * closed candles (klines) and its trades only set the last price.
   */
  readonly candles: 'aggregate' | 'provided';
  /** Delivers until `signal` aborts or the source ends; rejects on bad input. */
  run(sink: MarketSink, signal: AbortSignal): Promise<void>;
  /** Synchronously delivers what the clock says is due now (clock-paced sources only). */
  catchUp?(sink: MarketSink): void;
  progress(): SourceProgress;
}
