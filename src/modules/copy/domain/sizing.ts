/**
 * Quantities of copies. A target is computed exactly (one truncation at 10^-18), rounded
 * down to the lot, then reduced by every limit that applies; each limit is itself a whole
 * number of lots, so the result is on the lot and breaks none of them. Rounding is always
 * down: a copy may be up to one lot smaller than its exact proportion, never larger.
 *
 * Limits that bound exposure (order notional, allocation, equity cap) apply to opening
 * orders only. A closing order is bounded by the copied position and what the account holds:
 * refusing to reduce exposure is the opposite of what such a limit is for.
 */
import { Decimal } from '../../../core/decimal.js';
import { floorToLot, mulDiv, percentOf, quantityWithin } from './arith.js';
import { CAP_SKIP, type CapCode, type SkipReason } from './decisions.js';
import type { FollowExposure, FollowSettings, InstrumentRules } from './types.js';

export type SizeResult =
  | { ok: true; quantity: Decimal; target: Decimal; cappedBy?: CapCode }
  | { ok: false; reason: SkipReason; message: string };

const fail = (reason: SkipReason, message: string): SizeResult => ({ ok: false, reason, message });

export interface OpeningInput {
  settings: FollowSettings;
  instrument: InstrumentRules;
  /** Currency of the follow (allocation, limits, equity). */
  currency: string;
  leaderQuantity: Decimal;
  leaderEquity: Decimal;
  followerEquity: Decimal;
  limitPrice: Decimal;
  /** Value of one base unit at the limit price in the follow currency (price × quote rate). */
  unitValue: Decimal;
  copiedQuantity: Decimal;
  exposure: FollowExposure;
  /** Free quote balance. */
  available: Decimal;
}

/** What the allocation still allows: allocated + realized PnL − cost of open copies, ≥ 0. */
export function allocationRemaining(allocated: Decimal, exposure: FollowExposure): Decimal {
  return Decimal.max(allocated.add(exposure.realizedPnl).sub(exposure.openCost), Decimal.ZERO);
}

/** The exact quantity an opening copy aims for, before lot rounding and limits. */
export function openingTarget(
  o: Pick<OpeningInput, 'settings' | 'leaderQuantity' | 'leaderEquity' | 'followerEquity'> & {
    unitValue: Decimal;
  },
): { ok: true; target: Decimal } | { ok: false; reason: SkipReason; message: string } {
  const a = o.settings.allocation;
  switch (a.mode) {
    case 'fixed_ratio':
      return { ok: true, target: o.leaderQuantity.mul(a.ratio, 'floor') };
    case 'fixed_amount':
      return { ok: true, target: a.amount.div(o.unitValue, 'floor') };
    case 'proportional':
    case 'equity_cap':
      if (!o.leaderEquity.isPositive()) {
        return {
          ok: false,
          reason: 'no_leader_equity',
          message: `the leader's equity is ${o.leaderEquity}, so no proportion can be taken`,
        };
      }
      return {
        ok: true,
        target: mulDiv(o.leaderQuantity, o.followerEquity, o.leaderEquity, 'floor'),
      };
  }
}

/** Why `q` cannot be placed on the venue, or undefined when it can. */
function unplaceable(
  q: Decimal,
  inst: InstrumentRules,
  limitPrice: Decimal,
): { reason: 'below_lot_size' | 'below_min_notional'; message: string } | undefined {
  if (q.isZero()) {
    return { reason: 'below_lot_size', message: `less than one lot of ${inst.lotSize}` };
  }
  if (q.lt(inst.minQuantity)) {
    return {
      reason: 'below_lot_size',
      message: `${q} ${inst.base} is below the minimum quantity of ${inst.minQuantity}`,
    };
  }
  const notional = q.mul(limitPrice);
  if (notional.lt(inst.minNotional)) {
    return {
      reason: 'below_min_notional',
      message: `${q} × ${limitPrice} = ${notional} ${inst.quote} is below the minimum notional of ${inst.minNotional}`,
    };
  }
  return undefined;
}

interface Cap {
  code: CapCode;
  /** Largest quantity the limit allows, on the lot. */
  quantity: Decimal;
  /** Built only for a cap that binds: one fill is sized for every follower. */
  why: () => string;
}

/** Applies every cap to `q`, remembering the tightest; fails when what is left cannot be placed. */
function applyCaps(
  q: Decimal,
  target: Decimal,
  caps: Cap[],
  inst: InstrumentRules,
  limitPrice: Decimal,
): SizeResult {
  let quantity = q;
  let binding: Cap | undefined;
  for (const cap of caps) {
    if (cap.quantity.lt(quantity)) {
      quantity = cap.quantity;
      binding = cap;
    }
  }
  if (binding === undefined) return { ok: true, quantity, target };
  const bad = unplaceable(quantity, inst, limitPrice);
  if (bad) return fail(CAP_SKIP[binding.code], `${binding.why()}; ${bad.message}`);
  return { ok: true, quantity, target, cappedBy: binding.code };
}

const maxQuantityCap = (inst: InstrumentRules): Cap => ({
  code: 'instrument_max_quantity',
  quantity: inst.maxQuantity,
  why: () => `${inst.symbol} takes at most ${inst.maxQuantity} per order`,
});

export function sizeOpening(o: OpeningInput): SizeResult {
  const { instrument: inst, settings, currency: cur } = o;
  const lot = inst.lotSize;
  if (!o.followerEquity.isPositive()) {
    return fail('insufficient_equity', `the follower's equity is ${o.followerEquity} ${cur}`);
  }
  const t = openingTarget(o);
  if (!t.ok) return t;
  const q = floorToLot(t.target, lot);
  const bad = unplaceable(q, inst, o.limitPrice);
  if (bad) return fail(bad.reason, `the copy of ${t.target} ${inst.base}: ${bad.message}`);

  const caps: Cap[] = [];
  const max = settings.maxOrderNotional;
  if (max) {
    const most = quantityWithin(max, o.unitValue, lot);
    caps.push({
      code: 'max_order_notional',
      quantity: most,
      why: () => `the max order notional of ${max} ${cur} allows ${most} ${inst.base}`,
    });
  }
  const remaining = allocationRemaining(settings.allocatedAmount, o.exposure);
  caps.push({
    code: 'allocation',
    quantity: quantityWithin(remaining, o.unitValue, lot),
    why: () =>
      `${remaining} ${cur} of the ${settings.allocatedAmount} ${cur} allocation is left (realized PnL ${o.exposure.realizedPnl}, open cost ${o.exposure.openCost})`,
  });
  const alloc = settings.allocation;
  if (alloc.mode === 'equity_cap') {
    const capValue = percentOf(o.followerEquity, alloc.capPct, 'floor');
    const most = quantityWithin(capValue, o.unitValue, lot);
    caps.push({
      code: 'equity_cap',
      quantity: floorToLot(most.sub(o.copiedQuantity), lot),
      why: () =>
        `the cap of ${alloc.capPct}% of ${o.followerEquity} ${cur} equity is ${capValue} ${cur}, ${most} ${inst.base}, and ${o.copiedQuantity} is held`,
    });
  }
  const perUnit = o.limitPrice.mul(
    Decimal.ONE.add(Decimal.max(inst.takerFee, Decimal.ZERO)),
    'ceil',
  );
  const affordable = quantityWithin(o.available, perUnit, lot);
  caps.push({
    code: 'available_balance',
    quantity: affordable,
    why: () =>
      `${o.available} ${inst.quote} is free, enough for ${affordable} ${inst.base} at ${perUnit} with the fee`,
  });
  caps.push(maxQuantityCap(inst));
  return applyCaps(q, t.target, caps, inst, o.limitPrice);
}

export interface ClosingInput {
  instrument: InstrumentRules;
  leaderQuantity: Decimal;
  /** The leader's position before the fill; a sell of all of it (or more) closes everything. */
  leaderPositionBefore: Decimal;
  copiedQuantity: Decimal;
  /** Free base balance. */
  available: Decimal;
  limitPrice: Decimal;
}

/** Closes the same fraction of the copied position as the leader closed of theirs. */
export function sizeClosing(o: ClosingInput): SizeResult {
  const inst = o.instrument;
  if (!o.copiedQuantity.isPositive()) {
    return fail('nothing_to_close', `the follow holds no copied ${inst.base}`);
  }
  const all = o.leaderQuantity.gte(o.leaderPositionBefore);
  const target = all
    ? o.copiedQuantity
    : mulDiv(o.copiedQuantity, o.leaderQuantity, o.leaderPositionBefore, 'floor');
  const q = floorToLot(target, inst.lotSize);
  const bad = unplaceable(q, inst, o.limitPrice);
  if (bad) {
    const share = all ? 'all' : `${o.leaderQuantity} / ${o.leaderPositionBefore}`;
    return fail(bad.reason, `closing ${share} of the copied ${o.copiedQuantity}: ${bad.message}`);
  }
  const free = floorToLot(o.available, inst.lotSize);
  return applyCaps(
    q,
    target,
    [
      {
        code: 'available_balance',
        quantity: free,
        why: () => `${o.available} ${inst.base} is free of the copied ${o.copiedQuantity}`,
      },
      maxQuantityCap(inst),
    ],
    inst,
    o.limitPrice,
  );
}
