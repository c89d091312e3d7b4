export { FakeBinance, type FakeBinanceOptions, type RecordedRequest } from './fake-binance.js';
export { DEFAULT_SYMBOLS, type FakeOrder, type SymbolSpec } from './engine.js';
export { READ_ONLY, TRADE_ONLY, type ApiKey, type ApiRestrictions } from './signing.js';
