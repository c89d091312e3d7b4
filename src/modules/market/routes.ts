import { Type } from '@sinclair/typebox';
import { validationError } from '../../core/errors.js';
import type { HttpServer } from '../../platform/http/index.js';
import type { Instrument } from './domain/instrument.js';
import type { Timeframe } from './domain/types.js';
import { noMarketData, unknownVenue } from './errors.js';
import * as S from './schemas.js';
import type { MarketService } from './service.js';
import { RECENT_TRADES } from './state.js';
import {
  bookTopToWire,
  candleToWire,
  instrumentToWire,
  tickerToWire,
  tradeToWire,
  type CandleWire,
} from './wire.js';

const tags = ['market'];

/**
 * Market data is public, as on every exchange: no credentials needed, the general rate-limit
 * budget applies per IP (and per user or key when a request carries them).
 */
export async function marketRoutes(app: HttpServer, svc: MarketService): Promise<void> {
  const view = svc.state;

  /** The instrument named by a request, with errors pointing at the field that is wrong. */
  const resolve = (venue: string, symbol: string, part: 'querystring' | 'params'): Instrument => {
    if (!view.venues().includes(venue)) throw unknownVenue(venue, `${part}:/venue`, view.venues());
    return view.requireInstrument(venue, symbol, `${part}:/symbol`);
  };

  app.get('/api/v1/market/instruments', {
    schema: {
      tags,
      summary: 'Instruments and their trading rules',
      querystring: S.InstrumentsQuery,
      response: { 200: Type.Array(S.InstrumentT) },
    },
    handler: async (req) => svc.listInstruments(req.query.venue).map(instrumentToWire),
  });

  app.get('/api/v1/market/instruments/:venue/:symbol', {
    schema: {
      tags,
      summary: 'One instrument (symbol as BTC-USDT in the path)',
      params: S.InstrumentParams,
      response: { 200: S.InstrumentT },
    },
    handler: async (req) =>
      instrumentToWire(resolve(req.params.venue, req.params.symbol, 'params')),
  });

  app.get('/api/v1/market/tickers', {
    schema: {
      tags,
      summary: 'Rolling 24 h tickers of every instrument that has traded',
      querystring: S.InstrumentsQuery,
      response: { 200: Type.Array(S.TickerT) },
    },
    handler: async (req) => {
      svc.listInstruments(req.query.venue);
      return view.tickersOf(req.query.venue).map(tickerToWire);
    },
  });

  app.get('/api/v1/market/ticker', {
    schema: {
      tags,
      summary: 'Rolling 24 h ticker of one instrument',
      querystring: S.SymbolQuery,
      response: { 200: S.TickerT },
    },
    handler: async (req) => {
      const i = resolve(req.query.venue, req.query.symbol, 'querystring');
      const t = view.ticker(i.venue, i.symbol);
      if (!t) throw noMarketData('no_ticker', i.venue, i.symbol);
      return tickerToWire(t);
    },
  });

  app.get('/api/v1/market/book', {
    schema: {
      tags,
      summary: 'Best bid and ask of one instrument',
      querystring: S.SymbolQuery,
      response: { 200: S.BookTopT },
    },
    handler: async (req) => {
      const i = resolve(req.query.venue, req.query.symbol, 'querystring');
      const b = view.bookTop(i.venue, i.symbol);
      if (!b) throw noMarketData('no_book_top', i.venue, i.symbol);
      return bookTopToWire(b);
    },
  });

  app.get('/api/v1/market/trades', {
    schema: {
      tags,
      summary: 'The latest trades of one instrument',
      description: `The most recent trades this server has seen, oldest first: what a trades tape shows before the live \`trades\` channel takes over. Only the last ${RECENT_TRADES} per instrument are kept, in memory, so this is no history: after a restart it starts again from the first new trade (on a synthetic market's first start, from its backfilled history).`,
      querystring: S.TradesQuery,
      response: { 200: S.TradesT },
    },
    handler: async (req) => {
      const i = resolve(req.query.venue, req.query.symbol, 'querystring');
      return {
        venue: i.venue,
        symbol: i.symbol,
        trades: view.recentTrades(i.venue, i.symbol, req.query.limit).map(tradeToWire),
      };
    },
  });

  app.get('/api/v1/market/candles', {
    schema: {
      tags,
      summary: 'Candle history with the running candle last',
      description:
        'Closed candles from storage and the running one (`closed: false`), oldest first. With `from`, the first `limit` candles from there; otherwise the latest `limit` up to `to`. Periods are aligned to UTC; a period without trades is a flat candle at the previous close.',
      querystring: S.CandlesQuery,
      response: { 200: S.CandlesT },
    },
    handler: async (req) => {
      const { venue, symbol, from, to, limit } = req.query;
      // Ajv has checked it against the enum; the type provider cannot see through Unsafe.
      const timeframe = req.query.timeframe as Timeframe;
      const i = resolve(venue, symbol, 'querystring');
      if (from !== undefined && to !== undefined && to < from)
        throw validationError('querystring:/to', 'must not be before from');
      const candles = await svc.candles({
        venue: i.venue,
        symbol: i.symbol,
        timeframe,
        from,
        to,
        limit,
      });
      return {
        venue: i.venue,
        symbol: i.symbol,
        timeframe,
        candles: candles.map((c): Omit<CandleWire, 'venue' | 'symbol' | 'timeframe'> => {
          const { venue: _v, symbol: _s, timeframe: _t, ...rest } = candleToWire(c);
          return rest;
        }),
      };
    },
  });
}
