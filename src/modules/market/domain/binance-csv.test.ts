import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import {
  parseBinanceKlines,
  parseBinanceTrades,
  readBinanceKlines,
  readBinanceTrades,
} from './binance-csv.js';
import { rollupCandles } from './candles.js';
import { CsvLineError } from './errors.js';
import type { Candle } from './types.js';

const fixture = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);
const text = (name: string) => readFileSync(fixture(name), 'utf8');
const opts = { venue: 'binance', symbol: 'BTC/USDT' } as const;

const row = (c: Candle) => [
  new Date(c.openTime).toISOString(),
  c.closeTime - c.openTime + 1,
  c.open.toString(),
  c.high.toString(),
  c.low.toString(),
  c.close.toString(),
  c.volume.toString(),
  c.trades,
];

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

function caught(fn: () => unknown): CsvLineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CsvLineError) return e;
    throw e;
  }
  throw new Error('expected a CsvLineError');
}

describe('Binance spot klines', () => {
  it('reads a millisecond file without header as closed 1m candles', () => {
    const candles = parseBinanceKlines(text('BTCUSDT-1m-2024-03-01.csv'), opts);
    expect(candles).toHaveLength(10);
    expect(row(candles[0]!)).toEqual([
      '2024-03-01T00:00:00.000Z',
      60_000,
      '61130.99',
      '61171.01',
      '61085',
      '61153.99',
      '31.25684',
      1452,
    ]);
    expect(candles[0]!.quoteVolume.toString()).toBe('1910894.6494679');
    expect(candles.every((c) => c.timeframe === '1m' && c.closed && c.venue === 'binance')).toBe(
      true,
    );
    expect(candles[7]!.volume.isZero()).toBe(true);
  });

  it('reads a microsecond file with a header row and CRLF line ends, normalizing to milliseconds', () => {
    const candles = parseBinanceKlines(text('BTCUSDT-1m-2025-01-01.csv'), {
      ...opts,
      timeframe: '1m',
    });
    expect(candles.map(row)).toEqual([
      [
        '2025-01-01T00:00:00.000Z',
        60_000,
        '93576',
        '93610.93',
        '93537.5',
        '93610.93',
        '8.21827',
        1913,
      ],
      [
        '2025-01-01T00:01:00.000Z',
        60_000,
        '93610.93',
        '93652',
        '93590.01',
        '93645.12',
        '11.02433',
        2105,
      ],
      [
        '2025-01-01T00:02:00.000Z',
        60_000,
        '93645.12',
        '93650',
        '93580',
        '93599.99',
        '9.87011',
        1766,
      ],
    ]);
    // 1735689659999999 µs → 1735689659999 ms, the last millisecond of the minute.
    expect(candles[0]!.closeTime).toBe(Date.UTC(2025, 0, 1, 0, 1) - 1);
  });

  it('streams the same candles from a file read line by line', async () => {
    const lines = createInterface({
      input: createReadStream(fixture('BTCUSDT-1m-2024-03-01.csv')),
      crlfDelay: Infinity,
    });
    const streamed = await collect(readBinanceKlines(lines, opts));
    expect(JSON.stringify(streamed)).toBe(
      JSON.stringify(parseBinanceKlines(text('BTCUSDT-1m-2024-03-01.csv'), opts)),
    );
  });

  it('rolls the replayed minutes up into 5m candles, skipping the empty 00:07 minute', () => {
    const fives = rollupCandles(parseBinanceKlines(text('BTCUSDT-1m-2024-03-01.csv'), opts), '5m');
    // 00:00: volume 31.25684 + 18.40122 + 22.11890 + 40.72213 + 15.00331 = 127.5024, trades 6386
    // 00:05: volume 12.50034 + 0.04011 + 0 + 55.31870 + 20.77451 = 88.63366, trades 4217
    expect(fives.map(row)).toEqual([
      [
        '2024-03-01T00:00:00.000Z',
        300_000,
        '61130.99',
        '61200',
        '61040.01',
        '61095.33',
        '127.5024',
        6386,
      ],
      [
        '2024-03-01T00:05:00.000Z',
        300_000,
        '61095.33',
        '61260.33',
        '61090',
        '61215.62',
        '88.63366',
        4217,
      ],
    ]);
  });

  it.each([
    [
      'a high below the close',
      '1709251200000,10,9,8,9.5,1,1709251259999,10,1,0,0,0',
      'high',
      'is below open, close or low',
    ],
    [
      'a low above the open',
      '1709251200000,10,12,10.5,11,1,1709251259999,10,1,0,0,0',
      'low',
      'is above open or close',
    ],
    [
      'a negative volume',
      '1709251200000,10,12,9,11,-1,1709251259999,10,1,0,0,0',
      'volume',
      'must be non-negative',
    ],
    [
      'a 90-second period',
      '1709251200000,10,12,9,11,1,1709251289999,10,1,0,0,0',
      'close_time',
      'a 90000 ms period is not a supported timeframe',
    ],
    [
      'mixed units',
      '1709251200000,10,12,9,11,1,1709251259999999,10,1,0,0,0',
      'close_time',
      'is in microseconds, unlike open_time',
    ],
    [
      'an unaligned open',
      '1709251201000,10,12,9,11,1,1709251260999,10,1,0,0,0',
      'open_time',
      'is not aligned to 1m',
    ],
    [
      'a fractional trade count',
      '1709251200000,10,12,9,11,1,1709251259999,10,1.5,0,0,0',
      'number_of_trades',
      'is not a whole number',
    ],
    [
      'a nanosecond time',
      '1709251200000000000,10,12,9,11,1,1709251259999999999,10,1,0,0,0',
      'open_time',
      '1709251200000000000 is neither milliseconds nor microseconds since the epoch',
    ],
  ])('rejects %s with its line and column', (_, line, column, reason) => {
    const good = '1709251140000,10,12,9,11,1,1709251199999,10,1,0,0,0';
    const err = caught(() => parseBinanceKlines(`${good}\n${line}\n`, opts));
    expect([err.line, err.column, err.reason]).toEqual([2, column, reason]);
    expect(err.code).toBe('csv_invalid_line');
  });

  it('rejects a kline whose length contradicts the expected timeframe', () => {
    const err = caught(() =>
      parseBinanceKlines('1709251200000,10,12,9,11,1,1709251259999,10,1,0,0,0', {
        ...opts,
        timeframe: '5m',
      }),
    );
    expect(err.message).toBe('line 1, column close_time: a 60000 ms period is not 5m');
  });
});

describe('Binance spot trades', () => {
  it('reads millisecond trades, taking is_buyer_maker=True as a sell by the aggressor', () => {
    const trades = parseBinanceTrades(text('BTCUSDT-trades-2024-03-01.csv'), opts);
    expect(
      trades.map((t) => [t.id, t.price.toString(), t.quantity.toString(), t.side, t.ts]),
    ).toEqual([
      ['3454171001', '61130.99', '0.001', 'sell', 1709251200012],
      ['3454171002', '61131', '0.0164', 'buy', 1709251200012],
      ['3454171003', '61131', '0.00033', 'buy', 1709251200158],
      ['3454171004', '61130.99', '0.25', 'sell', 1709251200391],
      ['3454171005', '61130.98', '0.0041', 'sell', 1709251201007],
      ['3454171006', '61131.5', '0.1', 'buy', 1709251201530],
    ]);
  });

  it('reads microsecond trades behind a header row, rounding times down to the millisecond', async () => {
    const trades = await collect(readBinanceTrades(text('BTCUSDT-trades-2025-01-01.csv'), opts));
    expect(trades.map((t) => [t.id, t.side, t.ts])).toEqual([
      ['4344173561', 'buy', 1735689600012],
      ['4344173562', 'sell', 1735689600012],
      ['4344173563', 'buy', 1735689600999],
    ]);
  });

  it('stops at the first malformed line, naming line and column', () => {
    const err = caught(() => parseBinanceTrades(text('BTCUSDT-trades-malformed.csv'), opts));
    expect(err.message).toBe('line 3, column price: "61131.00.5" is not a decimal number');
    expect(err.text).toContain('3454171003,61131.00.5');
  });

  it('reports and skips malformed lines when asked to', async () => {
    const errors: CsvLineError[] = [];
    const trades = await collect(
      readBinanceTrades(text('BTCUSDT-trades-malformed.csv'), {
        ...opts,
        onError: (e) => errors.push(e),
      }),
    );
    expect(trades.map((t) => t.id)).toEqual([
      '3454171001',
      '3454171002',
      '3454171004',
      '3454171006',
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'line 3, column price: "61131.00.5" is not a decimal number',
      'line 5: expected 7 columns, found 6',
    ]);
  });

  it('accepts a header only as the first line, and counts blank lines', () => {
    const good = '1,100.5,1,100.5,1709251200012,false,true';
    expect(parseBinanceTrades(`\n${good}\n\n`, opts)).toHaveLength(1);
    const err = caught(() =>
      parseBinanceTrades(
        `${good}\n\nid,price,qty,quote_qty,time,is_buyer_maker,is_best_match`,
        opts,
      ),
    );
    expect([err.line, err.column]).toEqual([3, 'id']);
  });

  it.each([
    ['a zero price', '1,0,1,0,1709251200012,true,true', 'price', 'must be positive'],
    [
      'a yes/no flag',
      '1,1,1,1,1709251200012,yes,true',
      'is_buyer_maker',
      '"yes" is neither True nor False',
    ],
    ['a negative id', '-1,1,1,1,1709251200012,true,true', 'id', 'is not a whole number'],
    ['an exponent', '1,1e3,1,1,1709251200012,true,true', 'price', '"1e3" is not a decimal number'],
  ])('rejects %s', (_, line, column, reason) => {
    const err = caught(() => parseBinanceTrades(line, opts));
    expect([err.line, err.column, err.reason]).toEqual([1, column, reason]);
  });
});
