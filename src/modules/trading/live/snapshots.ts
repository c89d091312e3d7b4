import type { Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt';
import { Decimal } from '../../../core/decimal.js';
import type { Liquidity } from '../domain/types.js';
import { decimalFromCcxt, requireDecimal } from './decimals.js';
import type { ExchangeAdapter } from './exchange.js';
import type { OrderSnapshot, TradeSnapshot } from './tracker.js';
import type { VenueBalance } from './types.js';

type Info = Record<string, unknown>;
const infoOf = (x: { info?: unknown }): Info =>
  x.info && typeof x.info === 'object' ? (x.info as Info) : {};

const STATES = new Set(['open', 'closed', 'canceled', 'expired', 'rejected']);

/** A CCXT order as the tracker reads it; exact amounts from the raw answer where known. */
export function orderSnapshot(o: CcxtOrder, adapter: ExchangeAdapter, now: number): OrderSnapshot {
  const info = infoOf(o);
  const exactFilled = adapter.exact?.filled?.(info);
  const state = o.status && STATES.has(o.status) ? (o.status as OrderSnapshot['state']) : undefined;
  return {
    venueOrderId: String(o.id),
    exchangeClientOrderId: o.clientOrderId ?? undefined,
    state,
    filled: decimalFromCcxt(exactFilled) ?? decimalFromCcxt(o.filled) ?? Decimal.ZERO,
    triggered: adapter.triggered?.(info),
    ts: o.lastUpdateTimestamp ?? o.timestamp ?? now,
  };
}

/**
 * A CCXT trade as the tracker reads it. Trades listed inside an order answer may lack their
 * order id, time and liquidity; `defaults` fills those in (a fill at placement is a taker).
 */
export function tradeSnapshot(
  t: CcxtTrade,
  market: { id?: string | undefined; quote?: string | undefined },
  adapter: ExchangeAdapter,
  defaults: { venueOrderId?: string; ts: number; liquidity?: Liquidity },
): TradeSnapshot | undefined {
  const venueOrderId = t.order ?? defaults.venueOrderId;
  if (t.id === undefined || venueOrderId === undefined) return undefined;
  const exact = adapter.exact?.trade?.(infoOf(t));
  const fee = decimalFromCcxt(exact?.fee) ?? decimalFromCcxt(t.fee?.cost) ?? Decimal.ZERO;
  return {
    tradeId: String(t.id),
    marketId: String(market.id),
    venueOrderId: String(venueOrderId),
    price: decimalFromCcxt(exact?.price) ?? requireDecimal(t.price, 'trade price'),
    amount: decimalFromCcxt(exact?.amount) ?? requireDecimal(t.amount, 'trade amount'),
    fee: fee.abs(),
    feeCurrency: t.fee?.currency ?? market.quote ?? '',
    liquidity:
      t.takerOrMaker === 'maker' || t.takerOrMaker === 'taker'
        ? t.takerOrMaker
        : (defaults.liquidity ?? 'taker'),
    ts: t.timestamp ?? defaults.ts,
  };
}

/** Balances with anything in them, exact from the raw answer where the adapter knows how. */
export function balancesOf(
  b: {
    info?: unknown;
    free?: Record<string, number | undefined>;
    used?: Record<string, number | undefined>;
  },
  adapter: ExchangeAdapter,
): VenueBalance[] {
  const raw = adapter.exact?.balances?.(infoOf(b));
  const rows =
    raw ??
    Object.keys(b.free ?? {}).map((currency) => ({
      currency,
      free: b.free?.[currency] ?? 0,
      locked: b.used?.[currency] ?? 0,
    }));
  const out: VenueBalance[] = [];
  for (const r of rows) {
    const free = decimalFromCcxt(r.free) ?? Decimal.ZERO;
    const locked = decimalFromCcxt(r.locked) ?? Decimal.ZERO;
    const total = free.add(locked);
    if (!total.isZero()) out.push({ currency: r.currency, free, locked, total });
  }
  return out.sort((x, y) => x.currency.localeCompare(y.currency));
}
