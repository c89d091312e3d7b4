import { sql, type Kysely } from 'kysely';
import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type { Instrument } from './domain/instrument.js';
import { TIMEFRAME_MS, type Candle, type Timeframe } from './domain/types.js';

/** Table `instruments` (migrations/0005_market.sql). Amounts cross the boundary as strings. */
export interface InstrumentRow {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  tick_size: string;
  lot_size: string;
  min_quantity: string;
  max_quantity: string;
  min_notional: string;
  maker_fee: string;
  taker_fee: string;
  price_precision: number;
  quantity_precision: number;
  active: boolean;
  updated_at: Date;
}

/** Table `candles`: closed candles only. */
export interface CandleRow {
  venue: string;
  symbol: string;
  timeframe: string;
  open_time: Date;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quote_volume: string;
  trades: number;
}

interface MarketTables {
  instruments: InstrumentRow;
  candles: CandleRow;
}

const q = (ex: Executor) => ex as unknown as Kysely<MarketTables>;

/** 12 parameters a row; PostgreSQL allows 65,535 per statement, so this leaves ample room. */
const CANDLES_PER_STATEMENT = 2000;

export async function upsertInstruments(
  ex: Executor,
  instruments: readonly Instrument[],
  at: Date,
): Promise<void> {
  if (!instruments.length) return;
  const rows: InstrumentRow[] = instruments.map((i) => ({
    venue: i.venue,
    symbol: i.symbol,
    base: i.base,
    quote: i.quote,
    tick_size: i.tickSize.toString(),
    lot_size: i.lotSize.toString(),
    min_quantity: i.minQuantity.toString(),
    max_quantity: i.maxQuantity.toString(),
    min_notional: i.minNotional.toString(),
    maker_fee: i.makerFee.toString(),
    taker_fee: i.takerFee.toString(),
    price_precision: i.pricePrecision,
    quantity_precision: i.quantityPrecision,
    active: i.active,
    updated_at: at,
  }));
  await q(ex)
    .insertInto('instruments')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['venue', 'symbol']).doUpdateSet((eb) => ({
        base: eb.ref('excluded.base'),
        quote: eb.ref('excluded.quote'),
        tick_size: eb.ref('excluded.tick_size'),
        lot_size: eb.ref('excluded.lot_size'),
        min_quantity: eb.ref('excluded.min_quantity'),
        max_quantity: eb.ref('excluded.max_quantity'),
        min_notional: eb.ref('excluded.min_notional'),
        maker_fee: eb.ref('excluded.maker_fee'),
        taker_fee: eb.ref('excluded.taker_fee'),
        price_precision: eb.ref('excluded.price_precision'),
        quantity_precision: eb.ref('excluded.quantity_precision'),
        active: eb.ref('excluded.active'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** Marks the venue's instruments outside `keep` inactive; their rows and history stay. */
export async function deactivateOthers(
  ex: Executor,
  venue: string,
  keep: readonly string[],
  at: Date,
): Promise<void> {
  let query = q(ex)
    .updateTable('instruments')
    .set({ active: false, updated_at: at })
    .where('venue', '=', venue)
    .where('active', '=', true);
  if (keep.length) query = query.where('symbol', 'not in', keep);
  await query.execute();
}

export async function listInstrumentRows(ex: Executor, venue?: string): Promise<InstrumentRow[]> {
  let query = q(ex).selectFrom('instruments').selectAll();
  if (venue !== undefined) query = query.where('venue', '=', venue);
  return query.orderBy('venue').orderBy('symbol').execute();
}

/**
 * Writes closed candles with one multi-row statement per chunk: PGlite commits about a
 * thousand single-row transactions a second but tens of thousands of rows in one statement.
 * A candle written again (a replayed file) takes the new values.
 */
export async function upsertCandles(ex: Executor, candles: readonly Candle[]): Promise<void> {
  for (let i = 0; i < candles.length; i += CANDLES_PER_STATEMENT) {
    const rows = candles.slice(i, i + CANDLES_PER_STATEMENT).map(candleRow);
    await q(ex)
      .insertInto('candles')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['venue', 'symbol', 'timeframe', 'open_time']).doUpdateSet((eb) => ({
          open: eb.ref('excluded.open'),
          high: eb.ref('excluded.high'),
          low: eb.ref('excluded.low'),
          close: eb.ref('excluded.close'),
          volume: eb.ref('excluded.volume'),
          quote_volume: eb.ref('excluded.quote_volume'),
          trades: eb.ref('excluded.trades'),
        })),
      )
      .execute();
  }
}

export interface CandleRange {
  venue: string;
  symbol: string;
  timeframe: Timeframe;
  /** Inclusive bounds on the open time, epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  /** `asc` takes the first `limit` from `from`; `desc` the latest `limit` up to `to`. */
  order: 'asc' | 'desc';
}

/** Candles of one series in a range, always returned oldest first. */
export async function findCandles(ex: Executor, r: CandleRange): Promise<Candle[]> {
  let query = q(ex)
    .selectFrom('candles')
    .selectAll()
    .where('venue', '=', r.venue)
    .where('symbol', '=', r.symbol)
    .where('timeframe', '=', r.timeframe);
  if (r.from !== undefined) query = query.where('open_time', '>=', new Date(r.from));
  if (r.to !== undefined) query = query.where('open_time', '<=', new Date(r.to));
  const rows = await query.orderBy('open_time', r.order).limit(r.limit).execute();
  if (r.order === 'desc') rows.reverse();
  return rows.map(candleOf);
}

/**
 * The newest stored candle of each timeframe of one series: where a restarted source must
 * resume so that it never writes over what is stored. One indexed probe per timeframe.
 */
export async function latestCandles(
  ex: Executor,
  venue: string,
  symbol: string,
  timeframes: readonly Timeframe[],
): Promise<Candle[]> {
  const out: Candle[] = [];
  for (const timeframe of timeframes) {
    const row = await q(ex)
      .selectFrom('candles')
      .selectAll()
      .where('venue', '=', venue)
      .where('symbol', '=', symbol)
      .where('timeframe', '=', timeframe)
      .orderBy('open_time', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) out.push(candleOf(row));
  }
  return out;
}

export async function countCandles(ex: Executor, venue: string): Promise<number> {
  const row = await q(ex)
    .selectFrom('candles')
    .select(sql<string>`count(*)`.as('n'))
    .where('venue', '=', venue)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function candleRow(c: Candle): CandleRow {
  return {
    venue: c.venue,
    symbol: c.symbol,
    timeframe: c.timeframe,
    open_time: new Date(c.openTime),
    open: c.open.toString(),
    high: c.high.toString(),
    low: c.low.toString(),
    close: c.close.toString(),
    volume: c.volume.toString(),
    quote_volume: c.quoteVolume.toString(),
    trades: c.trades,
  };
}

function candleOf(r: CandleRow): Candle {
  const timeframe = r.timeframe as Timeframe;
  const openTime = new Date(r.open_time).getTime();
  return {
    venue: r.venue,
    symbol: r.symbol,
    timeframe,
    openTime,
    closeTime: openTime + TIMEFRAME_MS[timeframe] - 1,
    open: Decimal.parse(r.open),
    high: Decimal.parse(r.high),
    low: Decimal.parse(r.low),
    close: Decimal.parse(r.close),
    volume: Decimal.parse(r.volume),
    quoteVolume: Decimal.parse(r.quote_volume),
    trades: Number(r.trades),
    closed: true,
  };
}
