/**
 * The API's JSON shapes as the app reads them. Money, prices and quantities are decimal
 * strings and stay strings: the app shows them, it does not compute with them.
 */

export type Role = 'admin' | 'trader' | 'follower';
export type Scope = 'read' | 'trade' | 'signals' | 'admin';

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  loginCount: number;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface AuthResult extends TokenPair {
  user: User;
}

export interface Instrument {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  maxQuantity: string;
  minNotional: string;
  pricePrecision: number;
  quantityPrecision: number;
  makerFee: string;
  takerFee: string;
  active: boolean;
}

export interface Ticker {
  venue: string;
  symbol: string;
  last: string;
  bid: string | null;
  ask: string | null;
  open24h: string;
  high24h: string;
  low24h: string;
  change24h: string;
  changePercent24h: string;
  volume24h: string;
  quoteVolume24h: string;
  ts: number;
}

export interface BookTop {
  venue: string;
  symbol: string;
  bidPrice: string;
  bidSize: string;
  askPrice: string;
  askSize: string;
  ts: number;
}

export interface Trade {
  venue: string;
  symbol: string;
  id: string;
  price: string;
  quantity: string;
  side: 'buy' | 'sell';
  ts: number;
}

export interface Candle {
  openTime: number;
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  trades: number;
  closed: boolean;
}

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export type OrderStatus =
  | 'new'
  | 'accepted'
  | 'pending_trigger'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired';

export const OPEN_STATUSES: readonly OrderStatus[] = [
  'accepted',
  'partially_filled',
  'pending_trigger',
];

export interface Order {
  id: string;
  accountId: string;
  clientOrderId: string;
  venue: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  quantity: string;
  price?: string;
  stopPrice?: string;
  status: OrderStatus;
  filledQuantity: string;
  leavesQuantity: string;
  averagePrice: string;
  fees: string;
  reason?: string;
  reasonMessage?: string;
  triggeredAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Fill {
  id: string;
  orderId: string;
  accountId: string;
  venue: string;
  symbol: string;
  side: Side;
  price: string;
  quantity: string;
  fee: string;
  feeCurrency: string;
  liquidity: 'maker' | 'taker';
  ts: string;
}

export interface Balance {
  accountId: string;
  currency: string;
  total: string;
  held: string;
  available: string;
}

export interface Position {
  accountId: string;
  venue: string;
  symbol: string;
  quantity: string;
  averageCost: string;
  costBasis: string;
  realizedPnl: string;
  feesPaid: string;
  markPrice: string | null;
  unrealizedPnl: string | null;
}

export interface Account {
  id: string;
  venue: string;
  name: string;
  isDefault: boolean;
  tradingState: string;
  createdAt: string;
  currency: string;
  equity: string;
  cash: string;
  positionsValue: string;
  realizedPnl: string;
  unrealizedPnl: string;
  feesPaid: string;
  netContributions: string;
  missingMarks: string[];
}

/** One stored equity snapshot (`GET /api/v1/trading/accounts/{id}/equity`). */
export interface EquityPoint {
  ts: string;
  equity: string;
  cash: string;
  positionsValue: string;
  realizedPnl: string;
  unrealizedPnl: string;
  netContributions: string;
  complete: boolean;
}

export interface EquitySeries {
  accountId: string;
  currency: string | null;
  intervalMs: number;
  points: EquityPoint[];
}

export interface RecentTrades {
  venue: string;
  symbol: string;
  trades: Trade[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface CreatedKey extends ApiKey {
  /** The whole key; the server shows it this once. */
  key: string;
}

export interface Credential {
  id: string;
  exchange: string;
  label: string;
  keyLast4: string;
  createdAt: string;
}

// ── Copy trading ──────────────────────────────────────────────────────────────────────────

export type LeaderStatus = 'active' | 'paused' | 'stopped';
export type FollowStatus = 'active' | 'paused' | 'drawdown_stopped' | 'ended';
export type StatsWindow = '7d' | '30d' | '90d' | 'all';
export type LeaderboardSort = 'return' | 'pnl' | 'drawdown' | 'sharpe' | 'followers';
export type AllocationMode = 'fixed_ratio' | 'proportional' | 'fixed_amount' | 'equity_cap';
export type CopyMode = 'both' | 'opens_only' | 'closes_only';

export interface FeeTerms {
  performanceFeePct: string;
  subscription: { amount: string; periodDays: number } | null;
}

export interface Leader {
  id: string;
  displayName: string;
  description: string | null;
  status: LeaderStatus;
  accountIds: string[];
  /** Only in the owner's own view. */
  payoutAccountId?: string;
  fees: FeeTerms;
  followers: number;
  amountCopying: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * One row of the leaderboard. Return, drawdown percent and Sharpe are ratios for ranking, sent
 * as numbers; PnL and amounts are money and stay strings. Null: no history in the window.
 */
export interface LeaderboardRow {
  rank: number;
  leader: { id: string; displayName: string; status: LeaderStatus };
  window: StatsWindow;
  followers: number;
  amountCopying: string;
  returnPct: number | null;
  pnl: string | null;
  maxDrawdownPct: number | null;
  maxDrawdownAmount: string | null;
  sharpe: number | null;
  partial: boolean | null;
  from: string | null;
  to: string | null;
  asOf: string;
}

export interface FollowSettings {
  mode: AllocationMode;
  ratio?: string;
  amountPerTrade?: string;
  equityCapPct?: string;
  allocatedAmount: string;
  maxOrderNotional?: string;
  maxOpenPositions?: number;
  drawdownStopPct?: string;
  closeOnDrawdownStop?: boolean;
  allow: string[];
  deny: string[];
  maxSlippagePct?: string;
  copyMode: CopyMode;
}

export interface Follow {
  id: string;
  leaderId: string;
  accountId: string;
  currency: string;
  status: FollowStatus;
  settings: FollowSettings;
  fees: FeeTerms & {
    highWaterMark: string;
    performanceCharged: string;
    subscriptionCharged: string;
    lastSettledAt: string | null;
  };
  copied: {
    realizedPnl: string;
    unrealizedPnl: string;
    openCost: string;
    openPositions: number;
    drawdownPct: string;
    positions: Array<{
      symbol: string;
      quantity: string;
      cost: string;
      realizedPnl: string;
      fees: string;
    }>;
  };
  startedAt: string;
  endedAt: string | null;
}

/** A leader fill beside its copy; the platform's own closes have no leader fill. */
export interface CopyTrade {
  id: string;
  followId: string;
  kind: 'copy' | 'drawdown_close' | 'unfollow_close';
  status: 'copied' | 'skipped' | 'failed';
  reason: string | null;
  message: string | null;
  action: 'open' | 'close';
  symbol: string;
  side: Side;
  leaderFill: {
    id: string;
    price: string | null;
    quantity: string | null;
    ts: string | null;
  } | null;
  order: {
    id: string | null;
    clientOrderId: string | null;
    quantity: string | null;
    limitPrice: string | null;
    filledQuantity: string | null;
    averagePrice: string | null;
    fees: string | null;
  } | null;
  targetQuantity: string | null;
  cappedBy: string | null;
  slippagePct: string | null;
  latencyMs: number | null;
  createdAt: string;
}
