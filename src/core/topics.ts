/**
 * Every bus topic is named here, so producers and consumers cannot drift apart and an operator
 * can see the whole event map in one file.
 */
export const topics = {
  /** Security-relevant actions (sign-ups, logins, keys, credentials, role changes). */
  audit: 'audit',
  /** Session lifecycle: UserLoggedIn, SessionRevoked. */
  identitySessions: 'identity.sessions',
  /** User lifecycle: UserRegistered, UserRoleChanged, UserDisabled, UserEnabled. */
  identityUsers: 'identity.users',
  /** Order lifecycle: OrderAccepted, OrderDenied, OrderRejected, OrderFilled, OrderCancelled, … */
  tradingOrders: 'trading.orders',
  /**
   * Trading accounts: AccountOpened, FundsDeposited, FundsTransferred, RiskLimitsChanged,
   * TradingStateChanged, AccountRenamed, ExchangeAccountLinked, ExchangeBalanceSynced.
   */
  tradingAccounts: 'trading.accounts',
  /** Signals accepted by the gateway, waiting for enrichment: SignalReceived. */
  signalsPending: 'signals.pending',
  /** Signals with their market context and features, waiting for evaluation: SignalEnriched. */
  signalsEnriched: 'signals.enriched',
  /** Evaluated signals, decisions and consensus, published to subscribers: SignalDecided. */
  signalsDecisions: 'signals.decisions',
} as const;

export type Topic = (typeof topics)[keyof typeof topics];

/**
 * Live feed channels (see platform/feed): market data by venue and symbol, and private
 * account updates by user. Symbols keep their slash (`md.trades.paper.BTC/USDT`).
 */
export const channels = {
  trades: (venue: string, symbol: string) => `md.trades.${venue}.${symbol}`,
  book: (venue: string, symbol: string) => `md.book.${venue}.${symbol}`,
  ticker: (venue: string, symbol: string) => `md.ticker.${venue}.${symbol}`,
  candles: (venue: string, symbol: string, timeframe: string) =>
    `md.candles.${venue}.${symbol}.${timeframe}`,
  /** Internal: a process changed which accounts copy trading fans out (payload `{}`). */
  copyDirectory: 'copy.directory',
  /**
   * Private: `user.<userId>.<kind>` where kind is orders, fills, positions, balances, or
   * decisions (the evaluated signals of the user's sources).
   */
  user: (userId: string, kind: 'orders' | 'fills' | 'positions' | 'balances' | 'decisions') =>
    `user.${userId}.${kind}`,
} as const;
