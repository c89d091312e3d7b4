/**
 * Shared fixtures of the copy-domain tests: instruments with Binance-like rules, a follow
 * with every limit off, a leader fill and a follower context whose dull fields are filled in.
 * Amounts are decimal strings, as on the wire.
 */
import { Decimal } from '../../../core/decimal.js';
import type { LeaderView } from './planner.js';
import type {
  Follow,
  FollowerContext,
  FollowExposure,
  FollowSettings,
  InstrumentRules,
  LeaderTrade,
  Side,
} from './types.js';

export const d = (s: string): Decimal => Decimal.parse(s);
/** Canonical text, so expectations compare as strings. */
export const s = (x: Decimal): string => x.toString();
export const T0 = Date.UTC(2026, 0, 5); // a Monday; every timestamp is an offset from it
export const DAY_MS = 86_400_000;

export function instrument(over: Partial<InstrumentRules> = {}): InstrumentRules {
  return {
    venue: 'paper',
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: d('0.01'),
    lotSize: d('0.00001'),
    minQuantity: d('0.00001'),
    maxQuantity: d('9000'),
    minNotional: d('5'),
    pricePrecision: 2,
    quantityPrecision: 5,
    makerFee: d('0.001'),
    takerFee: d('0.001'),
    active: true,
    ...over,
  };
}

export const BTC = instrument();
export const SOL = instrument({
  symbol: 'SOL/USDT',
  base: 'SOL',
  lotSize: d('0.001'),
  minQuantity: d('0.001'),
  quantityPrecision: 3,
});

export function settings(over: Partial<FollowSettings> = {}): FollowSettings {
  return {
    allocation: { mode: 'fixed_ratio', ratio: d('0.1') },
    allocatedAmount: d('1000000'),
    allow: [],
    deny: [],
    copyMode: 'both',
    ...over,
  };
}

export function follow(over: Partial<Follow> = {}, settingsOver: Partial<FollowSettings> = {}) {
  const f: Follow = {
    id: 'follow-1',
    leaderId: 'leader-1',
    followerUserId: 'user-f',
    accountId: 'acct-f',
    currency: 'USDT',
    status: 'active',
    settings: settings(settingsOver),
    startedAt: T0,
    ...over,
  };
  return f;
}

export const LEADER: LeaderView = { id: 'leader-1', status: 'active' };

export function trade(
  side: Side,
  quantity: string,
  price: string,
  over: Partial<Omit<LeaderTrade, 'fill'>> & { symbol?: string; id?: string } = {},
): LeaderTrade {
  return {
    fill: {
      id: over.id ?? 'fill-1',
      accountId: 'acct-l',
      venue: 'paper',
      symbol: over.symbol ?? 'BTC/USDT',
      side,
      price: d(price),
      quantity: d(quantity),
    },
    positionBefore: over.positionBefore ?? d('1'),
    equity: over.equity ?? d('100000'),
    fromCopyOrder: over.fromCopyOrder ?? false,
  };
}

export const noExposure = (over: Partial<FollowExposure> = {}): FollowExposure => ({
  openCost: Decimal.ZERO,
  realizedPnl: Decimal.ZERO,
  unrealizedPnl: Decimal.ZERO,
  openPositions: 0,
  ...over,
});

export function context(over: Partial<FollowerContext> = {}): FollowerContext {
  return {
    follow: follow(),
    instrument: BTC,
    equity: d('10000'),
    available: d('1000000'),
    copiedQuantity: Decimal.ZERO,
    exposure: noExposure(),
    ...over,
  };
}
