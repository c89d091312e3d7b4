import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { expectValidCandle, FIXTURES, T0 } from '../src/modules/market/market.fixtures.js';
import { countCandles, listInstrumentRows } from '../src/modules/market/store.js';
import { tradeToWire, type CandleWire, type TradeWire } from '../src/modules/market/index.js';
import { Decimal } from '../src/core/decimal.js';
import type { App } from '../src/apps/app.js';
import { backends, freshDatabase } from './helpers/backends.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MAR_1 = Date.UTC(2024, 2, 1);
type Row = Omit<CandleWire, 'venue' | 'symbol' | 'timeframe'>;

const get = async (app: App, url: string) => app.http.inject({ method: 'GET', url });
const candles = async (app: App, query: string): Promise<Row[]> => {
  const res = await get(app, `/api/v1/market/candles?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { candles: Row[] }).candles;
};

describe.each(backends)('market data on $name', (backend) => {
  describe('the synthetic market on a simulated clock', () => {
    let t: TestApp;
    const clock = new SimulatedClock(T0);
    beforeAll(async () => {
      t = await startTestApp(backend, { clock, env: { MARKET_SOURCE: 'synthetic' } });
      clock.advance(20 * MINUTE);
      await t.app.market.service.sync();
    });
    afterAll(async () => t?.close());

    it('lists the instruments with their exact rules, and stores them', async () => {
      const res = await get(t.app, '/api/v1/market/instruments');
      expect(res.statusCode).toBe(200);
      const list = res.json() as Array<Record<string, unknown>>;
      expect(list.map((i) => i.symbol)).toEqual([
        'BTC/USDT',
        'ETH/USDT',
        'SOL/USDT',
        'BNB/USDT',
        'XRP/USDT',
      ]);
      expect(list[0]).toEqual({
        venue: 'paper',
        symbol: 'BTC/USDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '0.00001',
        minQuantity: '0.00001',
        maxQuantity: '9000',
        minNotional: '5',
        pricePrecision: 2,
        quantityPrecision: 5,
        makerFee: '0.001',
        takerFee: '0.001',
        active: true,
      });
      expect(list[4]).toMatchObject({ tickSize: '0.0001', lotSize: '0.1', pricePrecision: 4 });
      const one = await get(t.app, '/api/v1/market/instruments/paper/XRP-USDT');
      expect(one.json()).toEqual(list[4]);
      const rows = await listInstrumentRows(t.app.database.db, 'paper');
      expect(rows.map((r) => [r.symbol, Number(r.tick_size), r.active])).toContainEqual([
        'XRP/USDT',
        0.0001,
        true,
      ]);
    });

    it('answers unknown instruments and venues with a 404 naming the field', async () => {
      for (const url of [
        '/api/v1/market/instruments/paper/DOGE-USDT',
        '/api/v1/market/ticker?symbol=DOGE/USDT',
        '/api/v1/market/book?symbol=DOGEUSDT',
        '/api/v1/market/trades?symbol=DOGE-USDT',
        '/api/v1/market/candles?symbol=DOGE-USDT&timeframe=1m',
      ]) {
        const res = await get(t.app, url);
        expect(res.statusCode, url).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'unknown_instrument' });
        expect(res.json().errors[0].field).toMatch(/\/symbol$/);
      }
      const venue = await get(t.app, '/api/v1/market/ticker?symbol=BTC/USDT&venue=binance');
      expect(venue.statusCode).toBe(404);
      expect(venue.json()).toMatchObject({ code: 'unknown_venue' });
    });

    it('refuses a bad timeframe, limit or range with a 400 naming the field', async () => {
      const bad = async (query: string, field: string) => {
        const res = await get(t.app, `/api/v1/market/candles?symbol=BTC/USDT&${query}`);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([field]);
      };
      await bad('timeframe=7m', 'querystring:/timeframe');
      await bad('limit=1001', 'querystring:/limit');
      await bad('from=2000&to=1000', 'querystring:/to');
      await bad('from=yesterday', 'querystring:/from');
      const tooMany = await get(t.app, '/api/v1/market/trades?symbol=BTC/USDT&limit=201');
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().errors[0].field).toBe('querystring:/limit');
    });

    it('serves the latest trades, oldest first, up to the limit', async () => {
      const res = await get(t.app, '/api/v1/market/trades?symbol=ETH-USDT&limit=20');
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { venue: string; symbol: string; trades: TradeWire[] };
      expect(body).toMatchObject({ venue: 'paper', symbol: 'ETH/USDT' });
      expect(body.trades).toHaveLength(20);
      const times = body.trades.map((x) => x.ts);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(body.trades.at(-1)).toEqual(
        tradeToWire(t.app.market.view.lastTrade('paper', 'ETH/USDT')!),
      );
      expect(Object.keys(body.trades[0]!)).toEqual([
        'venue',
        'symbol',
        'id',
        'price',
        'quantity',
        'side',
        'ts',
      ]);
      // Without a limit, the default 50.
      const all = await get(t.app, '/api/v1/market/trades?symbol=ETHUSDT');
      expect(all.json().trades).toHaveLength(50);
    });

    it('serves the persisted closed candles and the running one, all well formed', async () => {
      expect(await countCandles(t.app.database.db, 'paper')).toBeGreaterThan(0);
      const minutes = await candles(t.app, 'symbol=BTC/USDT&timeframe=1m&limit=1000');
      expect(minutes.map((c) => (c.openTime - T0) / MINUTE)).toEqual(
        Array.from({ length: 21 }, (_, i) => i),
      );
      expect(minutes.map((c) => c.closed)).toEqual([...Array(20).fill(true), false]);
      // With MARKET_BACKFILL=0 a first start makes no history up: nothing before T0.
      expect(await candles(t.app, `symbol=BTC/USDT&timeframe=1m&to=${T0 - 1}`)).toEqual([]);
      expect(t.app.market.status().progress?.backfill).toBeUndefined();
      for (const c of minutes) expectValidCandle(c, '1m');
      const fives = await candles(t.app, 'symbol=BTC-USDT&timeframe=5m');
      expect(fives.filter((c) => c.closed)).toHaveLength(4);
      for (const c of fives) expectValidCandle(c, '5m');
      // The second 5m candle is exactly minutes 5 to 9.
      const part = minutes.slice(5, 10);
      expect(fives[1]).toMatchObject({
        open: part[0]!.open,
        close: part[4]!.close,
        trades: part.reduce((n, c) => n + c.trades, 0),
      });
      // Candles are stored, not only held in memory.
      expect(t.app.market.status()).toMatchObject({ source: 'synthetic', leading: true });
    });

    it('pages with from, to and limit, oldest first', async () => {
      const q = 'symbol=ETH/USDT&timeframe=1m';
      const first = await candles(t.app, `${q}&from=${T0 + 3 * MINUTE}&limit=2`);
      expect(first.map((c) => c.openTime)).toEqual([T0 + 3 * MINUTE, T0 + 4 * MINUTE]);
      const upTo = await candles(t.app, `${q}&to=${T0 + 3 * MINUTE}&limit=2`);
      expect(upTo.map((c) => c.openTime)).toEqual([T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
      const latest = await candles(t.app, `${q}&limit=3`);
      expect(latest.map((c) => c.openTime)).toEqual([18, 19, 20].map((m) => T0 + m * MINUTE));
    });

    it('serves tickers and book tops that move with the market', async () => {
      const before = (await get(t.app, '/api/v1/market/ticker?symbol=SOL/USDT')).json();
      expect(before.last).toMatch(/^\d+\.\d{1,2}$/);
      expect(Number(before.bid)).toBeLessThan(Number(before.ask));
      const book = (await get(t.app, '/api/v1/market/book?symbol=SOL-USDT')).json();
      expect(Object.keys(book)).toEqual([
        'venue',
        'symbol',
        'bidPrice',
        'bidSize',
        'askPrice',
        'askSize',
        'ts',
      ]);
      clock.advance(MINUTE);
      await t.app.market.service.sync();
      const after = (await get(t.app, '/api/v1/market/ticker?symbol=SOL/USDT')).json();
      expect(after.ts).toBeGreaterThan(before.ts);
      expect(after.volume24h).not.toBe(before.volume24h);
      const all = (await get(t.app, '/api/v1/market/tickers')).json() as unknown[];
      expect(all).toHaveLength(5);
    });

    it('documents the market routes in the OpenAPI document', async () => {
      const doc = (await get(t.app, '/docs/json')).json() as { paths: Record<string, unknown> };
      for (const p of [
        '/api/v1/market/instruments',
        '/api/v1/market/instruments/{venue}/{symbol}',
        '/api/v1/market/tickers',
        '/api/v1/market/ticker',
        '/api/v1/market/book',
        '/api/v1/market/candles',
        '/api/v1/market/trades',
      ])
        expect(doc.paths[p], p).toBeDefined();
    });
  });

  describe('replay of Binance files', () => {
    const replayApp = (file: string) =>
      startTestApp(backend, {
        env: {
          MARKET_SOURCE: 'replay',
          MARKET_REPLAY_FILE: join(FIXTURES, file),
          MARKET_REPLAY_SPEED: 'max',
        },
      });
    const finished = (app: App) =>
      waitFor(() => app.market.status().progress?.done, 10_000, { message: 'replay finished' });

    it('lands the klines as they are and rolls them up', async () => {
      const t = await replayApp('BTCUSDT-1m-2024-03-01.csv');
      try {
        await finished(t.app);
        await t.app.market.service.sync();
        const q = `symbol=BTC/USDT&from=${MAR_1}`;
        const minutes = await candles(t.app, `${q}&timeframe=1m`);
        expect(minutes).toHaveLength(10);
        expect(minutes[0]).toEqual({
          openTime: MAR_1,
          closeTime: MAR_1 + 59_999,
          open: '61130.99',
          high: '61171.01',
          low: '61085',
          close: '61153.99',
          volume: '31.25684',
          quoteVolume: '1910894.6494679',
          trades: 1452,
          closed: true,
        });
        // The empty minute stays as the file has it.
        expect(minutes[7]).toMatchObject({ volume: '0', trades: 0, close: '61131.87' });
        const fives = await candles(t.app, `${q}&timeframe=5m`);
        // After the file, market time stands at 00:10: the next period runs flat, untraded.
        expect(fives.pop()).toMatchObject({
          openTime: MAR_1 + 10 * MINUTE,
          closed: false,
          trades: 0,
        });
        // Minutes 0–4: high max(61171.01, 61200, 61190, 61125.5, 61099.99); volume
        // 31.25684 + 18.40122 + 22.1189 + 40.72213 + 15.00331; trades 1452+1033+1207+1788+906.
        expect(fives).toEqual([
          {
            openTime: MAR_1,
            closeTime: MAR_1 + 5 * MINUTE - 1,
            open: '61130.99',
            high: '61200',
            low: '61040.01',
            close: '61095.33',
            volume: '127.5024',
            quoteVolume: '7792935.79799255',
            trades: 6386,
            closed: true,
          },
          {
            // Minutes 5–9; the empty minute 7 adds nothing and its price is not a low.
            openTime: MAR_1 + 5 * MINUTE,
            closeTime: MAR_1 + 10 * MINUTE - 1,
            open: '61095.33',
            high: '61260.33',
            low: '61090',
            close: '61215.62',
            volume: '88.63366',
            quoteVolume: '5423351.88607153',
            trades: 4217,
            closed: true,
          },
        ]);
        const [quarter] = await candles(t.app, `${q}&timeframe=15m`);
        expect(quarter).toMatchObject({ closed: false, volume: '216.13606', trades: 10603 });
        const ticker = (await get(t.app, '/api/v1/market/ticker?symbol=BTCUSDT')).json();
        expect(ticker).toMatchObject({ last: '61215.62', bid: null, ask: null });
        // A file without quotes has no book.
        expect((await get(t.app, '/api/v1/market/book?symbol=BTCUSDT')).json()).toMatchObject({
          code: 'no_book_top',
        });
      } finally {
        await t.close();
      }
    });

    it('aggregates a trades file into candles', async () => {
      const t = await replayApp('BTCUSDT-trades-2024-03-01.csv');
      try {
        await finished(t.app);
        await t.app.market.service.sync();
        const [minute] = await candles(t.app, `symbol=BTC/USDT&timeframe=1m&from=${MAR_1}`);
        // Six trades in the first two seconds; quote volume Σ price × quantity:
        // 61.13099 + 1002.5484 + 20.17323 + 15282.7475 + 250.637018 + 6113.15.
        expect(minute).toEqual({
          openTime: MAR_1,
          closeTime: MAR_1 + 59_999,
          open: '61130.99',
          high: '61131.5',
          low: '61130.98',
          close: '61131.5',
          volume: '0.37183',
          quoteVolume: '22730.387138',
          trades: 6,
          closed: true,
        });
        expect(await countCandles(t.app.database.db, 'paper')).toBe(1);
      } finally {
        await t.close();
      }
    });
  });

  it('continues after a restart without rewriting the stored candles', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obscura-market-'));
    // The same database across both runs: a data folder, or one PostgreSQL database.
    const db = backend.databaseUrl ? await freshDatabase(backend) : undefined;
    const env = {
      MARKET_SOURCE: 'synthetic',
      MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
      ...(db ? {} : { DATA_DIR: dataDir }),
    };
    const history = async (app: App, timeframe: string) =>
      (await candles(app, `symbol=BTC/USDT&timeframe=${timeframe}&from=${T0}&limit=1000`)).filter(
        (c) => c.closed,
      );
    try {
      const clock1 = new SimulatedClock(T0);
      const first = await startTestApp(backend, { clock: clock1, env, ...(db ? { db } : {}) });
      clock1.advance(10 * MINUTE + 30_000);
      await first.app.market.service.sync();
      const before = await history(first.app, '1m');
      const beforeFives = await history(first.app, '5m');
      await first.close();
      expect(before).toHaveLength(10);

      // The second run's clock starts behind what is stored, as after a clock change or a
      // market that ran ahead: it must resume after the stored candles, not over them.
      const clock2 = new SimulatedClock(T0);
      const second = await startTestApp(backend, { clock: clock2, env, ...(db ? { db } : {}) });
      try {
        clock2.advance(10 * MINUTE);
        await second.app.market.service.sync();
        const after = await history(second.app, '1m');
        expect(after.slice(0, 10)).toEqual(before);
        expect(after.map((c) => (c.openTime - T0) / MINUTE)).toEqual(
          Array.from({ length: 20 }, (_, i) => i),
        );
        for (const c of after) expectValidCandle(c, '1m');
        // The price carries on from the last close instead of jumping back to the start.
        const gap = Math.abs(Number(after[10]!.open) / Number(before[9]!.close) - 1);
        expect(gap).toBeLessThan(0.005);
        const fives = await history(second.app, '5m');
        expect(fives.slice(0, 2)).toEqual(beforeFives);
        // The quarter hour spanning the restart holds the trades of both runs.
        const [quarter] = await history(second.app, '15m');
        expect(quarter!.trades).toBe(after.slice(0, 15).reduce((n, c) => n + c.trades, 0));
        expect(quarter!.open).toBe(after[0]!.open);
        expect(quarter!.close).toBe(after[14]!.close);
      } finally {
        await second.close();
      }
    } finally {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is not ready while it makes up its history, and says why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obscura-backfill-'));
    const db = backend.databaseUrl ? await freshDatabase(backend) : undefined;
    try {
      // A week of history takes far longer to make up than this test looks.
      const t = await startTestApp(backend, {
        clock: new SimulatedClock(T0 + 10 * HOUR),
        env: {
          MARKET_SOURCE: 'synthetic',
          MARKET_SYMBOLS: 'BTC/USDT',
          MARKET_BACKFILL: '7d',
          ...(db ? {} : { DATA_DIR: dataDir }),
        },
        ...(db ? { db } : {}),
      });
      try {
        const r = await get(t.app, '/ready');
        expect(r.statusCode).toBe(503);
        expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(r.json().detail).toMatch(/^market: making up the synthetic market's history/);
        expect(r.json().checks).toContainEqual(
          expect.objectContaining({ name: 'market', ok: false }),
        );
      } finally {
        await t.close();
      }
    } finally {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('makes up MARKET_BACKFILL of history on a first start, goes live where it ends, and never again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obscura-backfill-'));
    const db = backend.databaseUrl ? await freshDatabase(backend) : undefined;
    const env = {
      MARKET_SOURCE: 'synthetic',
      MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
      MARKET_BACKFILL: '3h',
      ...(db ? {} : { DATA_DIR: dataDir }),
    };
    const NOW = T0 + 10 * HOUR;
    const FROM = NOW - 3 * HOUR;
    const series = async (app: App, timeframe: string) =>
      candles(app, `symbol=BTC/USDT&timeframe=${timeframe}&from=${FROM}&limit=1000`);
    try {
      const clock1 = new SimulatedClock(NOW);
      const first = await startTestApp(backend, { clock: clock1, env, ...(db ? { db } : {}) });
      let stored: Row[];
      try {
        await waitFor(() => first.app.market.status().progress?.backfill?.done, 20_000, {
          message: 'backfill done',
        });
        expect(first.app.market.status().progress?.backfill).toEqual({
          from: FROM,
          to: NOW,
          done: true,
        });
        // Ready once live: a script that waits for /ready can trade at once.
        const ready = await get(first.app, '/ready');
        expect(ready.statusCode).toBe(200);
        expect(ready.json().checks).toContainEqual({ name: 'market', ok: true });
        // History is nobody's to trade: the paper venue and the view have no price yet...
        expect(first.app.trading.venue!.marks().size).toBe(0);
        expect(first.app.market.view.lastPrice('paper', 'BTC/USDT')).toBeUndefined();
        // ...but the tape has its latest trades.
        const tape = (await get(first.app, '/api/v1/market/trades?symbol=BTC/USDT&limit=5')).json()
          .trades as TradeWire[];
        expect(tape).toHaveLength(5);
        expect(tape.every((x) => x.ts >= FROM && x.ts <= NOW)).toBe(true);

        clock1.advance(90_000);
        await first.app.market.service.sync();
        // Live from the end of the history: the venue prices from live trades only.
        expect(first.app.market.view.lastTrade('paper', 'BTC/USDT')!.ts).toBeGreaterThan(NOW);
        await waitFor(() => first.app.trading.venue!.marks().get('BTC'), 5000, {
          message: 'the venue saw a live trade',
        });

        // Three hours and ninety seconds of minutes, every one, none before the history.
        const minutes = await series(first.app, '1m');
        stored = minutes.filter((c) => c.closed);
        expect(stored.map((c) => (c.openTime - FROM) / MINUTE)).toEqual(
          Array.from({ length: 181 }, (_, i) => i),
        );
        for (const c of minutes) expectValidCandle(c, '1m');
        expect(await candles(first.app, `symbol=BTC/USDT&timeframe=1m&to=${FROM - 1}`)).toEqual([]);
        // Longer timeframes are exactly their minutes, as when the market runs live.
        const rollup = (part: Row[]) => ({
          open: part[0]!.open,
          close: part.at(-1)!.close,
          high: part
            .map((m) => Decimal.parse(m.high))
            .reduce((a, b) => Decimal.max(a, b))
            .toString(),
          low: part
            .map((m) => Decimal.parse(m.low))
            .reduce((a, b) => Decimal.min(a, b))
            .toString(),
          volume: part.reduce((a, m) => a.add(Decimal.parse(m.volume)), Decimal.ZERO).toString(),
          trades: part.reduce((n, m) => n + m.trades, 0),
        });
        for (const [timeframe, n, count] of [
          ['5m', 5, 36],
          ['1h', 60, 3],
        ] as const) {
          const closed = (await series(first.app, timeframe)).filter((c) => c.closed);
          expect(closed, timeframe).toHaveLength(count);
          closed.forEach((c, k) => {
            expectValidCandle(c, timeframe);
            const part = stored.slice(k * n, (k + 1) * n);
            expect(c.openTime).toBe(part[0]!.openTime);
            expect({
              ...c,
              high: Decimal.parse(c.high).toString(),
              low: Decimal.parse(c.low).toString(),
              volume: Decimal.parse(c.volume).toString(),
            }).toMatchObject(rollup(part));
          });
        }
        expect(first.logs.text).toContain('market history backfilled');
      } finally {
        await first.close();
      }

      // A restart finds stored candles: it resumes after them and makes nothing up.
      const clock2 = new SimulatedClock(NOW + 2 * HOUR);
      const second = await startTestApp(backend, { clock: clock2, env, ...(db ? { db } : {}) });
      try {
        clock2.advance(MINUTE);
        await second.app.market.service.sync();
        expect(second.app.market.status().progress?.backfill).toBeUndefined();
        expect(second.logs.text).not.toMatch(/market#backfill|backfillFrom/);
        const after = (await series(second.app, '1m')).filter((c) => c.closed);
        expect(after.slice(0, stored.length)).toEqual(stored);
        expect(after[stored.length]!.openTime).toBe(NOW + 2 * HOUR);
      } finally {
        await second.close();
      }
    } finally {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  if (backend.name === 'postgres+redis') {
    it('runs the source in one process; the others follow the feed and take over', async () => {
      const db = await freshDatabase(backend);
      const env = {
        MARKET_SOURCE: 'synthetic',
        MARKET_SYMBOLS: 'BTC/USDT',
        REDIS_PREFIX: `obscura_t_${Date.now()}`,
      };
      const a = await startTestApp(backend, { db, env });
      const api = await startTestApp(backend, { db, env, role: 'api' });
      const standby = await startTestApp(backend, { db, env, role: 'worker' });
      try {
        expect(a.app.market.status().leading).toBe(true);
        expect(api.app.market.status().leading).toBe(false);
        expect(standby.app.market.status().leading).toBe(false);
        // The api process prices from the feed: the same last trade, and a ticker over HTTP.
        await waitFor(() => api.app.market.view.lastPrice('paper', 'BTC/USDT'), 5000);
        const res = await waitFor(async () => {
          const r = await get(api.app, '/api/v1/market/ticker?symbol=BTC/USDT');
          return r.statusCode === 200 && r;
        }, 5000);
        expect(res.json().last).toMatch(/^\d+(\.\d+)?$/);
        await a.close();
        await waitFor(() => standby.app.market.status().leading, 15_000, {
          message: 'the standby took over',
        });
        const seen = api.app.market.view.lastTrade('paper', 'BTC/USDT')!;
        await waitFor(() => api.app.market.view.lastTrade('paper', 'BTC/USDT') !== seen, 5000);
      } finally {
        await standby.close();
        await api.close();
        await a.close();
        await db.drop();
      }
    });
  }
});
