import { Decimal } from '../../../core/decimal.js';
import { CsvLineError } from './errors.js';
import {
  TIMEFRAME_MS,
  timeframeOfLength,
  type Candle,
  type Timeframe,
  type Trade,
} from './types.js';

/**
 * Parsers for Binance public-data CSV files (data.binance.vision), spot market:
 *
 * - klines: open_time, open, high, low, close, volume, close_time, quote_asset_volume,
 *   number_of_trades, taker_buy_base_volume, taker_buy_quote_volume, ignore;
 * - trades: id, price, qty, quote_qty, time, is_buyer_maker, is_best_match.
 *
 * Files may start with a header row (recognized by a first field that is not a number). Spot
 * files dated from 2025-01-01 carry microsecond timestamps; each value is classified by
 * magnitude (below 10^14 it is milliseconds, that being the year 5138; from 10^14 to 10^17 it
 * is microseconds, 10^14 µs being 1973) and normalized to milliseconds, rounding down.
 *
 * Error policy: a line that does not parse stops the read with a `CsvLineError` naming the
 * line, the column and the reason, because a replay or backtest built on silently dropped data
 * gives wrong answers with no warning. A caller that prefers to keep going passes `onError`:
 * each bad line is then reported to it and skipped.
 */

/** A whole file as a string, or its lines (as `node:readline` yields them), sync or async. */
export type LineSource = string | Iterable<string> | AsyncIterable<string>;

export interface BinanceCsvOptions {
  readonly venue: string;
  /** Normalized symbol, e.g. `BTC/USDT` (the files only carry it in their names). */
  readonly symbol: string;
  /** Report-and-skip instead of throwing on a bad line. */
  readonly onError?: (error: CsvLineError) => void;
}

export interface BinanceKlineOptions extends BinanceCsvOptions {
  /** Expected interval; when absent it is inferred from each row's open and close times. */
  readonly timeframe?: Timeframe;
}

const KLINE_COLUMNS = [
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_asset_volume',
  'number_of_trades',
  'taker_buy_base_volume',
  'taker_buy_quote_volume',
  'ignore',
] as const;
const TRADE_COLUMNS = [
  'id',
  'price',
  'qty',
  'quote_qty',
  'time',
  'is_buyer_maker',
  'is_best_match',
] as const;

/** Thrown inside a row parser; the line parser adds the line number and text. */
class RowError extends Error {
  constructor(
    readonly column: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

type Row<C extends readonly string[]> = Record<C[number], string>;

/** Turns lines into values one at a time, counting physical lines (1-based, blanks included). */
export class CsvLineParser<T, C extends readonly string[] = readonly string[]> {
  private lineNo = 0;
  private seenData = false;

  constructor(
    private readonly columns: C,
    private readonly parseRow: (row: Row<C>) => T,
    private readonly onError?: (error: CsvLineError) => void,
  ) {}

  /** The value on this line, or undefined for a blank line, the header, or a reported bad line. */
  push(raw: string): T | undefined {
    this.lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return undefined;
    const fields = line.split(',');
    const firstContent = !this.seenData;
    this.seenData = true;
    if (firstContent && /^[A-Za-z_]/.test(fields[0]!.trim())) return undefined;
    try {
      if (fields.length !== this.columns.length) {
        throw new RowError(
          undefined,
          `expected ${this.columns.length} columns, found ${fields.length}`,
        );
      }
      const row = {} as Record<string, string>;
      this.columns.forEach((c, i) => (row[c] = fields[i]!.trim()));
      return this.parseRow(row as Row<C>);
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      const error = new CsvLineError(this.lineNo, e.column, e.message, line.slice(0, 200));
      if (!this.onError) throw error;
      this.onError(error);
      return undefined;
    }
  }
}

export function klineParser(
  opts: BinanceKlineOptions,
): CsvLineParser<Candle, typeof KLINE_COLUMNS> {
  return new CsvLineParser(KLINE_COLUMNS, (r) => parseKline(r, opts), opts.onError);
}

export function tradeParser(opts: BinanceCsvOptions): CsvLineParser<Trade, typeof TRADE_COLUMNS> {
  return new CsvLineParser(TRADE_COLUMNS, (r) => parseTrade(r, opts), opts.onError);
}

/** Spot klines from a file or its lines, as closed candles in file order. */
export function readBinanceKlines(
  source: LineSource,
  opts: BinanceKlineOptions,
): AsyncGenerator<Candle> {
  return readLines(source, klineParser(opts));
}

/** Spot trades from a file or its lines, in file order. */
export function readBinanceTrades(
  source: LineSource,
  opts: BinanceCsvOptions,
): AsyncGenerator<Trade> {
  return readLines(source, tradeParser(opts));
}

/** Synchronous forms for text already in memory (fixtures, uploads). */
export function parseBinanceKlines(text: string, opts: BinanceKlineOptions): Candle[] {
  return parseAll(text, klineParser(opts));
}

export function parseBinanceTrades(text: string, opts: BinanceCsvOptions): Trade[] {
  return parseAll(text, tradeParser(opts));
}

function parseAll<T>(text: string, parser: CsvLineParser<T>): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    const v = parser.push(line);
    if (v !== undefined) out.push(v);
  }
  return out;
}

async function* readLines<T>(source: LineSource, parser: CsvLineParser<T>): AsyncGenerator<T> {
  const lines = typeof source === 'string' ? source.split('\n') : source;
  for await (const line of lines) {
    const v = parser.push(line);
    if (v !== undefined) yield v;
  }
}

function parseKline(r: Row<typeof KLINE_COLUMNS>, opts: BinanceKlineOptions): Candle {
  const [openTime, unit] = timestamp(r.open_time, 'open_time');
  const closeTime = sameUnit(r.close_time, 'close_time', unit);
  const length = closeTime - openTime + 1;
  const timeframe = opts.timeframe ?? timeframeOfLength(length);
  if (timeframe === undefined) {
    throw new RowError('close_time', `a ${length} ms period is not a supported timeframe`);
  }
  if (TIMEFRAME_MS[timeframe] !== length) {
    throw new RowError('close_time', `a ${length} ms period is not ${timeframe}`);
  }
  if (openTime % length !== 0) throw new RowError('open_time', `is not aligned to ${timeframe}`);
  const open = decimal(r.open, 'open', 'positive');
  const high = decimal(r.high, 'high', 'positive');
  const low = decimal(r.low, 'low', 'positive');
  const close = decimal(r.close, 'close', 'positive');
  if (high.lt(Decimal.max(open, close)) || high.lt(low))
    throw new RowError('high', 'is below open, close or low');
  if (low.gt(Decimal.min(open, close))) throw new RowError('low', 'is above open or close');
  const volume = decimal(r.volume, 'volume', 'non-negative');
  const quoteVolume = decimal(r.quote_asset_volume, 'quote_asset_volume', 'non-negative');
  if (!/^\d+$/.test(r.number_of_trades))
    throw new RowError('number_of_trades', 'is not a whole number');
  decimal(r.taker_buy_base_volume, 'taker_buy_base_volume', 'non-negative');
  decimal(r.taker_buy_quote_volume, 'taker_buy_quote_volume', 'non-negative');
  return {
    venue: opts.venue,
    symbol: opts.symbol,
    timeframe,
    openTime,
    closeTime,
    open,
    high,
    low,
    close,
    volume,
    quoteVolume,
    trades: Number(r.number_of_trades),
    closed: true,
  };
}

function parseTrade(r: Row<typeof TRADE_COLUMNS>, opts: BinanceCsvOptions): Trade {
  if (!/^\d+$/.test(r.id)) throw new RowError('id', 'is not a whole number');
  const price = decimal(r.price, 'price', 'positive');
  const quantity = decimal(r.qty, 'qty', 'positive');
  decimal(r.quote_qty, 'quote_qty', 'non-negative');
  const [ts] = timestamp(r.time, 'time');
  const buyerIsMaker = bool(r.is_buyer_maker, 'is_buyer_maker');
  bool(r.is_best_match, 'is_best_match');
  return {
    venue: opts.venue,
    symbol: opts.symbol,
    id: r.id.replace(/^0+(?=\d)/, ''),
    price,
    quantity,
    // The maker was the buyer, so the taker, who crossed the spread, sold.
    side: buyerIsMaker ? 'sell' : 'buy',
    ts,
  };
}

type Unit = 'ms' | 'us';
const MICROS_FROM = 1e14;
const MICROS_UNTIL = 1e17;

function timestamp(text: string, column: string): [number, Unit] {
  if (!/^\d+$/.test(text)) throw new RowError(column, `"${text}" is not a timestamp`);
  const v = Number(text);
  if (v < MICROS_FROM) return [v, 'ms'];
  if (v < MICROS_UNTIL) return [Math.floor(v / 1000), 'us'];
  throw new RowError(column, `${text} is neither milliseconds nor microseconds since the epoch`);
}

function sameUnit(text: string, column: string, unit: Unit): number {
  const [v, u] = timestamp(text, column);
  if (u !== unit)
    throw new RowError(column, `is in ${u === 'us' ? 'micro' : 'milli'}seconds, unlike open_time`);
  return v;
}

function decimal(text: string, column: string, sign: 'positive' | 'non-negative'): Decimal {
  const d = Decimal.tryParse(text);
  if (d === undefined) throw new RowError(column, `"${text.slice(0, 40)}" is not a decimal number`);
  if (sign === 'positive' ? !d.isPositive() : d.isNegative())
    throw new RowError(column, `must be ${sign}`);
  return d;
}

function bool(text: string, column: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new RowError(column, `"${text.slice(0, 20)}" is neither True nor False`);
}
