import { Decimal } from '../../core/decimal.js';
import { int, str, type ConfigOf, type Field } from '../../platform/config/index.js';

const DECIMAL_RE = /^\d{1,15}(\.\d{1,8})?$/;

/** Per exchange id, a JSON object merged over CCXT's `urls.api` for live accounts on it. */
const exchangeUrls: Field<Readonly<Record<string, Record<string, unknown>>>> = {
  env: 'EXCHANGE_URLS',
  doc: 'JSON object of exchange id → object merged over CCXT\'s urls.api for live trading accounts on that exchange, e.g. {"binance":{"public":"…","private":"…"}}: for testing against a local exchange, a testnet or a self-hosted gateway; leave unset to reach the exchanges themselves',
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return {};
    const fail = () => {
      throw new Error('EXCHANGE_URLS must be a JSON object of exchange id → JSON object');
    };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      fail();
    }
    const isObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
    if (!isObject(value) || !Object.values(value as object).every(isObject)) fail();
    return value as Record<string, Record<string, unknown>>;
  },
};

export const tradingConfig = {
  paperDemoBalance: str('PAPER_DEMO_BALANCE', {
    doc: 'USDT deposited once into each new paper trading account',
    default: '10000',
    pattern: DECIMAL_RE,
  }),
  riskMaxOpenOrders: int('RISK_MAX_OPEN_ORDERS', {
    doc: 'Working orders (resting limits and pending stops) one account may have, unless its own risk limits say otherwise',
    default: 200,
    min: 1,
    max: 100000,
  }),
  snapshotIntervalMs: int('TRADING_SNAPSHOT_INTERVAL_MS', {
    doc: 'How often the equity of every funded trading account is marked to the last prices and stored (the series behind equity charts and leaderboards); taken by the process that runs the paper venue',
    default: 60000,
    min: 1000,
    max: 86400000,
  }),
  commandTimeoutMs: int('TRADING_COMMAND_TIMEOUT_MS', {
    doc: 'How long an API process waits for the process running the paper venue to answer a forwarded order command before answering 503 (the order can then be looked up or retried by its client order id)',
    default: 5000,
    min: 100,
    max: 60000,
  }),
  liveSyncIntervalMs: int('TRADING_LIVE_SYNC_MS', {
    doc: 'How often the balances of every linked exchange account are compared with its ledger, a difference (deposits, withdrawals or trades made outside Obscura) being recorded as an exchange_sync adjustment; 0 turns it off',
    default: 60000,
    min: 0,
    max: 86400000,
  }),
  exchangeUrls,
};

export type TradingConfig = ConfigOf<typeof tradingConfig>;

/** The demo balance as an amount; the pattern above guarantees it parses. */
export const demoBalance = (c: TradingConfig): Decimal => Decimal.parse(c.paperDemoBalance);
