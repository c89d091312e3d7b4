/**
 * Copy decisions by example. Defaults (copy.fixtures.ts): BTC/USDT with tick 0.01, lot
 * 0.00001, min notional 5, taker fee 0.1 %; a fixed-ratio follow of 0.1 with no limits; the
 * leader buys 0.5 BTC at 50000.00 out of a position of 1, so the buy limit is 50000 × 1.005 =
 * 50250.00 and the sell limit 50000 × 0.995 = 49750.00 (BTC's default 0.5 % slippage).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { copyClientOrderId } from './client-order-id.js';
import {
  BTC,
  LEADER,
  context,
  d,
  follow,
  instrument,
  noExposure,
  s,
  trade,
} from './copy.fixtures.js';
import { SKIP_REASONS, type CopyDecision, type CopyOrder, type SkipReason } from './decisions.js';
import { planCopyOrder, planCopyOrders, type LeaderView } from './planner.js';
import type { FollowerContext, FollowSettings, LeaderTrade } from './types.js';

const BUY = trade('buy', '0.5', '50000.00');
const SELL_40 = trade('sell', '0.4', '50000.00'); // 40 % of the leader's position of 1

function order(decision: CopyDecision): CopyOrder {
  if (decision.kind !== 'order') throw new Error(`skipped: ${decision.reason} ${decision.message}`);
  return decision;
}
const qty = (decision: CopyDecision) => s(order(decision).intent.quantity);
const withSettings = (over: Partial<FollowSettings>, ctx: Partial<FollowerContext> = {}) =>
  context({ follow: follow({}, over), ...ctx });

const seen = new Set<SkipReason>();
function expectSkip(
  t: LeaderTrade,
  ctx: FollowerContext,
  reason: SkipReason,
  leader: LeaderView = LEADER,
): string {
  const decision = planCopyOrder(t, leader, ctx);
  expect(decision.kind === 'skip' ? decision.reason : `order ${qty(decision)}`).toBe(reason);
  if (decision.kind !== 'skip') throw new Error('unreachable');
  expect(decision.message.length).toBeGreaterThan(5);
  expect(decision).toMatchObject({ followId: 'follow-1', leaderFillId: 'fill-1' });
  seen.add(reason);
  return decision.message;
}

describe('opening orders by allocation mode', () => {
  it('fixed_ratio buys leader quantity × ratio as an IOC limit at the slippage price', () => {
    const o = order(planCopyOrder(BUY, LEADER, context()));
    expect(o).toMatchObject({ action: 'open', followId: 'follow-1', leaderFillId: 'fill-1' });
    expect(o.cappedBy).toBeUndefined();
    expect(s(o.target)).toBe('0.05'); // 0.5 × 0.1
    expect({ ...o.intent, quantity: s(o.intent.quantity), price: s(o.intent.price) }).toEqual({
      accountId: 'acct-f',
      venue: 'paper',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.05',
      price: '50250', // 50000 × 1.005
      timeInForce: 'IOC',
      postOnly: false,
      reduceOnly: false,
      clientOrderId: copyClientOrderId('fill-1', 'follow-1'),
    });
  });

  it('proportional scales by follower equity / leader equity and rounds down to the lot', () => {
    const ctx = withSettings({ allocation: { mode: 'proportional' } }, { equity: d('3333') });
    const o = order(planCopyOrder(trade('buy', '0.12345', '50000.00'), LEADER, ctx));
    expect(s(o.target)).toBe('0.0041145885'); // 0.12345 × 3333 / 100000
    expect(s(o.intent.quantity)).toBe('0.00411'); // down to the 0.00001 lot
  });

  it('fixed_amount buys what the amount pays for at the limit price', () => {
    const ctx = withSettings({ allocation: { mode: 'fixed_amount', amount: d('500') } });
    const o = order(planCopyOrder(BUY, LEADER, ctx));
    expect(s(o.target)).toBe('0.009950248756218905'); // 500 / 50250, truncated at 10^-18
    expect(s(o.intent.quantity)).toBe('0.00995'); // 0.00995 × 50250 = 499.9875 ≤ 500
  });

  it('equity_cap copies proportionally until the position reaches the cap', () => {
    const capped = withSettings({ allocation: { mode: 'equity_cap', capPct: d('10') } });
    const t = trade('buy', '0.1', '50000.00', { equity: d('10000') }); // 1:1 with the follower
    const o = order(planCopyOrder(t, LEADER, capped));
    expect(s(o.target)).toBe('0.1');
    // 10 % of 10000 = 1000 USDT; 1000 / 50250 = 0.01990049… → 0.0199
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.0199', 'equity_cap']);
    const holding = { ...capped, copiedQuantity: d('0.01') };
    expect(qty(planCopyOrder(t, LEADER, holding))).toBe('0.0099'); // 0.0199 − 0.01 held
    const small = trade('buy', '0.001', '50000.00', { equity: d('10000') });
    expect(order(planCopyOrder(small, LEADER, capped)).cappedBy).toBeUndefined();
  });

  it('values a quote currency other than the follow currency at the quote rate', () => {
    const ethBtc = instrument({
      symbol: 'ETH/BTC',
      base: 'ETH',
      quote: 'BTC',
      tickSize: d('0.00001'),
      lotSize: d('0.0001'),
      minQuantity: d('0.0001'),
      minNotional: d('0.0001'),
    });
    const ctx = withSettings(
      { allocation: { mode: 'fixed_amount', amount: d('300') } },
      { instrument: ethBtc, quoteRate: d('60000') },
    );
    const o = order(planCopyOrder(trade('buy', '1', '0.05', { symbol: 'ETH/BTC' }), LEADER, ctx));
    expect(s(o.intent.price)).toBe('0.05025'); // ETH is a major: 0.5 %
    // one ETH at the limit is worth 0.05025 × 60000 = 3015 USDT; 300 / 3015 = 0.0995…
    expect(s(o.intent.quantity)).toBe('0.0995');
  });
});

describe('limits cut opening orders and say which one did', () => {
  it('max order notional', () => {
    const o = order(planCopyOrder(BUY, LEADER, withSettings({ maxOrderNotional: d('1000') })));
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.0199', 'max_order_notional']);
  });

  it('allocation remaining = allocated + realized PnL − open cost', () => {
    const exposure = noExposure({ openCost: d('1500'), realizedPnl: d('-100') });
    const ctx = withSettings({ allocatedAmount: d('2000') }, { exposure });
    const o = order(planCopyOrder(BUY, LEADER, ctx));
    // 2000 − 100 − 1500 = 400; 400 / 50250 = 0.00796019… → 0.00796
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.00796', 'allocation']);
  });

  it('the free quote balance, fee included', () => {
    const o = order(planCopyOrder(BUY, LEADER, context({ available: d('1000') })));
    // 1000 / (50250 × 1.001 = 50300.25) = 0.01988061… → 0.01988
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.01988', 'available_balance']);
  });

  it('a budget 10^-18 short of one lot buys no lot: the division rounds down too', () => {
    // Whole-unit lots at 3 (the 0.5 % allowance rounds back down to the tick of 1):
    // 2.999999999999999999 / 3 = 0.999999999999999999666… must not round up to 1 lot.
    const ctx = withSettings(
      { maxOrderNotional: d('2.999999999999999999') },
      {
        instrument: instrument({
          tickSize: d('1'),
          lotSize: d('1'),
          minQuantity: d('1'),
          minNotional: d('0'),
        }),
      },
    );
    expectSkip(trade('buy', '10', '3'), ctx, 'max_order_notional');
  });

  it("the instrument's maximum order quantity", () => {
    const ctx = context({ instrument: instrument({ maxQuantity: d('0.02') }) });
    const o = order(planCopyOrder(BUY, LEADER, ctx));
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.02', 'instrument_max_quantity']);
  });
});

describe('closing orders close the fraction the leader closed', () => {
  const holding = (over: Partial<FollowerContext> = {}) =>
    context({ copiedQuantity: d('0.05'), ...over });

  it('40 % of the leader position → 40 % of the copied position, reduce-only, sell limit', () => {
    const o = order(planCopyOrder(SELL_40, LEADER, holding()));
    expect(o.action).toBe('close');
    expect([s(o.intent.quantity), s(o.intent.price)]).toEqual(['0.02', '49750']); // 0.05 × 0.4
    expect([o.intent.side, o.intent.reduceOnly]).toEqual(['sell', true]);
  });

  it('rounds the fraction down to the lot', () => {
    const t = trade('sell', '0.3', '50000.00', { positionBefore: d('0.7') });
    const o = order(planCopyOrder(t, LEADER, holding({ copiedQuantity: d('0.01') })));
    expect(s(o.target)).toBe('0.004285714285714285'); // 0.01 × 0.3 / 0.7
    expect(s(o.intent.quantity)).toBe('0.00428');
  });

  it('a leader selling all (or more) closes the whole copied position', () => {
    for (const q of ['1', '1.5']) {
      expect(qty(planCopyOrder(trade('sell', q, '50000.00'), LEADER, holding()))).toBe('0.05');
    }
  });

  it('is not cut by exposure limits, only by what the account holds', () => {
    const ctx = holding({
      follow: follow({}, { maxOrderNotional: d('10'), allocatedAmount: d('1') }),
      available: d('0.015'),
    });
    const o = order(planCopyOrder(SELL_40, LEADER, ctx));
    expect([s(o.intent.quantity), o.cappedBy]).toEqual(['0.015', 'available_balance']);
  });
});

describe('skip reasons', () => {
  it('invalid_leader_fill and leader_fill_is_copy', () => {
    expectSkip(trade('buy', '0', '50000.00'), context(), 'invalid_leader_fill');
    expectSkip(trade('buy', '0.5', '0'), context(), 'invalid_leader_fill');
    expectSkip(
      trade('buy', '0.5', '50000.00', { fromCopyOrder: true }),
      context(),
      'leader_fill_is_copy',
    );
  });

  it('a follow that is ended, paused or drawdown-stopped copies nothing, closes included', () => {
    const ctx = (status: 'ended' | 'paused' | 'drawdown_stopped') =>
      context({ follow: follow({ status }), copiedQuantity: d('0.05') });
    for (const t of [BUY, SELL_40]) {
      expectSkip(t, ctx('ended'), 'follow_ended');
      expectSkip(t, ctx('paused'), 'follow_paused');
      expectSkip(t, ctx('drawdown_stopped'), 'drawdown_stopped');
    }
  });

  it('a paused or stopped leader opens nothing but their exits are still copied', () => {
    const paused: LeaderView = { id: 'leader-1', status: 'paused' };
    const stopped: LeaderView = { id: 'leader-1', status: 'stopped' };
    expectSkip(BUY, context(), 'leader_paused', paused);
    expectSkip(BUY, context(), 'leader_stopped', stopped);
    const holding = context({ copiedQuantity: d('0.05') });
    expect(qty(planCopyOrder(SELL_40, paused, holding))).toBe('0.02');
    expect(qty(planCopyOrder(SELL_40, stopped, holding))).toBe('0.02');
  });

  it('copy mode', () => {
    expectSkip(BUY, withSettings({ copyMode: 'closes_only' }), 'copy_mode_excludes_opens');
    const opensOnly = withSettings({ copyMode: 'opens_only' }, { copiedQuantity: d('0.05') });
    expectSkip(SELL_40, opensOnly, 'copy_mode_excludes_closes');
  });

  it('instrument_not_listed: unknown on the venue, not trading, or another symbol', () => {
    expectSkip(BUY, context({ instrument: undefined }), 'instrument_not_listed');
    expectSkip(BUY, context({ instrument: { ...BTC, active: false } }), 'instrument_not_listed');
    const eth = instrument({ symbol: 'ETH/USDT', base: 'ETH' });
    expectSkip(BUY, context({ instrument: eth }), 'instrument_not_listed');
  });

  it('instrument_not_allowed: on the deny list or off the allow list; closes still copied', () => {
    expectSkip(BUY, withSettings({ deny: ['BTC/USDT'] }), 'instrument_not_allowed');
    expectSkip(BUY, withSettings({ allow: ['ETH/USDT'] }), 'instrument_not_allowed');
    expect(order(planCopyOrder(BUY, LEADER, withSettings({ allow: ['BTC/USDT'] })))).toBeTruthy();
    const denied = withSettings({ deny: ['BTC/USDT'] }, { copiedQuantity: d('0.05') });
    expect(qty(planCopyOrder(SELL_40, LEADER, denied))).toBe('0.02');
  });

  it('no_quote_rate', () => {
    expectSkip(BUY, context({ quoteRate: Decimal.ZERO }), 'no_quote_rate');
  });

  it('slippage_exceeded when the market is already beyond the limit price', () => {
    const msg = expectSkip(BUY, context({ marketPrice: d('50250.01') }), 'slippage_exceeded');
    expect(msg).toContain('50250');
    expect(order(planCopyOrder(BUY, LEADER, context({ marketPrice: d('50250.00') })))).toBeTruthy();
    const holding = context({ copiedQuantity: d('0.05'), marketPrice: d('49749.99') });
    expectSkip(SELL_40, holding, 'slippage_exceeded');
    const wider = withSettings({ maxSlippagePct: d('1') }, { marketPrice: d('50250.01') });
    expect(s(order(planCopyOrder(BUY, LEADER, wider)).intent.price)).toBe('50500');
  });

  it('insufficient_equity and no_leader_equity', () => {
    expectSkip(BUY, context({ equity: Decimal.ZERO }), 'insufficient_equity');
    const proportional = withSettings({ allocation: { mode: 'proportional' } });
    expectSkip(
      trade('buy', '0.5', '50000.00', { equity: d('0') }),
      proportional,
      'no_leader_equity',
    );
  });

  it('max_open_positions stops a new position but not adding to one', () => {
    const full = (copied: string) =>
      withSettings(
        { maxOpenPositions: 2 },
        { exposure: noExposure({ openPositions: 2 }), copiedQuantity: d(copied) },
      );
    expectSkip(BUY, full('0'), 'max_open_positions');
    expect(qty(planCopyOrder(BUY, LEADER, full('0.01')))).toBe('0.05');
  });

  it('nothing_to_close', () => {
    expectSkip(SELL_40, context(), 'nothing_to_close');
  });

  it('below_lot_size: under one lot, or under the minimum quantity', () => {
    const tiny = withSettings({ allocation: { mode: 'fixed_ratio', ratio: d('0.00001') } });
    expect(expectSkip(BUY, tiny, 'below_lot_size')).toContain('0.000005'); // 0.5 × 0.00001
    const ctx = withSettings(
      { allocation: { mode: 'fixed_ratio', ratio: d('0.001') } },
      { instrument: instrument({ minQuantity: d('0.001') }) },
    );
    expectSkip(BUY, ctx, 'below_lot_size'); // 0.0005 < 0.001
    const holding = context({ copiedQuantity: d('0.00002') });
    expectSkip(trade('sell', '0.1', '50000.00'), holding, 'below_lot_size'); // 0.000002
  });

  it('below_min_notional', () => {
    const small = withSettings({ allocation: { mode: 'fixed_ratio', ratio: d('0.0001') } });
    // 0.5 × 0.0001 = 0.00005 BTC; × 50250 = 2.5125 USDT < 5
    expect(expectSkip(BUY, small, 'below_min_notional')).toContain('2.5125');
  });

  it('a limit that leaves less than the venue accepts names itself', () => {
    // 3 / 50250 → 0.00005 BTC = 2.5125 USDT < 5
    expectSkip(BUY, withSettings({ maxOrderNotional: d('3') }), 'max_order_notional');
    const spent = withSettings(
      { allocatedAmount: d('1000') },
      { exposure: noExposure({ openCost: d('998') }) },
    );
    expect(expectSkip(BUY, spent, 'allocation_exhausted')).toContain('2 USDT');
    const capped = withSettings(
      { allocation: { mode: 'equity_cap', capPct: d('10') } },
      { copiedQuantity: d('0.0199') },
    );
    expectSkip(
      trade('buy', '0.1', '50000.00', { equity: d('10000') }),
      capped,
      'equity_cap_reached',
    );
    expectSkip(BUY, context({ available: d('1') }), 'insufficient_balance');
    const noBase = context({ copiedQuantity: d('0.05'), available: Decimal.ZERO });
    expectSkip(SELL_40, noBase, 'insufficient_balance');
  });
});

describe('planCopyOrders', () => {
  it('decides for every follow in order, each with its own client order id', () => {
    const f2 = context({ follow: follow({ id: 'follow-2', accountId: 'acct-g' }) });
    const out = planCopyOrders(BUY, LEADER, [context(), f2, context({ equity: d('0') })]);
    expect(out.map((x) => x.kind)).toEqual(['order', 'order', 'skip']);
    const ids = out.filter((x) => x.kind === 'order').map((x) => x.intent.clientOrderId);
    expect(new Set(ids).size).toBe(2);
  });
});

afterAll(() => {
  // Every reason code has an example above.
  expect(SKIP_REASONS.filter((r) => !seen.has(r))).toEqual([]);
});
