import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseFragment } from '../../platform/config/index.js';
import { livePlan, marketConfig, replayPlan } from './config.js';
import { FIXTURES } from './market.fixtures.js';

const parse = (env: Record<string, string>) => parseFragment(marketConfig, env);

describe('market configuration', () => {
  it('defaults to the synthetic market on every paper instrument', () => {
    const c = parse({});
    expect(c).toMatchObject({ marketSource: 'synthetic', marketSeed: '42', marketSpeed: 1 });
    expect(c.marketSymbols).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT']);
    expect(c.marketReplaySpeed).toBe(1);
  });

  it('reads the backfill as a duration: a day by default, 0 for none', () => {
    expect(parse({}).marketBackfill).toBe(86_400_000);
    expect(parse({ MARKET_BACKFILL: '90m' }).marketBackfill).toBe(5_400_000);
    expect(parse({ MARKET_BACKFILL: '2d' }).marketBackfill).toBe(172_800_000);
    expect(parse({ MARKET_BACKFILL: '1.5h' }).marketBackfill).toBe(5_400_000);
    expect(parse({ MARKET_BACKFILL: '0' }).marketBackfill).toBe(0);
    for (const bad of ['24', 'a day', '-1h', '8d'])
      expect(() => parse({ MARKET_BACKFILL: bad }), bad).toThrow(/MARKET_BACKFILL/);
  });

  it('normalizes symbols and names every bad variable at once', () => {
    expect(parse({ MARKET_SYMBOLS: 'btc-usdt, ETHUSDT,BTC/USDT' }).marketSymbols).toEqual([
      'BTC/USDT',
      'ETH/USDT',
    ]);
    const err = (() => {
      try {
        parse({
          MARKET_SYMBOLS: 'BTC/USDT,DOGE/USDT',
          MARKET_SPEED: '0',
          MARKET_SOURCE: 'live',
          MARKET_REPLAY_SPEED: 'fast',
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.problems.join('\n');
    for (const v of [
      'MARKET_SYMBOLS',
      'DOGE/USDT',
      'MARKET_SPEED',
      'MARKET_SOURCE',
      'MARKET_REPLAY_SPEED',
    ])
      expect(text).toContain(v);
    expect(parse({ MARKET_REPLAY_SPEED: 'max' }).marketReplaySpeed).toBe('max');
  });

  it('plans a replay from the file alone, or says which variable is missing', () => {
    const file = join(FIXTURES, 'BTCUSDT-trades-2024-03-01.csv');
    expect(replayPlan(parse({ MARKET_SOURCE: 'replay', MARKET_REPLAY_FILE: file }))).toEqual({
      file,
      kind: 'trades',
      venue: 'paper',
      symbol: 'BTC/USDT',
      speed: 1,
    });
    expect(() => replayPlan(parse({ MARKET_SOURCE: 'replay' }))).toThrow(/MARKET_REPLAY_FILE/);
    expect(() => replayPlan(parse({ MARKET_REPLAY_FILE: '/nonexistent.csv' }))).toThrow(
      /MARKET_REPLAY_FILE \/nonexistent.csv is not a readable file/,
    );
    expect(() =>
      replayPlan(parse({ MARKET_REPLAY_FILE: file, MARKET_REPLAY_SYMBOL: 'DOGE/USDT' })),
    ).toThrow(/MARKET_REPLAY_SYMBOL "DOGE\/USDT"/);
  });

  it('plans a live source, checking the exchange id and the URL override', () => {
    expect(
      livePlan(
        parse({
          MARKET_SOURCE: 'ccxt',
          MARKET_EXCHANGE: 'kraken',
          MARKET_SYMBOLS: 'ETH/USDT',
          MARKET_EXCHANGE_URLS: '{"public":"http://127.0.0.1:9"}',
        }),
      ),
    ).toEqual({
      exchange: 'kraken',
      venue: 'paper',
      symbols: ['ETH/USDT'],
      pollMs: 2000,
      urls: { public: 'http://127.0.0.1:9' },
    });
    expect(() =>
      livePlan(parse({ MARKET_SOURCE: 'ccxt', MARKET_EXCHANGE: 'nosuchexchange' })),
    ).toThrow(/MARKET_EXCHANGE "nosuchexchange"/);
    expect(() => parse({ MARKET_EXCHANGE_URLS: '[1]' })).toThrow(/MARKET_EXCHANGE_URLS/);
    expect(() => parse({ MARKET_POLL_MS: '10' })).toThrow(/MARKET_POLL_MS/);
  });
});
