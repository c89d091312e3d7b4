/** Wire shapes of copy trading: amounts as decimal strings, times as ISO 8601. */
import { Decimal } from '../../core/decimal.js';
import { DAY_MS } from './domain/index.js';
import { drawdownOf } from './closes.js';
import { followExposure, type Pricing } from './context.js';
import type { CopyPosition } from './positions.js';
import { feeTermsOf, settingsOf, type FollowRow } from './store.js';
import type { CopyTradeRow } from './store-fanout.js';
import type { SettlementRow } from './store-fees.js';

const iso = (d: Date | string | null): string | null =>
  d === null ? null : new Date(d).toISOString();
const dec = (v: string | null): string | null => (v === null ? null : Decimal.parse(v).toString());

/** A follow's settings in the request's own field names, so a change can be merged onto them. */
export function settingsView(r: FollowRow) {
  const s = settingsOf(r);
  const a = s.allocation;
  return {
    mode: a.mode,
    ...(a.mode === 'fixed_ratio' ? { ratio: a.ratio.toString() } : {}),
    ...(a.mode === 'fixed_amount' ? { amountPerTrade: a.amount.toString() } : {}),
    ...(a.mode === 'equity_cap' ? { equityCapPct: a.capPct.toString() } : {}),
    allocatedAmount: s.allocatedAmount.toString(),
    ...(s.maxOrderNotional ? { maxOrderNotional: s.maxOrderNotional.toString() } : {}),
    ...(s.maxOpenPositions !== undefined ? { maxOpenPositions: s.maxOpenPositions } : {}),
    ...(s.drawdownStop
      ? {
          drawdownStopPct: s.drawdownStop.pct.toString(),
          closeOnDrawdownStop: s.drawdownStop.closePositions,
        }
      : {}),
    allow: [...s.allow],
    deny: [...s.deny],
    ...(s.maxSlippagePct ? { maxSlippagePct: s.maxSlippagePct.toString() } : {}),
    copyMode: s.copyMode,
  };
}

export function followView(r: FollowRow, positions: readonly CopyPosition[], pricing: Pricing) {
  const terms = feeTermsOf(r);
  const exposure = followExposure(r, positions, pricing);
  const dd = drawdownOf(r, positions, pricing);
  return {
    id: r.id,
    leaderId: r.leader_id,
    accountId: r.account_id,
    currency: r.currency,
    status: r.status,
    settings: settingsView(r),
    fees: {
      performanceFeePct: terms.performanceFeePct.toString(),
      subscription: terms.subscription
        ? {
            amount: terms.subscription.amount.toString(),
            periodDays: terms.subscription.periodMs / DAY_MS,
          }
        : null,
      highWaterMark: Decimal.parse(r.fee_high_water_mark).toString(),
      performanceCharged: Decimal.parse(r.fee_performance_charged).toString(),
      subscriptionCharged: Decimal.parse(r.fee_subscription_charged).toString(),
      lastSettledAt: iso(r.fees_settled_at),
    },
    copied: {
      realizedPnl: exposure.realizedPnl.toString(),
      unrealizedPnl: exposure.unrealizedPnl.toString(),
      openCost: exposure.openCost.toString(),
      openPositions: exposure.openPositions,
      drawdownPct: dd.drawdownPct.toString(),
      positions: positions.map((p) => ({
        symbol: p.symbol,
        quantity: p.quantity.toString(),
        cost: p.cost.toString(),
        realizedPnl: p.realizedPnl.toString(),
        fees: p.fees.toString(),
      })),
    },
    startedAt: iso(r.started_at)!,
    endedAt: iso(r.ended_at),
  };
}
export type FollowView = ReturnType<typeof followView>;

/** A copied trade beside the leader fill it copied (none for the platform's own closes). */
export function copyTradeView(r: CopyTradeRow) {
  return {
    id: r.id,
    followId: r.follow_id,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    message: r.message,
    action: r.action,
    symbol: r.symbol,
    side: r.side,
    leaderFill:
      r.leader_fill_id === null
        ? null
        : {
            id: r.leader_fill_id,
            price: dec(r.leader_price),
            quantity: dec(r.leader_quantity),
            ts: iso(r.leader_ts),
          },
    order:
      r.order_id === null && r.client_order_id === null
        ? null
        : {
            id: r.order_id,
            clientOrderId: r.client_order_id,
            quantity: dec(r.quantity),
            limitPrice: dec(r.limit_price),
            filledQuantity: dec(r.filled_quantity),
            averagePrice: dec(r.average_price),
            fees: dec(r.fees),
          },
    targetQuantity: dec(r.target_quantity),
    cappedBy: r.capped_by,
    slippagePct: dec(r.slippage_pct),
    latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
    createdAt: iso(r.created_at)!,
  };
}

export function settlementView(r: SettlementRow) {
  return {
    id: r.id,
    followId: r.follow_id,
    leaderId: r.leader_id,
    kind: r.kind,
    currency: r.currency,
    amount: Decimal.parse(r.amount).toString(),
    fromAccountId: r.from_account_id,
    toAccountId: r.to_account_id,
    cumulativeRealizedPnl: dec(r.cumulative_pnl),
    highWaterMark: dec(r.high_water_mark),
    paidThrough: iso(r.paid_through),
    final: r.final,
    settledAt: iso(r.settled_at)!,
  };
}
