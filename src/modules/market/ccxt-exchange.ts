import ccxt, { type Exchange } from 'ccxt';
import { Decimal } from '../../core/decimal.js';

/** Endpoints and CCXT options for the live source (tests point it at a local fake). */
export interface CcxtSourceSetup {
  /** Merged over CCXT's `urls.api`. */
  urls?: Record<string, unknown>;
  /** Extra CCXT constructor options (timeout, rateLimit, …); the rate limiter stays on. */
  exchangeOptions?: Record<string, unknown>;
}

/** What differs per exchange for public market data. */
export interface MarketAdapter {
  options: Record<string, unknown>;
  /**
   * Trade ids that count up by one per trade on each market, so a jump is a gap. Binance's
   * aggregate trade ids do, and its REST `aggTrades` serves the same ids for a backfill.
   */
  sequentialTradeIds: boolean;
  /** The exchange's own decimal strings for a trade, where CCXT's numbers might not be. */
  exactTrade?: (info: Record<string, unknown>) => { price?: string; amount?: string };
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

const ADAPTERS: Record<string, MarketAdapter> = {
  binance: {
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      watchTrades: { name: 'aggTrade' },
      fetchTradesMethod: 'publicGetAggTrades',
    },
    sequentialTradeIds: true,
    exactTrade: (info) => {
      const price = text(info.p ?? info.price);
      const amount = text(info.q ?? info.qty);
      return { ...(price ? { price } : {}), ...(amount ? { amount } : {}) };
    },
  },
  bybit: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    sequentialTradeIds: false,
  },
  okx: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    sequentialTradeIds: false,
  },
  hyperliquid: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    sequentialTradeIds: false,
  },
};

export const marketAdapterFor = (exchange: string): MarketAdapter =>
  ADAPTERS[exchange] ?? { options: {}, sequentialTradeIds: false };

type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

/** A CCXT pro instance for public data, with CCXT's rate limiter on. */
export async function createMarketExchange(
  exchange: string,
  setup: CcxtSourceSetup = {},
): Promise<Exchange> {
  const Ctor =
    (ccxt.pro as unknown as Record<string, ExchangeClass | undefined>)[exchange] ??
    (ccxt as unknown as Record<string, ExchangeClass | undefined>)[exchange];
  if (!Ctor) throw new Error(`CCXT has no exchange "${exchange}"`);
  const { options, ...rest } = (setup.exchangeOptions ?? {}) as {
    options?: Record<string, unknown>;
  };
  const ex = new Ctor({
    ...rest,
    enableRateLimit: true,
    options: { ...marketAdapterFor(exchange).options, ...options },
  });
  if (setup.urls) {
    ex.urls['api'] = { ...(ex.urls['api'] as Record<string, unknown>), ...setup.urls } as never;
    if (JSON.stringify(setup.urls).includes('"ws://')) await ex.loadHttpProxyAgent();
  }
  return ex;
}

/**
 * An exact decimal from a CCXT number. CCXT parses the exchange's text into a double; its
 * shortest round-trip form (`Number.prototype.toString`) is that text again for up to 15
 * significant digits. Exponent forms are expanded.
 */
export function decimalOf(value: number | string | undefined | null): Decimal | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : Decimal.tryParse(value);
  if (!Number.isFinite(value)) return undefined;
  const s = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i.exec(s);
  if (!m) return Decimal.tryParse(s);
  const [, sign, int, frac = '', exp] = m;
  const digits = int! + frac;
  const point = int!.length + Number(exp);
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return Decimal.tryParse(sign + plain);
}
