/**
 * Shared fixtures for the ledger and portfolio specs: instruments, a fill builder with the
 * dull fields filled in, and marks. Amounts are decimal strings, as they are on the wire.
 */
import { Decimal, dec } from '../../../core/decimal.js';
import type { Marks, SpotInstrument } from './portfolio.js';
import type { Fill, Side } from './types.js';

export const BTC_USDT: SpotInstrument = {
  venue: 'paper',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: dec('0.01'),
  lotSize: dec('0.00001'),
};
export const ETH_USDT: SpotInstrument = {
  venue: 'paper',
  symbol: 'ETH/USDT',
  base: 'ETH',
  quote: 'USDT',
  tickSize: dec('0.01'),
  lotSize: dec('0.0001'),
};
export const ETH_BTC: SpotInstrument = {
  venue: 'paper',
  symbol: 'ETH/BTC',
  base: 'ETH',
  quote: 'BTC',
  tickSize: dec('0.00001'),
  lotSize: dec('0.001'),
};
export const INSTRUMENTS = [BTC_USDT, ETH_USDT, ETH_BTC];

export const T0 = Date.UTC(2024, 0, 1); // frozen time: every timestamp is an offset from it

let seq = 0;

export function fill(
  side: Side,
  quantity: string,
  price: string,
  opts: Partial<Omit<Fill, 'side' | 'quantity' | 'price' | 'fee'>> & { fee?: string } = {},
): Fill {
  seq++;
  const symbol = opts.symbol ?? BTC_USDT.symbol;
  return {
    id: opts.id ?? `fill-${seq}`,
    orderId: opts.orderId ?? `order-${seq}`,
    accountId: opts.accountId ?? 'alice',
    venue: opts.venue ?? 'paper',
    symbol,
    side,
    price: dec(price),
    quantity: dec(quantity),
    fee: dec(opts.fee ?? '0'),
    feeCurrency: opts.feeCurrency ?? symbol.split('/')[1]!,
    liquidity: opts.liquidity ?? 'taker',
    ts: opts.ts ?? T0 + seq,
  };
}

export const marks = (m: Record<string, string>): Marks =>
  new Map(Object.entries(m).map(([c, p]) => [c, dec(p)] as [string, Decimal]));

/** Decimal → canonical string, so expectations read as the numbers in the comments. */
export const s = (d: Decimal): string => d.toString();
