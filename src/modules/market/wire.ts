import { Decimal } from '../../core/decimal.js';
import type { Instrument } from './domain/instrument.js';
import {
  isTimeframe,
  type AggressorSide,
  type BookTop,
  type Candle,
  type Ticker,
  type Trade,
} from './domain/types.js';

/**
 * Market data as it travels: on the live feed, over HTTP and WebSocket. Decimals are strings
 * (never floats), times are epoch milliseconds. The feed carries exactly these shapes whether
 * it is in-process or Redis, so a subscriber never learns which one delivered.
 */
export interface TradeWire {
  venue: string;
  symbol: string;
  id: string;
  price: string;
  quantity: string;
  side: 'buy' | 'sell';
  ts: number;
}

export interface BookTopWire {
  venue: string;
  symbol: string;
  bidPrice: string;
  bidSize: string;
  askPrice: string;
  askSize: string;
  ts: number;
}

export interface TickerWire {
  venue: string;
  symbol: string;
  last: string;
  bid: string | null;
  ask: string | null;
  open24h: string;
  high24h: string;
  low24h: string;
  change24h: string;
  changePercent24h: string;
  volume24h: string;
  quoteVolume24h: string;
  ts: number;
}

export interface CandleWire {
  venue: string;
  symbol: string;
  timeframe: string;
  openTime: number;
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  trades: number;
  closed: boolean;
}

export interface InstrumentWire {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  maxQuantity: string;
  minNotional: string;
  pricePrecision: number;
  quantityPrecision: number;
  makerFee: string;
  takerFee: string;
  active: boolean;
}

const s = (d: Decimal) => d.toString();

export const tradeToWire = (t: Trade): TradeWire => ({
  venue: t.venue,
  symbol: t.symbol,
  id: t.id,
  price: s(t.price),
  quantity: s(t.quantity),
  side: t.side,
  ts: t.ts,
});

export const bookTopToWire = (b: BookTop): BookTopWire => ({
  venue: b.venue,
  symbol: b.symbol,
  bidPrice: s(b.bidPrice),
  bidSize: s(b.bidSize),
  askPrice: s(b.askPrice),
  askSize: s(b.askSize),
  ts: b.ts,
});

export const tickerToWire = (t: Ticker): TickerWire => ({
  venue: t.venue,
  symbol: t.symbol,
  last: s(t.last),
  bid: t.bid === null ? null : s(t.bid),
  ask: t.ask === null ? null : s(t.ask),
  open24h: s(t.open24h),
  high24h: s(t.high24h),
  low24h: s(t.low24h),
  change24h: s(t.change24h),
  changePercent24h: s(t.changePercent24h),
  volume24h: s(t.volume24h),
  quoteVolume24h: s(t.quoteVolume24h),
  ts: t.ts,
});

export const candleToWire = (c: Candle): CandleWire => ({
  venue: c.venue,
  symbol: c.symbol,
  timeframe: c.timeframe,
  openTime: c.openTime,
  closeTime: c.closeTime,
  open: s(c.open),
  high: s(c.high),
  low: s(c.low),
  close: s(c.close),
  volume: s(c.volume),
  quoteVolume: s(c.quoteVolume),
  trades: c.trades,
  closed: c.closed,
});

export const instrumentToWire = (i: Instrument): InstrumentWire => ({
  venue: i.venue,
  symbol: i.symbol,
  base: i.base,
  quote: i.quote,
  tickSize: s(i.tickSize),
  lotSize: s(i.lotSize),
  minQuantity: s(i.minQuantity),
  maxQuantity: s(i.maxQuantity),
  minNotional: s(i.minNotional),
  pricePrecision: i.pricePrecision,
  quantityPrecision: i.quantityPrecision,
  makerFee: s(i.makerFee),
  takerFee: s(i.takerFee),
  active: i.active,
});

// ── Reading the feed back ───────────────────────────────────────────────────────────────────
// Another process (or version) wrote these, so each field is checked; a malformed message is
// dropped rather than let into the prices other modules trade on.

type Rec = Record<string, unknown>;
const rec = (x: unknown): Rec | undefined =>
  typeof x === 'object' && x !== null ? (x as Rec) : undefined;
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const num = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isSafeInteger(x) ? x : undefined;
const dec = (x: unknown): Decimal | undefined =>
  typeof x === 'string' ? Decimal.tryParse(x) : x instanceof Decimal ? x : undefined;
const decOrNull = (x: unknown): Decimal | null | undefined => (x === null ? null : dec(x));

function all<T extends Rec>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } | undefined {
  return Object.values(o).some((v) => v === undefined) ? undefined : (o as never);
}

export function tradeFromWire(x: unknown): Trade | undefined {
  const r = rec(x);
  const side = r?.side;
  if (!r || (side !== 'buy' && side !== 'sell')) return undefined;
  return all({
    venue: str(r.venue),
    symbol: str(r.symbol),
    id: str(r.id),
    price: dec(r.price),
    quantity: dec(r.quantity),
    side: side as AggressorSide,
    ts: num(r.ts),
  });
}

export function bookTopFromWire(x: unknown): BookTop | undefined {
  const r = rec(x);
  if (!r) return undefined;
  return all({
    venue: str(r.venue),
    symbol: str(r.symbol),
    bidPrice: dec(r.bidPrice),
    bidSize: dec(r.bidSize),
    askPrice: dec(r.askPrice),
    askSize: dec(r.askSize),
    ts: num(r.ts),
  });
}

export function tickerFromWire(x: unknown): Ticker | undefined {
  const r = rec(x);
  if (!r) return undefined;
  return all({
    venue: str(r.venue),
    symbol: str(r.symbol),
    last: dec(r.last),
    bid: decOrNull(r.bid),
    ask: decOrNull(r.ask),
    open24h: dec(r.open24h),
    high24h: dec(r.high24h),
    low24h: dec(r.low24h),
    change24h: dec(r.change24h),
    changePercent24h: dec(r.changePercent24h),
    volume24h: dec(r.volume24h),
    quoteVolume24h: dec(r.quoteVolume24h),
    ts: num(r.ts),
  });
}

export function candleFromWire(x: unknown): Candle | undefined {
  const r = rec(x);
  const tf = str(r?.timeframe);
  if (!r || tf === undefined || !isTimeframe(tf) || typeof r.closed !== 'boolean') return undefined;
  return all({
    venue: str(r.venue),
    symbol: str(r.symbol),
    timeframe: tf,
    openTime: num(r.openTime),
    closeTime: num(r.closeTime),
    open: dec(r.open),
    high: dec(r.high),
    low: dec(r.low),
    close: dec(r.close),
    volume: dec(r.volume),
    quoteVolume: dec(r.quoteVolume),
    trades: num(r.trades),
    closed: r.closed,
  });
}
