// The pure copy-trading domain: model, planner, fees, validation, statistics.
export type {
  Allocation,
  AllocationMode,
  CopyMode,
  DrawdownStop,
  FeeTerms,
  Follow,
  FollowerContext,
  FollowExposure,
  FollowSettings,
  FollowStatus,
  Leader,
  LeaderFillView,
  LeaderStatus,
  LeaderTrade,
  Side,
} from './types.js';
export { ALLOCATION_MODES, COPY_MODES } from './types.js';
export {
  CAP_SKIP,
  SKIP_REASONS,
  type CapCode,
  type CopyAction,
  type CopyDecision,
  type CopyOrder,
  type CopyOrderIntent,
  type CopySkip,
  type SkipReason,
} from './decisions.js';
export { planCopyOrder, planCopyOrders, type LeaderView } from './planner.js';
export {
  allocationRemaining,
  openingTarget,
  sizeClosing,
  sizeOpening,
  type ClosingInput,
  type OpeningInput,
  type SizeResult,
} from './sizing.js';
export {
  MAJOR_SLIPPAGE_PCT,
  OTHER_SLIPPAGE_PCT,
  beyondLimit,
  defaultMaxSlippagePct,
  effectiveSlippagePct,
  slippageLimitPrice,
} from './slippage.js';
export {
  COPY_CLIENT_ORDER_ID_LENGTH,
  copyClientOrderId,
  isCopyClientOrderId,
} from './client-order-id.js';
export { evaluateDrawdownStop, type DrawdownEvaluation, type DrawdownInput } from './drawdown.js';
export {
  followTransition,
  leaderTransition,
  type FollowCommand,
  type LeaderCommand,
  type Transition,
} from './lifecycle.js';
export {
  DAY_MS,
  DEFAULT_FEE_PLACES,
  INITIAL_PERFORMANCE_FEE_STATE,
  WEEK_MS,
  WEEKLY_SETTLEMENT,
  feeTransaction,
  nextSettlementAt,
  settlePerformanceFee,
  settleSubscription,
  settlementDue,
  subscriptionStart,
  userLedgerAccount,
  type FeeParties,
  type FeePosting,
  type FeeTransaction,
  type PerformanceFeeInput,
  type PerformanceFeeSettlement,
  type PerformanceFeeState,
  type SettlementSchedule,
  type SubscriptionInput,
  type SubscriptionSettlement,
  type SubscriptionState,
} from './fees.js';
export {
  DEFAULT_MAX_LEADERS,
  FOLLOW_LIMITS,
  FOLLOW_VALIDATION_CODES,
  normalizeSymbol,
  validateFollowSettings,
  type FollowFieldError,
  type FollowValidation,
  type FollowValidationCode,
  type FollowValidationContext,
  type RawFollowInput,
} from './validation.js';
export {
  STATS_WINDOWS,
  annualisedSharpe,
  leaderboardEntry,
  returnIndex,
  windowStats,
  type EquityPoint,
  type LeaderboardEntry,
  type LeaderboardInput,
  type StatsWindow,
  type WindowStats,
} from './statistics.js';
