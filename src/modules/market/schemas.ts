import { Type } from '@sinclair/typebox';
import { PAPER_VENUE } from './domain/catalogue.js';
import { TIMEFRAMES, type Timeframe } from './domain/types.js';
import { RECENT_TRADES } from './state.js';

const closed = { additionalProperties: false } as const;

const Dec = (description: string, example?: string) =>
  Type.String({
    pattern: '^-?\\d+(\\.\\d+)?$',
    description: `${description} (exact decimal as a string)`,
    ...(example ? { examples: [example] } : {}),
  });
const Ms = (description: string) =>
  Type.Integer({ minimum: 0, description: `${description}, epoch milliseconds` });
const NullableDec = (description: string) =>
  Type.Union([Dec(description), Type.Null()], { description });

const VenueId = (o: { default?: string } = {}) =>
  Type.String({
    minLength: 1,
    maxLength: 32,
    description: 'Venue id; `paper` is the simulated venue',
    ...o,
  });
const Venue = VenueId({ default: PAPER_VENUE });
const SymbolText = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'BASE/QUOTE; BTC-USDT and BTCUSDT are accepted too',
  examples: ['BTC/USDT'],
});
/**
 * One error naming the field, not six: a union of literals would make Ajv report a failure
 * per member.
 */
const TimeframeT = Type.Unsafe<Timeframe>({
  type: 'string',
  enum: [...TIMEFRAMES],
  default: '1m',
  description: `Candle length: ${TIMEFRAMES.join(', ')}`,
});

export const InstrumentsQuery = Type.Object({ venue: Type.Optional(VenueId()) }, closed);
export const InstrumentParams = Type.Object(
  {
    venue: VenueId(),
    symbol: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'BTC-USDT (a slash cannot stand in a path; BTC%2FUSDT and BTCUSDT work too)',
      examples: ['BTC-USDT'],
    }),
  },
  closed,
);
export const SymbolQuery = Type.Object({ symbol: SymbolText, venue: Venue }, closed);
export const CandlesQuery = Type.Object(
  {
    symbol: SymbolText,
    venue: Venue,
    timeframe: TimeframeT,
    from: Type.Optional(Ms('Earliest open time (inclusive)')),
    to: Type.Optional(Ms('Latest open time (inclusive)')),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
  },
  closed,
);

export const TradesQuery = Type.Object(
  {
    symbol: SymbolText,
    venue: Venue,
    limit: Type.Integer({
      minimum: 1,
      maximum: RECENT_TRADES,
      default: 50,
      description: `How many of the latest trades (at most ${RECENT_TRADES}, the number kept)`,
    }),
  },
  closed,
);

export const InstrumentT = Type.Object({
  venue: Type.String(),
  symbol: Type.String({ examples: ['BTC/USDT'] }),
  base: Type.String(),
  quote: Type.String(),
  tickSize: Dec('Smallest price increment', '0.01'),
  lotSize: Dec('Smallest quantity increment', '0.00001'),
  minQuantity: Dec('Smallest order quantity'),
  maxQuantity: Dec('Largest order quantity'),
  minNotional: Dec('Smallest price × quantity accepted', '5'),
  pricePrecision: Type.Integer({ description: 'Decimal places of prices' }),
  quantityPrecision: Type.Integer({ description: 'Decimal places of quantities' }),
  makerFee: Dec('Maker fee rate as a fraction', '0.001'),
  takerFee: Dec('Taker fee rate as a fraction', '0.001'),
  active: Type.Boolean(),
});

export const TickerT = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  last: Dec('Last trade price'),
  bid: NullableDec('Best bid; null until a quote is seen'),
  ask: NullableDec('Best ask; null until a quote is seen'),
  open24h: Dec('First trade price of the rolling 24 h window'),
  high24h: Dec('Highest trade price in 24 h'),
  low24h: Dec('Lowest trade price in 24 h'),
  change24h: Dec('last − open24h'),
  changePercent24h: Dec('change24h / open24h × 100, 2 places'),
  volume24h: Dec('Base-asset volume in 24 h'),
  quoteVolume24h: Dec('Quote-asset volume in 24 h'),
  ts: Ms('Time of the statistics'),
});

export const BookTopT = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  bidPrice: Dec('Best bid price'),
  bidSize: Dec('Quantity at the best bid'),
  askPrice: Dec('Best ask price'),
  askSize: Dec('Quantity at the best ask'),
  ts: Ms('Time of the quote'),
});

export const TradeT = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  id: Type.String({ description: "The source's trade id" }),
  price: Dec('Trade price'),
  quantity: Dec('Base-asset quantity'),
  side: Type.String({ enum: ['buy', 'sell'], description: 'Side of the aggressor' }),
  ts: Ms('Time of the trade'),
});

export const TradesT = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  trades: Type.Array(TradeT, { description: 'Oldest first' }),
});

export const CandleT = Type.Object({
  openTime: Ms('Start of the period'),
  closeTime: Ms('Last millisecond of the period'),
  open: Dec('First trade price'),
  high: Dec('Highest trade price'),
  low: Dec('Lowest trade price'),
  close: Dec('Last trade price'),
  volume: Dec('Base-asset volume'),
  quoteVolume: Dec('Quote-asset volume'),
  trades: Type.Integer(),
  closed: Type.Boolean({ description: 'False for the running candle, which may still change' }),
});

export const CandlesT = Type.Object({
  venue: Type.String(),
  symbol: Type.String(),
  timeframe: Type.String(),
  candles: Type.Array(CandleT, { description: 'Oldest first' }),
});
