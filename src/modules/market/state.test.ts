import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { Decimal } from '../../core/decimal.js';
import { paperInstruments } from './domain/catalogue.js';
import type { Candle, Ticker, Trade } from './domain/types.js';
import { quietLogger, T0 } from './market.fixtures.js';
import { MarketState, RECENT_TRADES } from './state.js';
import { normalizeSymbol, symbolOfBinanceFile } from './symbols.js';
import {
  bookTopFromWire,
  candleFromWire,
  candleToWire,
  tickerFromWire,
  tickerToWire,
  tradeFromWire,
  tradeToWire,
} from './wire.js';

const d = Decimal.parse;
const state = () => new MarketState(paperInstruments(), quietLogger());
const known = paperInstruments().map((i) => i.symbol);

const trade: Trade = {
  venue: 'paper',
  symbol: 'BTC/USDT',
  id: '7',
  price: d('97000.01'),
  quantity: d('0.00012'),
  side: 'sell',
  ts: T0,
};
const candle = (openTime: number, closed: boolean, close = '1'): Candle => ({
  venue: 'paper',
  symbol: 'BTC/USDT',
  timeframe: '1m',
  openTime,
  closeTime: openTime + 59_999,
  open: d('1'),
  high: d('2'),
  low: d('0.5'),
  close: d(close),
  volume: d('3'),
  quoteVolume: d('3.5'),
  trades: 4,
  closed,
});

describe('symbols', () => {
  it('accepts the slash, dash, underscore and Binance forms, in any case', () => {
    for (const s of ['BTC/USDT', 'btc-usdt', 'BTC_USDT', 'BTCUSDT', ' btcusdt '])
      expect(normalizeSymbol(s, known)).toBe('BTC/USDT');
    expect(normalizeSymbol('DOGEUSDT', known)).toBeUndefined();
    expect(normalizeSymbol('BTC/USDT/X', known)).toBeUndefined();
    expect(symbolOfBinanceFile('/data/ETHUSDT-trades-2024-03-01.csv')).toBe('ETHUSDT');
    expect(symbolOfBinanceFile('prices.csv')).toBeUndefined();
  });
});

describe('market state', () => {
  it('finds instruments by any accepted form and names the field of an unknown one', () => {
    const s = state();
    expect(s.requireInstrument('paper', 'eth-usdt').symbol).toBe('ETH/USDT');
    const err = (() => {
      try {
        s.requireInstrument('paper', 'DOGE/USDT', 'querystring:/symbol');
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toMatchObject({ kind: 'not_found', code: 'unknown_instrument' });
    expect(err!.fields).toEqual([
      { field: 'querystring:/symbol', message: 'is not an instrument of venue paper' },
    ]);
    expect(() => s.requireInstrument('binance', 'BTC/USDT')).toThrow(/venue "binance"/);
  });

  it('keeps a closed candle over a late running snapshot of the same period', () => {
    const s = state();
    s.applyCandle(candle(T0, false, '1'));
    s.applyCandle(candle(T0, true, '1.5'));
    s.applyCandle(candle(T0, false, '9'));
    expect(
      s.recentCandles('paper', 'BTC/USDT', '1m').map((c) => [c.closed, c.close.toString()]),
    ).toEqual([[true, '1.5']]);
    s.applyCandle(candle(T0 + 60_000, false, '2'));
    expect(s.recentCandles('paper', 'BTC/USDT', '1m')[0]!.openTime).toBe(T0 + 60_000);
    expect(s.recentCandles('paper', 'BTC/USDT', '5m')).toEqual([]);
  });
});

describe('wire forms', () => {
  it('round-trip exactly through JSON', () => {
    const json = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));
    expect(tradeFromWire(json(tradeToWire(trade)))).toEqual(trade);
    const c = candle(T0, true);
    expect(candleFromWire(json(candleToWire(c)))).toEqual(c);
    const t: Ticker = {
      venue: 'paper',
      symbol: 'BTC/USDT',
      last: d('2'),
      bid: null,
      ask: d('2.01'),
      open24h: d('1'),
      high24h: d('2'),
      low24h: d('1'),
      change24h: d('1'),
      changePercent24h: d('100'),
      volume24h: d('5'),
      quoteVolume24h: d('7.5'),
      ts: T0,
    };
    expect(tickerFromWire(json(tickerToWire(t)))).toEqual(t);
    expect(tradeToWire(trade).price).toBe('97000.01');
  });

  it('refuses malformed messages rather than pricing on them', () => {
    const w = tradeToWire(trade);
    expect(tradeFromWire({ ...w, price: 97000.01 })).toBeUndefined();
    expect(tradeFromWire({ ...w, price: '1e5' })).toBeUndefined();
    expect(tradeFromWire({ ...w, side: 'long' })).toBeUndefined();
    expect(tradeFromWire({ ...w, ts: '1' })).toBeUndefined();
    expect(tradeFromWire(null)).toBeUndefined();
    expect(bookTopFromWire({ venue: 'paper' })).toBeUndefined();
    expect(candleFromWire({ ...candleToWire(candle(T0, true)), timeframe: '7m' })).toBeUndefined();
  });
});

describe('recent trades', () => {
  it('keeps the last RECENT_TRADES per instrument, oldest first; history does not set the price', () => {
    const s = state();
    const at = (n: number, symbol = 'BTC/USDT'): Trade => ({
      ...trade,
      symbol,
      id: String(n),
      ts: T0 + n,
    });
    expect(s.recentTrades('paper', 'BTC/USDT')).toEqual([]);
    s.recordTrade(at(0));
    expect(s.lastTrade('paper', 'BTC/USDT')).toBeUndefined();
    for (let n = 1; n <= RECENT_TRADES + 50; n++) s.applyTrade(at(n));
    s.applyTrade(at(1, 'ETH/USDT'));
    const kept = s.recentTrades('paper', 'BTC/USDT');
    expect(kept.map((t) => Number(t.id))).toEqual(
      Array.from({ length: RECENT_TRADES }, (_, i) => i + 51),
    );
    expect(s.recentTrades('paper', 'BTC/USDT', 3).map((t) => t.id)).toEqual(['248', '249', '250']);
    expect(s.recentTrades('paper', 'ETH/USDT').map((t) => t.symbol)).toEqual(['ETH/USDT']);
    expect(s.lastTrade('paper', 'BTC/USDT')!.id).toBe(String(RECENT_TRADES + 50));
  });
});
