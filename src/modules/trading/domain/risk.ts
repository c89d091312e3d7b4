import { Decimal } from '../../../core/decimal.js';
import { feeFor } from './matching-config.js';
import type { InstrumentRules, OrderIntent, Side } from './types.js';

/**
 * Pre-trade risk: a pure check of one validated intent against the account's limits and
 * state. A denial is a value with a reason code and a message that names the numbers, which
 * the OMS records as an `OrderDenied` event; nothing is thrown and nothing changes.
 */

export type TradingState = 'active' | 'reducing' | 'halted';

export type RiskReason =
  | 'account_halted'
  | 'account_reducing_only'
  | 'reduce_only_would_increase'
  | 'max_daily_loss'
  | 'max_open_orders'
  | 'no_reference_price'
  | 'price_out_of_band'
  | 'max_order_notional'
  | 'max_position'
  | 'insufficient_balance';

/** Limits of one account, already resolved for the order's instrument; absent means none. */
export interface RiskLimits {
  /** Largest quantity × price of one order, in the quote currency. */
  maxOrderNotional?: Decimal;
  /** Largest absolute position in this instrument, in the base currency. */
  maxPosition?: Decimal;
  /** Largest number of working orders (resting limits and pending stops). */
  maxOpenOrders?: number;
  /** Loss at which the day's trading stops, as a positive amount of the quote currency. */
  maxDailyLoss?: Decimal;
  /** Limit and stop prices must lie within this percentage of the last price (5 = ±5 %). */
  priceBandPct?: Decimal;
}

export interface RiskContext {
  instrument: InstrumentRules;
  limits: RiskLimits;
  tradingState: TradingState;
  /** Last traded price; needed for market orders and for the price band. */
  lastPrice: Decimal | undefined;
  /** Free balance of what the order spends: the quote currency for a buy, the base for a sell. */
  available: Decimal;
  /** Signed base quantity held (negative when short). */
  position: Decimal;
  openOrders: number;
  /** Realized PnL since the start of the trading day, signed, in the quote currency. */
  realizedPnlToday: Decimal;
  /** Fees paid since the start of the trading day, in the quote currency. */
  feesToday: Decimal;
}

export interface RiskConfig {
  /** Extra a market buy is assumed to pay over the last price when checking the balance (1 = 1 %). */
  marketSlippagePct: Decimal;
  feePlaces: number;
}

export type RiskDecision = { ok: true } | { ok: false; reason: RiskReason; message: string };

/** The event the OMS records for a denial (NautilusTrader's name for it). */
export interface OrderDenied {
  type: 'OrderDenied';
  accountId: string;
  clientOrderId: string;
  venue: string;
  symbol: string;
  reason: RiskReason;
  message: string;
  ts: number;
}

const HUNDRED = Decimal.fromInt(100);
const OK: RiskDecision = { ok: true };
const deny = (reason: RiskReason, message: string): RiskDecision => ({
  ok: false,
  reason,
  message,
});

/** Would an order of `quantity` on `side` bring the position closer to zero without flipping it? */
export function reducesPosition(side: Side, quantity: Decimal, position: Decimal): boolean {
  const reducible = side === 'sell' ? position : position.neg();
  return reducible.isPositive() && quantity.lte(reducible);
}

const canRest = (i: OrderIntent) =>
  i.type === 'stop_market' ||
  i.type === 'stop_limit' ||
  (i.type === 'limit' && i.timeInForce === 'GTC');

export class RiskEngine {
  readonly config: RiskConfig;

  constructor(config: Partial<RiskConfig> = {}) {
    this.config = { marketSlippagePct: Decimal.ONE, feePlaces: 8, ...config };
  }

  check(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    const { limits, instrument: inst, position } = ctx;
    const q = inst.quote;
    const reduces = reducesPosition(intent.side, intent.quantity, position);

    if (ctx.tradingState === 'halted')
      return deny('account_halted', 'trading is halted on this account');
    if (ctx.tradingState === 'reducing' && !reduces) {
      return deny(
        'account_reducing_only',
        `the account may only reduce positions; a ${intent.side} of ${intent.quantity} against a position of ${position} ${inst.base} does not`,
      );
    }
    if (intent.reduceOnly && !reducesPosition(intent.side, Decimal.ZERO, position)) {
      return deny(
        'reduce_only_would_increase',
        `a reduce-only ${intent.side} cannot reduce a position of ${position} ${inst.base}`,
      );
    }
    if (limits.maxDailyLoss && !reduces) {
      const loss = ctx.feesToday.sub(ctx.realizedPnlToday);
      if (loss.gte(limits.maxDailyLoss)) {
        // Realized PnL already carries the fees of what it closed; fees are shown only when
        // a caller counts them separately.
        const made = ctx.feesToday.isZero()
          ? `realized loss of ${loss} ${q}`
          : `loss of ${loss} ${q} (realized ${ctx.realizedPnlToday}, fees ${ctx.feesToday})`;
        return deny(
          'max_daily_loss',
          `today's ${made} has reached the daily limit of ${limits.maxDailyLoss} ${q}; only orders that reduce a position are accepted`,
        );
      }
    }
    if (
      limits.maxOpenOrders !== undefined &&
      canRest(intent) &&
      ctx.openOrders >= limits.maxOpenOrders
    ) {
      return deny(
        'max_open_orders',
        `${ctx.openOrders} orders are already working; the limit is ${limits.maxOpenOrders}`,
      );
    }

    const last = ctx.lastPrice;
    const needsLast = intent.type === 'market' || limits.priceBandPct !== undefined;
    if (needsLast && last === undefined) {
      return deny(
        'no_reference_price',
        `no last price for ${intent.symbol} to check this order against`,
      );
    }
    if (limits.priceBandPct && last) {
      const width = last.mul(limits.priceBandPct).div(HUNDRED);
      const [lo, hi] = [last.sub(width), last.add(width)];
      for (const [name, p] of [
        ['price', intent.price],
        ['stop price', intent.stopPrice],
      ] as const) {
        if (p && (p.lt(lo) || p.gt(hi))) {
          return deny(
            'price_out_of_band',
            `${name} ${p} is outside ±${limits.priceBandPct}% of the last price ${last} (${lo} to ${hi})`,
          );
        }
      }
    }

    // Limit orders never pay more than their price; stops and market orders are estimated.
    const ref = intent.price ?? intent.stopPrice ?? last!;
    const notional = intent.quantity.mul(ref);
    if (limits.maxOrderNotional && notional.gt(limits.maxOrderNotional)) {
      return deny(
        'max_order_notional',
        `order notional ${intent.quantity} × ${ref} = ${notional} ${q} exceeds the limit of ${limits.maxOrderNotional} ${q}`,
      );
    }

    if (limits.maxPosition) {
      const after =
        intent.side === 'buy' ? position.add(intent.quantity) : position.sub(intent.quantity);
      if (after.abs().gt(limits.maxPosition) && after.abs().gt(position.abs())) {
        return deny(
          'max_position',
          `the position would become ${after} ${inst.base}, beyond the limit of ${limits.maxPosition} ${inst.base}`,
        );
      }
    }

    return this.checkBalance(intent, ctx, ref);
  }

  /**
   * A buy must cover quantity × worst expected price plus the fee; a market-priced buy (market,
   * or a stop that becomes one) assumes `marketSlippagePct` above its reference. A sell spends
   * the base quantity itself.
   */
  private checkBalance(intent: OrderIntent, ctx: RiskContext, ref: Decimal): RiskDecision {
    const inst = ctx.instrument;
    if (intent.side === 'sell') {
      if (intent.quantity.lte(ctx.available)) return OK;
      return deny(
        'insufficient_balance',
        `selling ${intent.quantity} ${inst.base} needs that much; ${ctx.available} ${inst.base} is available`,
      );
    }
    const marketPriced = intent.type === 'market' || intent.type === 'stop_market';
    const price = marketPriced
      ? ref.mul(HUNDRED.add(this.config.marketSlippagePct)).div(HUNDRED, 'ceil')
      : ref;
    const rate = Decimal.max(intent.postOnly ? inst.makerFee : inst.takerFee, Decimal.ZERO);
    const cost = intent.quantity.mul(price, 'ceil');
    const fee = feeFor(price, intent.quantity, rate, this.config.feePlaces);
    const need = cost.add(fee);
    if (need.lte(ctx.available)) return OK;
    return deny(
      'insufficient_balance',
      `buying ${intent.quantity} ${inst.base} at up to ${price} needs ${need} ${inst.quote} (${cost} + fee ${fee}); ${ctx.available} ${inst.quote} is available`,
    );
  }
}

export function orderDenied(intent: OrderIntent, decision: RiskDecision, ts: number): OrderDenied {
  if (decision.ok) throw new Error('orderDenied needs a denial');
  return {
    type: 'OrderDenied',
    accountId: intent.accountId,
    clientOrderId: intent.clientOrderId,
    venue: intent.venue,
    symbol: intent.symbol,
    reason: decision.reason,
    message: decision.message,
    ts,
  };
}
