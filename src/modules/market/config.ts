import { existsSync, statSync } from 'node:fs';
import ccxt from 'ccxt';
import {
  ConfigError,
  int,
  optStr,
  str,
  type ConfigOf,
  type Field,
} from '../../platform/config/index.js';
import { paperInstruments, PAPER_VENUE } from './domain/catalogue.js';
import { parseReplaySpeed, type ReplaySpeed } from './domain/replay.js';
import { detectReplayKind, type ReplayKind } from './source-replay.js';
import { normalizeSymbol, symbolOfBinanceFile } from './symbols.js';

/** A positive multiple of real time, checked at parse time so a typo stops start-up by name. */
const speed = (env: string, doc: string, fallback: number): Field<number> => ({
  env,
  doc,
  example: String(fallback),
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw.trim());
    if (!Number.isFinite(n) || n <= 0 || n > 100_000)
      throw new Error(`${env} must be a number above 0 and at most 100000 (got "${raw}")`);
    return n;
  },
});

const replaySpeed: Field<ReplaySpeed> = {
  env: 'MARKET_REPLAY_SPEED',
  doc: 'Replay pace as a multiple of real time (10 = ten times faster), or max for as fast as possible',
  example: '1',
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return 1;
    try {
      return parseReplaySpeed(raw.trim());
    } catch {
      throw new Error(`MARKET_REPLAY_SPEED must be a positive number or max (got "${raw}")`);
    }
  },
};

/** A JSON object merged over CCXT's `urls.api` (a proxy, a testnet, a local test exchange). */
const exchangeUrls: Field<Record<string, unknown> | undefined> = {
  env: 'MARKET_EXCHANGE_URLS',
  doc: "JSON object merged over CCXT's urls.api for the live source, to reach the exchange through a proxy, a testnet or a local test exchange",
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error('MARKET_EXCHANGE_URLS must be a JSON object');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error('MARKET_EXCHANGE_URLS must be a JSON object');
    return value as Record<string, unknown>;
  },
};

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Beyond a week a backfill stops being "recent history" and takes minutes; replay a file. */
const MAX_BACKFILL_MS = 7 * 86_400_000;

/** A span of market time such as `24h`, `90m` or `2d`; `0` turns the backfill off. */
const backfill: Field<number> = {
  env: 'MARKET_BACKFILL',
  doc: 'Market history the synthetic market makes up on its first start (no stored candles yet), so charts open full: a duration such as 24h, 90m or 2d (at most 7d) before the start, run in the background; 0 turns it off',
  example: '24h',
  defaultValue: '24h',
  parse(raw) {
    const text = raw === undefined || raw.trim() === '' ? '24h' : raw.trim().toLowerCase();
    const m = /^(\d+(?:\.\d+)?)\s*([smhd])?$/.exec(text);
    const unit = m?.[2] ?? (m?.[1] === '0' ? 's' : undefined);
    if (!m || !unit)
      throw new Error(
        `MARKET_BACKFILL must be a duration such as 24h, 90m or 2d, or 0 (got "${raw}")`,
      );
    const ms = Math.round(Number(m[1]) * DURATION_UNITS[unit]!);
    if (ms > MAX_BACKFILL_MS) throw new Error(`MARKET_BACKFILL must be at most 7d (got "${raw}")`);
    return ms;
  },
};

/** Symbols of the paper catalogue; an unknown one is named with the list of known ones. */
const symbols: Field<readonly string[]> = {
  env: 'MARKET_SYMBOLS',
  doc: 'Comma-separated instruments of the catalogue to run, or with MARKET_SOURCE=ccxt to stream from the exchange (default: all of BTC, ETH, SOL, BNB, XRP against USDT)',
  parse(raw) {
    const known = paperInstruments().map((i) => i.symbol);
    if (raw === undefined || raw.trim() === '') return known;
    const wanted = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => normalizeSymbol(s, known) ?? s);
    const unknown = wanted.filter((s) => !known.includes(s));
    if (unknown.length)
      throw new Error(
        `MARKET_SYMBOLS lists ${unknown.map((s) => `"${s}"`).join(', ')}, not in the catalogue (${known.join(', ')})`,
      );
    if (!wanted.length) throw new Error('MARKET_SYMBOLS must name at least one instrument');
    return [...new Set(wanted)];
  },
};

/**
 * The market module's fragment of the configuration. Which process runs the source is not
 * configured here: it follows the role (see the module README).
 */
export const marketConfig = {
  marketSource: str('MARKET_SOURCE', {
    doc: 'Where market data comes from: synthetic (a seeded simulated market), replay (a Binance CSV file), ccxt (a live exchange, see MARKET_EXCHANGE) or none',
    default: 'synthetic',
    oneOf: ['synthetic', 'replay', 'ccxt', 'none'],
  }),
  marketSeed: str('MARKET_SEED', {
    doc: 'Seed of the synthetic market; with the start time it fixes every price path',
    default: '42',
  }),
  marketSpeed: speed(
    'MARKET_SPEED',
    'Synthetic market time per unit of clock time (60 = a minute of market per second; above 1 the market runs ahead of the clock)',
    1,
  ),
  marketSymbols: symbols,
  marketBackfill: backfill,
  marketReplayFile: optStr('MARKET_REPLAY_FILE', {
    doc: 'Binance public-data CSV file (klines or trades) replayed when MARKET_SOURCE=replay, e.g. BTCUSDT-1m-2024-03-01.csv',
  }),
  marketReplaySpeed: replaySpeed,
  marketReplayKind: optStr('MARKET_REPLAY_KIND', {
    doc: 'klines or trades; by default told from the number of columns of the file',
    pattern: /^(klines|trades)$/,
  }),
  marketReplaySymbol: optStr('MARKET_REPLAY_SYMBOL', {
    doc: 'Instrument of the replayed file, e.g. BTC/USDT; by default read from a Binance file name (BTCUSDT-…)',
  }),
  marketReplayVenue: str('MARKET_REPLAY_VENUE', {
    doc: 'Venue the replayed data is published under',
    default: PAPER_VENUE,
    pattern: /^[a-z][a-z0-9_-]{0,31}$/,
  }),
  marketExchange: str('MARKET_EXCHANGE', {
    doc: 'CCXT id of the exchange MARKET_SOURCE=ccxt streams public trades, book tops and 1m candles from, for MARKET_SYMBOLS (binance, bybit, okx, kraken, coinbase, …)',
    default: 'binance',
    pattern: /^[a-z][a-z0-9]{1,31}$/,
  }),
  marketLiveVenue: str('MARKET_LIVE_VENUE', {
    doc: 'Venue the live data is published under: paper (the paper venue then fills against live prices) or another venue name',
    default: PAPER_VENUE,
    pattern: /^[a-z][a-z0-9_-]{0,31}$/,
  }),
  marketPollMs: int('MARKET_POLL_MS', {
    doc: 'REST polling interval of the live source, for feeds the exchange cannot stream or whose stream keeps failing',
    default: 2000,
    min: 200,
    max: 600_000,
  }),
  marketExchangeUrls: exchangeUrls,
};

export type MarketConfig = ConfigOf<typeof marketConfig>;

export interface ReplayPlan {
  file: string;
  kind: ReplayKind;
  venue: string;
  symbol: string;
  speed: ReplaySpeed;
}

/**
 * What MARKET_SOURCE=replay will read, checked before anything starts so that a missing file
 * or an unknown symbol stops start-up with the variable's name, not a log line later.
 */
export function replayPlan(config: MarketConfig): ReplayPlan {
  const file = config.marketReplayFile;
  if (!file) throw new ConfigError(['MARKET_SOURCE=replay needs MARKET_REPLAY_FILE']);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new ConfigError([`MARKET_REPLAY_FILE ${file} is not a readable file`]);
  const problems: string[] = [];
  const kind = (config.marketReplayKind as ReplayKind | undefined) ?? detectReplayKind(file);
  if (!kind)
    problems.push(
      `MARKET_REPLAY_KIND is not set and ${file} has neither 12 columns (klines) nor 7 (trades)`,
    );
  const known = paperInstruments().map((i) => i.symbol);
  const given = config.marketReplaySymbol ?? symbolOfBinanceFile(file);
  const symbol = given === undefined ? undefined : normalizeSymbol(given, known);
  if (given === undefined)
    problems.push(`MARKET_REPLAY_SYMBOL is not set and the name of ${file} does not carry one`);
  else if (!symbol || !known.includes(symbol))
    problems.push(`MARKET_REPLAY_SYMBOL "${given}" is not in the catalogue (${known.join(', ')})`);
  if (problems.length || !kind || !symbol) throw new ConfigError(problems);
  return { file, kind, venue: config.marketReplayVenue, symbol, speed: config.marketReplaySpeed };
}

export interface LivePlan {
  exchange: string;
  venue: string;
  symbols: readonly string[];
  pollMs: number;
  urls: Record<string, unknown> | undefined;
}

/**
 * What MARKET_SOURCE=ccxt will stream, checked before anything starts: an exchange CCXT does
 * not know stops start-up naming MARKET_EXCHANGE.
 */
export function livePlan(config: MarketConfig): LivePlan {
  const exchange = config.marketExchange;
  if (!(ccxt.exchanges as readonly string[]).includes(exchange)) {
    throw new ConfigError([`MARKET_EXCHANGE "${exchange}" is not an exchange CCXT supports`]);
  }
  return {
    exchange,
    venue: config.marketLiveVenue,
    symbols: config.marketSymbols,
    pollMs: config.marketPollMs,
    urls: config.marketExchangeUrls,
  };
}
