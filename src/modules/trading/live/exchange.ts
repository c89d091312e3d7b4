import { createHash } from 'node:crypto';
import ccxt, { type Exchange } from 'ccxt';
import type { ExchangeCredentials } from '../../vault/index.js';
import { VenueError } from './errors.js';

/**
 * The few things that differ per exchange and that CCXT's unified API does not settle. Each
 * entry is small on purpose: anything not listed behaves the unified way.
 */
export interface ExchangeAdapter {
  /** CCXT options for this exchange (market types to load, endpoints to avoid). */
  options: Record<string, unknown>;
  /** Client order ids the exchange accepts as they are; others are derived from a hash. */
  clientId: { pattern: RegExp; derived: (hex: string) => string };
  /**
   * `replace`: the exchange amends by cancelling and placing a new order (new order id, the
   * new quantity is what is left to fill); `modify`: the order keeps its id and the new
   * quantity is its new total.
   */
  amendStyle: 'replace' | 'modify';
  /** Whether a stop order has triggered, from the exchange's raw order (REST or stream). */
  triggered?: (info: Record<string, unknown>) => boolean | undefined;
  /** Exact amounts from the exchange's raw objects, where CCXT's numbers might not be. */
  exact?: {
    filled?: (info: Record<string, unknown>) => string | undefined;
    trade?: (
      info: Record<string, unknown>,
    ) => { price?: string; amount?: string; fee?: string } | undefined;
    balances?: (
      info: Record<string, unknown>,
    ) => Array<{ currency: string; free: string; locked: string }> | undefined;
  };
  /** Extra fetchMyTrades parameter that narrows it to one order, where the exchange has one. */
  tradesOfOrder?: (venueOrderId: string) => Record<string, unknown>;
  /** Resolves once the user data subscription is acknowledged (after which nothing is missed). */
  streamReady?: (ex: Exchange) => Promise<void>;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;

const hex32 = (hex: string) => hex.slice(0, 32);

const ADAPTERS: Record<string, ExchangeAdapter> = {
  binance: {
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      fetchOpenOrders: { warnWithoutSymbol: false },
    },
    clientId: { pattern: /^[.A-Za-z0-9:/_-]{1,36}$/, derived: (h) => `ob${h.slice(0, 30)}` },
    amendStyle: 'replace',
    triggered: (info) => {
      const working = info.isWorking ?? info.w;
      return typeof working === 'boolean' ? working : undefined;
    },
    exact: {
      filled: (info) => str(info.executedQty ?? info.z),
      trade: (info) => {
        const price = str(info.price ?? info.L);
        const amount = str(info.qty ?? info.l);
        const fee = str(info.commission ?? info.n);
        return {
          ...(price ? { price } : {}),
          ...(amount ? { amount } : {}),
          ...(fee ? { fee } : {}),
        };
      },
      balances: (info) => {
        const list = info.balances;
        if (!Array.isArray(list)) return undefined;
        return list.flatMap((b: Record<string, unknown>) => {
          const currency = str(b.asset);
          const free = str(b.free);
          const locked = str(b.locked);
          return currency && free && locked ? [{ currency, free, locked }] : [];
        });
      },
    },
    tradesOfOrder: (id) => ({ orderId: id }),
    streamReady: async (ex) => {
      await (ex as unknown as { authenticate(p?: object): Promise<void> }).authenticate();
    },
  },
  bybit: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    clientId: { pattern: /^[A-Za-z0-9_-]{1,36}$/, derived: (h) => `ob${h.slice(0, 30)}` },
    amendStyle: 'modify',
  },
  okx: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    clientId: { pattern: /^[A-Za-z0-9]{1,32}$/, derived: (h) => `ob${h.slice(0, 30)}` },
    amendStyle: 'modify',
  },
  kraken: {
    options: {},
    clientId: {
      pattern: /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[!-~]{1,18})$/i,
      derived: (h) => `ob${h.slice(0, 16)}`,
    },
    amendStyle: 'modify',
  },
  coinbase: {
    options: {},
    clientId: { pattern: /^[A-Za-z0-9_-]{1,128}$/, derived: (h) => `ob${h.slice(0, 30)}` },
    amendStyle: 'modify',
  },
  hyperliquid: {
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] } },
    // A cloid is exactly 16 bytes in hex, so ours is always derived.
    clientId: { pattern: /^0x[0-9a-f]{32}$/, derived: (h) => `0x${hex32(h)}` },
    amendStyle: 'modify',
  },
};

const GENERIC: ExchangeAdapter = {
  options: {},
  clientId: { pattern: /^[A-Za-z0-9_-]{1,32}$/, derived: (h) => `ob${h.slice(0, 30)}` },
  amendStyle: 'modify',
};

export const adapterFor = (exchange: string): ExchangeAdapter => ADAPTERS[exchange] ?? GENERIC;

/**
 * The client order id the exchange gets for our order: our own when the exchange accepts it,
 * otherwise one derived from the account and our id. Either way the same order always gets
 * the same id, which is what lets a retry after a lost answer find the order instead of
 * placing it twice.
 */
export function exchangeClientOrderId(
  exchange: string,
  order: { accountId: string; clientOrderId: string },
): string {
  const rule = adapterFor(exchange).clientId;
  if (rule.pattern.test(order.clientOrderId)) return order.clientOrderId;
  const hex = createHash('sha256')
    .update(`obscura:${order.accountId}:${order.clientOrderId}`)
    .digest('hex');
  return rule.derived(hex);
}

export interface ExchangeSetup {
  /** Merged over CCXT's `urls.api` (a local fake, a proxy, a testnet). */
  urls?: Record<string, unknown> | undefined;
  /** Extra constructor options (timeout, rateLimit, …); `enableRateLimit` stays on. */
  exchangeOptions?: Record<string, unknown> | undefined;
}

type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

/** CCXT's constructor settings for a credential: most exchanges use key/secret/password. */
function credentialConfig(exchange: string, c: ExchangeCredentials): Record<string, unknown> {
  if (exchange === 'hyperliquid') {
    // The account's address and the API (agent) wallet's private key.
    return { walletAddress: c.apiKey, privateKey: c.secret };
  }
  return {
    apiKey: c.apiKey,
    secret: c.secret,
    ...(c.passphrase !== undefined ? { password: c.passphrase } : {}),
  };
}

/**
 * A CCXT pro instance (REST and WebSocket) with CCXT's rate limiter on. Two adjustments:
 * `urls` are merged in (tests point it at a local fake), and an HTTP 5xx is always reported
 * as `ExchangeNotAvailable`, whatever error its body maps to, because a server failing is
 * the exchange's trouble even when it says so in an ordinary error body.
 */
export async function createExchange(
  exchange: string,
  credentials: ExchangeCredentials | undefined,
  setup: ExchangeSetup = {},
): Promise<Exchange> {
  const Ctor =
    (ccxt.pro as unknown as Record<string, ExchangeClass | undefined>)[exchange] ??
    (ccxt as unknown as Record<string, ExchangeClass | undefined>)[exchange];
  if (!Ctor) {
    throw new VenueError(
      'validation',
      'unsupported_exchange',
      `CCXT has no exchange "${exchange}"`,
      exchange,
    );
  }
  const adapter = adapterFor(exchange);
  const { options: extraOptions, ...rest } = (setup.exchangeOptions ?? {}) as {
    options?: Record<string, unknown>;
  };
  const ex = new Ctor({
    ...rest,
    ...(credentials ? credentialConfig(exchange, credentials) : {}),
    enableRateLimit: true,
    options: { ...adapter.options, ...extraOptions },
  });
  if (setup.urls) {
    const api = ex.urls['api'] as Record<string, unknown>;
    ex.urls['api'] = merge(api, setup.urls) as never;
    if (JSON.stringify(setup.urls).includes('"ws://')) await ex.loadHttpProxyAgent();
  }
  const handleErrors = ex.handleErrors.bind(ex);
  ex.handleErrors = (code, ...args) => {
    try {
      return handleErrors(code, ...args);
    } catch (err) {
      if (code >= 500 && !(err instanceof ccxt.OperationFailed)) {
        throw new ccxt.ExchangeNotAvailable(err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
  };
  return ex;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
