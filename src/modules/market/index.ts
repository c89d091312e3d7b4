export { createMarketModule, type MarketModule, type MarketModuleDeps } from './module.js';
export {
  livePlan,
  marketConfig,
  replayPlan,
  type LivePlan,
  type MarketConfig,
  type ReplayPlan,
} from './config.js';
export { CcxtMarketSource, type CcxtSourceOptions } from './source-ccxt.js';
export type { CandleQuery, MarketService, MarketStatus } from './service.js';
export type { MarketView } from './state.js';
export type { SourceProgress } from './source.js';
export { normalizeSymbol } from './symbols.js';
export type { BookTopWire, CandleWire, InstrumentWire, TickerWire, TradeWire } from './wire.js';
export {
  bookTopToWire,
  candleToWire,
  instrumentToWire,
  tickerToWire,
  tradeToWire,
} from './wire.js';

// The domain other modules build on: the one market-data model, instruments, timeframes,
// candle building (backtests replay files through the same code) and the paper catalogue.
export {
  candleEvent,
  isTimeframe,
  parseTimeframe,
  periodStart,
  TIMEFRAME_MS,
  TIMEFRAMES,
  type AggressorSide,
  type BookTop,
  type BookTopEvent,
  type Candle,
  type CandleEvent,
  type MarketEvent,
  type MarketEventKind,
  type Ticker,
  type TickerEvent,
  type Timeframe,
  type Trade,
  type TradeEvent,
} from './domain/types.js';
export {
  assertValidInstrument,
  instrumentKey,
  makeInstrument,
  validateInstrument,
  type Instrument,
  type InstrumentId,
} from './domain/instrument.js';
export {
  defaultSyntheticInstruments,
  paperInstruments,
  PAPER_VENUE,
  type SyntheticInstrument,
} from './domain/catalogue.js';
export { SyntheticMarket, type SyntheticMarketConfig } from './domain/synthetic.js';
export { CandleAggregator, CandleRollup, rollupCandles } from './domain/candles.js';
export { RollingTicker, TickerBoard } from './domain/ticker.js';
export {
  parseBinanceKlines,
  parseBinanceTrades,
  readBinanceKlines,
  readBinanceTrades,
  type BinanceCsvOptions,
  type BinanceKlineOptions,
} from './domain/binance-csv.js';
export {
  mergeByTime,
  parseReplaySpeed,
  replay,
  ReplaySchedule,
  type ReplaySpeed,
} from './domain/replay.js';
export { CsvLineError, OutOfOrderError } from './domain/errors.js';
export { Rng, type Seed } from './domain/rng.js';
