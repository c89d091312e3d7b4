/**
 * Turns one leader fill into a decision per follow: gates first (is anyone copying, may this
 * instrument be traded, is the price still within reach), then sizing. Every outcome for a
 * follower, including a malformed leader fill, is a `CopyDecision`, never an exception; only
 * settings or instruments that validation would have refused (a negative slippage, a zero
 * tick) throw, because they are broken invariants rather than outcomes.
 *
 * Which gates apply to closes: a follower who paused or ended the follow, or whose drawdown
 * stop fired, copies nothing — they took the positions into their own hands. A leader who
 * pauses or stops, an instrument later put on the deny list, or a full allocation only stop
 * new exposure: the leader's exits are still mirrored, so followers are not left holding
 * positions the leader has left.
 */
import { Decimal } from '../../../core/decimal.js';
import { copyClientOrderId } from './client-order-id.js';
import type { CopyAction, CopyDecision, CopySkip, SkipReason } from './decisions.js';
import { beyondLimit, effectiveSlippagePct, slippageLimitPrice } from './slippage.js';
import { sizeClosing, sizeOpening } from './sizing.js';
import type { FollowerContext, Leader, LeaderTrade } from './types.js';

export type LeaderView = Pick<Leader, 'id' | 'status'>;

/** Why the follow does not copy this fill at all, before any price or size is looked at. */
function gate(
  trade: LeaderTrade,
  leader: LeaderView,
  ctx: FollowerContext,
  action: CopyAction,
): { reason: SkipReason; message: string } | undefined {
  const { fill } = trade;
  const { follow, instrument: inst } = ctx;
  const settings = follow.settings;
  if (!fill.quantity.isPositive() || !fill.price.isPositive()) {
    return {
      reason: 'invalid_leader_fill',
      message: `fill ${fill.id} has quantity ${fill.quantity} and price ${fill.price}`,
    };
  }
  if (trade.fromCopyOrder) {
    return { reason: 'leader_fill_is_copy', message: `fill ${fill.id} executed a copy order` };
  }
  switch (follow.status) {
    case 'ended':
      return { reason: 'follow_ended', message: 'the follow has ended' };
    case 'paused':
      return { reason: 'follow_paused', message: 'the follower paused this follow' };
    case 'drawdown_stopped':
      return { reason: 'drawdown_stopped', message: 'the drawdown stop of this follow fired' };
    case 'active':
      break;
  }
  if (action === 'open' && leader.status !== 'active') {
    return leader.status === 'paused'
      ? { reason: 'leader_paused', message: 'the leader paused copying; exits are still copied' }
      : { reason: 'leader_stopped', message: 'the leader stopped copying; exits are still copied' };
  }
  if (action === 'open' && settings.copyMode === 'closes_only') {
    return { reason: 'copy_mode_excludes_opens', message: 'the follow copies closing trades only' };
  }
  if (action === 'close' && settings.copyMode === 'opens_only') {
    return {
      reason: 'copy_mode_excludes_closes',
      message: 'the follow copies opening trades only',
    };
  }
  if (!inst || inst.symbol !== fill.symbol || !inst.active) {
    const where = inst ? `${inst.venue}` : "the follower's venue";
    return {
      reason: 'instrument_not_listed',
      message: `${fill.symbol} is not trading on ${where}`,
    };
  }
  if (action === 'open') {
    if (settings.deny.includes(fill.symbol)) {
      return { reason: 'instrument_not_allowed', message: `${fill.symbol} is on the deny list` };
    }
    if (settings.allow.length > 0 && !settings.allow.includes(fill.symbol)) {
      return {
        reason: 'instrument_not_allowed',
        message: `${fill.symbol} is not on the allow list`,
      };
    }
    if (ctx.quoteRate !== undefined && !ctx.quoteRate.isPositive()) {
      return {
        reason: 'no_quote_rate',
        message: `no value of ${inst.quote} in ${follow.currency} to measure limits with`,
      };
    }
    const max = settings.maxOpenPositions;
    if (max !== undefined && ctx.copiedQuantity.isZero() && ctx.exposure.openPositions >= max) {
      return {
        reason: 'max_open_positions',
        message: `${ctx.exposure.openPositions} copied positions are open; the limit is ${max}`,
      };
    }
  }
  return undefined;
}

/**
 * The decision for one follow. The order is a limit at the slippage price, IOC: a copy that
 * cannot fill now should not rest at a price the leader has moved on from.
 *
 * @example
 *   planCopyOrder({ fill, positionBefore, equity, fromCopyOrder: false }, leader, ctx)
 *   // { kind: 'order', intent: { side: 'buy', quantity, price, ... }, target, cappedBy? }
 *   // or { kind: 'skip', reason: 'below_min_notional', message: '...' }
 */
export function planCopyOrder(
  trade: LeaderTrade,
  leader: LeaderView,
  ctx: FollowerContext,
): CopyDecision {
  const { fill } = trade;
  const follow = ctx.follow;
  const action: CopyAction = fill.side === 'buy' ? 'open' : 'close';
  const skip = (reason: SkipReason, message: string): CopySkip => ({
    kind: 'skip',
    followId: follow.id,
    leaderFillId: fill.id,
    action,
    reason,
    message,
  });

  const closed = gate(trade, leader, ctx, action);
  if (closed) return skip(closed.reason, closed.message);
  const inst = ctx.instrument!;

  const slippage = effectiveSlippagePct(follow.settings.maxSlippagePct, inst);
  const limitPrice = slippageLimitPrice(fill.side, fill.price, slippage, inst.tickSize);
  if (ctx.marketPrice !== undefined && beyondLimit(fill.side, limitPrice, ctx.marketPrice)) {
    return skip(
      'slippage_exceeded',
      `the market is at ${ctx.marketPrice}, beyond the ${fill.side} limit of ${limitPrice} (${fill.price} ± ${slippage}%)`,
    );
  }

  const sized =
    action === 'open'
      ? sizeOpening({
          settings: follow.settings,
          instrument: inst,
          currency: follow.currency,
          leaderQuantity: fill.quantity,
          leaderEquity: trade.equity,
          followerEquity: ctx.equity,
          limitPrice,
          unitValue: limitPrice.mul(ctx.quoteRate ?? Decimal.ONE, 'ceil'),
          copiedQuantity: ctx.copiedQuantity,
          exposure: ctx.exposure,
          available: ctx.available,
        })
      : sizeClosing({
          instrument: inst,
          leaderQuantity: fill.quantity,
          leaderPositionBefore: trade.positionBefore,
          copiedQuantity: ctx.copiedQuantity,
          available: ctx.available,
          limitPrice,
        });
  if (!sized.ok) return skip(sized.reason, sized.message);

  const decision: CopyDecision = {
    kind: 'order',
    followId: follow.id,
    leaderFillId: fill.id,
    action,
    target: sized.target,
    intent: {
      accountId: follow.accountId,
      venue: inst.venue,
      symbol: inst.symbol,
      side: fill.side,
      type: 'limit',
      quantity: sized.quantity,
      price: limitPrice,
      timeInForce: 'IOC',
      postOnly: false,
      reduceOnly: action === 'close',
      clientOrderId: copyClientOrderId(fill.id, follow.id),
    },
  };
  if (sized.cappedBy) decision.cappedBy = sized.cappedBy;
  return decision;
}

/** Decisions for every follow of the leader, in the order given. */
export function planCopyOrders(
  trade: LeaderTrade,
  leader: LeaderView,
  followers: readonly FollowerContext[],
): CopyDecision[] {
  return followers.map((ctx) => planCopyOrder(trade, leader, ctx));
}
