import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CcxtMarketSource,
  type CcxtSourceOptions,
  type MarketEvent,
} from '../src/modules/market/index.js';
import type { MarketSink } from '../src/modules/market/source.js';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { systemClock } from '../src/core/clock.js';
import { parseFragment } from '../src/platform/config/index.js';
import type { Database } from '../src/platform/db/index.js';
import { MemoryFeed } from '../src/platform/feed/index.js';
import { createMarketModule, marketConfig } from '../src/modules/market/index.js';
import { FakeBinance } from './fakes/binance/index.js';
import { waitFor } from './helpers/wait.js';

const MINUTE = 60_000;

/**
 * The wiring test is about the source, not storage: a database whose every statement
 * succeeds and returns nothing keeps it fast (an embedded database takes seconds to start).
 */
function databaseThatStoresNothing(): Database {
  const db = new Kysely<never>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return {
    kind: 'pglite',
    db: db as unknown as Database['db'],
    execScript: async () => undefined,
    ping: async () => undefined,
    close: () => db.destroy(),
  };
}

class Collect implements MarketSink {
  events: MarketEvent[] = [];
  event(e: MarketEvent) {
    this.events.push(e);
  }
  advance() {}
  async pause() {}
  trades() {
    return this.events.flatMap((e) => (e.kind === 'trade' ? [e] : []));
  }
  books() {
    return this.events.flatMap((e) => (e.kind === 'book' ? [e] : []));
  }
  candles() {
    return this.events.flatMap((e) => (e.kind === 'candle' ? [e] : []));
  }
}

describe('the CCXT live market source against the fake Binance', () => {
  let fake: FakeBinance;
  const running: Array<{ abort: AbortController; done: Promise<void> }> = [];

  beforeAll(async () => {
    fake = await FakeBinance.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.abort.abort();
      await r.done;
    }
    // The next test's subscriptions must be its own, not a closing socket's.
    await waitFor(() => fake.hub.connections('market') === 0);
  });
  afterAll(async () => fake.close());

  function start(extra: Partial<CcxtSourceOptions> = {}) {
    const source = new CcxtMarketSource({
      exchange: 'binance',
      venue: 'binance',
      symbols: ['BTC/USDT'],
      logger: pino({ level: 'silent' }),
      urls: fake.urls(),
      // CCXT waits before redialling too (from 1 s); tests shorten both.
      exchangeOptions: { rateLimit: 5, timeout: 1_000, options: { ws: { backoff: { base: 10 } } } },
      backoff: { baseMs: 20, maxMs: 100 },
      pollMs: 50,
      ...extra,
    });
    const sink = new Collect();
    const abort = new AbortController();
    running.push({ abort, done: source.run(sink, abort.signal) });
    return { source, sink };
  }

  const subscribed = () =>
    waitFor(
      () =>
        fake.hub.marketSubscribed('btcusdt@aggTrade') &&
        fake.hub.marketSubscribed('btcusdt@depth@100ms') &&
        fake.hub.marketSubscribed('btcusdt@kline_1m'),
    );

  it('delivers trades, book tops and candles normalized, with exact decimals', async () => {
    const { sink } = start();
    await subscribed();
    // The candle checked below must hold all three prints: on a slow run they could straddle a
    // minute boundary of the exchange's clock, so start them early in a fresh minute.
    const into = fake.marketTime() % MINUTE;
    if (into > MINUTE - 20_000) fake.advanceMarketTime(MINUTE - into);
    fake.print('BTCUSDT', '50000.10', '0.12345', 'buy');
    fake.print('BTCUSDT', '49999.99', '0.00001', 'sell');
    await waitFor(() => sink.trades().length >= 2);
    const [a, b] = sink.trades().slice(-2);
    expect([a!.price.toString(), a!.quantity.toString(), a!.side, a!.venue, a!.symbol]).toEqual([
      '50000.1',
      '0.12345',
      'buy',
      'binance',
      'BTC/USDT',
    ]);
    expect([b!.price.toString(), b!.quantity.toString(), b!.side]).toEqual([
      '49999.99',
      '0.00001',
      'sell',
    ]);
    expect(Number(b!.id)).toBe(Number(a!.id) + 1);

    fake.setPrice('BTCUSDT', '50123.45');
    await waitFor(() => sink.books().some((t) => t.bidPrice.toString() === '50123.44'));
    const top = sink.books().at(-1)!;
    expect([top.bidPrice, top.bidSize, top.askPrice, top.askSize].map(String)).toEqual([
      '50123.44',
      '1.5',
      '50123.46',
      '1.5',
    ]);

    // The minute closes when the exchange starts the next one.
    const minute = Math.floor(fake.marketTime() / MINUTE) * MINUTE;
    fake.advanceMarketTime(MINUTE);
    fake.print('BTCUSDT', '50200.00', '0.5', 'buy');
    const candle = await waitFor(() => sink.candles().find((c) => c.openTime === minute));
    expect(candle).toMatchObject({
      venue: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      closed: true,
    });
    expect(candle.closeTime).toBe(minute + MINUTE - 1);
    expect(candle.ts).toBe(minute + MINUTE);
    // This minute's prints: 50000.10, 49999.99, 50123.45 (the setPrice print), nothing else.
    expect([candle.open, candle.high, candle.low, candle.close].map(String)).toEqual([
      '50000.1',
      '50123.45',
      '49999.99',
      '50123.45',
    ]);
    expect(candle.volume.toString()).toBe('0.13346'); // 0.12345 + 0.00001 + 0.01
  });

  it('reconnects when the exchange drops the socket', async () => {
    const { source, sink } = start();
    await subscribed();
    expect(fake.dropStreams('market')).toBeGreaterThan(0);
    await waitFor(() => source.progress().reconnects! > 0);
    await subscribed();
    fake.print('BTCUSDT', '50300.00', '0.2', 'buy');
    await waitFor(() => sink.trades().some((t) => t.price.toString() === '50300'));
  });

  it('a hole in trade ids is backfilled from REST, in order, each trade once', async () => {
    const { source, sink } = start();
    await subscribed();
    fake.print('BTCUSDT', '50400.00', '0.1', 'buy');
    await waitFor(() => sink.trades().some((t) => t.price.toString() === '50400'));
    const before = sink.trades().length;
    // Three prints happen on the exchange but never reach the socket, then one does.
    fake.print('BTCUSDT', '50401.00', '0.3', 'sell', { skipIds: 3 });
    await waitFor(() => sink.trades().some((t) => t.price.toString() === '50401'));
    const after = sink.trades().slice(before);
    expect(after.map((t) => t.quantity.toString())).toEqual(['0.3', '0.3', '0.3', '0.3']);
    const ids = after.map((t) => Number(t.id));
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2, ids[0]! + 3]);
    expect(new Set(sink.trades().map((t) => t.id)).size).toBe(sink.trades().length);
    expect(source.progress()).toMatchObject({ gaps: 1, unfilledGaps: 0 });
  });

  it('trades printed while disconnected arrive after the reconnection', async () => {
    const { sink } = start();
    await subscribed();
    fake.print('BTCUSDT', '50500.00', '0.1', 'buy');
    await waitFor(() => sink.trades().some((t) => t.price.toString() === '50500'));
    fake.dropStreams('market');
    fake.print('BTCUSDT', '50501.00', '0.1', 'buy');
    fake.print('BTCUSDT', '50502.00', '0.1', 'buy');
    await subscribed();
    fake.print('BTCUSDT', '50503.00', '0.1', 'buy');
    await waitFor(() => sink.trades().some((t) => t.price.toString() === '50503'));
    expect(
      sink
        .trades()
        .slice(-4)
        .map((t) => t.price.toString()),
    ).toEqual(['50500', '50501', '50502', '50503']);
  });

  it('falls back to REST polling when the stream cannot be had', async () => {
    fake.hub.refuseConnections = true;
    try {
      const { source, sink } = start({ maxWatchFailures: 2, retryWatchMs: 60_000 });
      await waitFor(() => source.progress().polling?.includes('trades:BTC/USDT'));
      fake.print('BTCUSDT', '50600.00', '0.4', 'sell');
      await waitFor(() => sink.trades().some((t) => t.price.toString() === '50600'));
      await waitFor(() => sink.books().length > 0);
      expect(sink.trades().at(-1)!.quantity.toString()).toBe('0.4');
    } finally {
      fake.hub.refuseConnections = false;
    }
  });

  it('is what the market module runs for MARKET_SOURCE=ccxt: the paper venue sees live prices', async () => {
    const logger = pino({ level: 'silent' });
    const config = parseFragment(marketConfig, {
      MARKET_SOURCE: 'ccxt',
      MARKET_EXCHANGE: 'binance',
      MARKET_SYMBOLS: 'BTC/USDT',
      MARKET_EXCHANGE_URLS: JSON.stringify(fake.urls()),
    });
    const market = createMarketModule({
      database: databaseThatStoresNothing(),
      feed: new MemoryFeed(logger),
      clock: systemClock,
      logger,
      config,
      runsSource: true,
      live: { exchangeOptions: { rateLimit: 5 } },
    });
    await market.start();
    try {
      await subscribed();
      fake.print('BTCUSDT', '51234.56', '0.01', 'buy');
      await waitFor(() => market.view.lastPrice('paper', 'BTC/USDT')?.toString() === '51234.56');
      expect(market.status()).toMatchObject({ source: 'ccxt', leading: true });
      expect(market.status().progress).toMatchObject({ gaps: 0, polling: [] });
    } finally {
      await market.stop();
    }
  });
});
