/**
 * What one binding does with one decided signal: an order for the bound account, or a skip
 * with a stable reason code and a message naming the numbers. Pure: the caller hands in the
 * binding's rules, what the models concluded, the account's balances, the instrument's rules
 * and the prices it knows.
 *
 * The venue is spot and long-only, as the paper venue is: a `long` buys (opens or adds to the
 * holding), a `short` sells part of what the account holds (never more, so it reduces and
 * never opens a short position), and a `close` sells all of it. Every limit in the rules is a
 * notional in the instrument's quote currency, measured at the order's reference price: the
 * limit price for a limit order, the worse of the last trade and the touch (ask for a buy,
 * bid for a sell) for a market order.
 */
import { Decimal, divRound } from '../../../core/decimal.js';
import type { InstrumentRules } from '../../trading/index.js';
import type { DecisionAction, Direction } from '../domain/types.js';

export const DIRECTIONS: readonly Direction[] = ['long', 'short', 'close'];

export type Sizing =
  /** The same notional every time. */
  | { mode: 'fixed_notional'; notional: Decimal }
  /** A percent (0–100] of the account's equity. */
  | { mode: 'equity_pct'; pct: Decimal }
  /** The percent of equity the agreeing models suggested (their mean), never above `capPct`. */
  | { mode: 'model_suggested'; capPct: Decimal };

export interface BindingRules {
  /** Least consensus confidence (0–1) acted on. */
  minConfidence: number;
  /** Least number of models agreeing with the consensus; null: no minimum. */
  minAgreeing: number | null;
  /** Largest notional of one order, quote currency. */
  maxOrderNotional: Decimal;
  /** Largest value of the holding a buy may reach, quote currency; null: none. */
  maxPositionNotional: Decimal | null;
  sizing: Sizing;
  /** Symbols acted on; empty: every symbol. */
  allowedSymbols: readonly string[];
  /** Directions acted on. */
  directions: readonly Direction[];
  /** `limit`: a limit order at the signal's entry when it names one (else market); `market`: always market. */
  entryOrder: 'limit' | 'market';
}

export type BindingStatus = 'active' | 'paused';

/** What the binding acts on, taken from a `SignalDecided` payload. */
export interface DecidedSignal {
  symbol: string;
  direction: Direction;
  entry: Decimal | null;
  consensus: { action: DecisionAction; confidence: number; agreeing: number };
  /** Mean percent of equity the models agreeing with the consensus suggested; null: none did. */
  suggestedSizePct: number | null;
}

/** The account as the venue's books hold it, in the instrument's currencies. */
export interface AccountView {
  /** Equity valued in the instrument's quote currency. */
  equity: Decimal;
  /** Free quote balance (what a buy can spend). */
  quoteAvailable: Decimal;
  /** Free base balance: the holding a sell can reduce. */
  baseAvailable: Decimal;
}

export interface Prices {
  last?: Decimal | undefined;
  bid?: Decimal | undefined;
  ask?: Decimal | undefined;
}

export interface PlanContext {
  instrument: InstrumentRules | undefined;
  account: AccountView;
  prices: Prices;
  /** Percent above the reference price the venue reserves for a market buy. */
  marketSlippagePct: Decimal;
}

export const SKIP_REASONS = [
  // The binding does not act.
  'binding_paused',
  'binding_deleted',
  'binding_invalid',
  'account_not_owned',
  'symbol_not_allowed',
  // The models.
  'consensus_hold',
  'consensus_disagrees',
  'direction_not_allowed',
  'below_min_confidence',
  'below_min_agreeing',
  // The market.
  'instrument_unavailable',
  'no_price',
  'invalid_entry',
  // Sizing.
  'no_size_suggested',
  'no_position_to_close',
  'position_limit_reached',
  'insufficient_balance',
  'below_min_notional',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A limit that made the order smaller than the sizing asked for. */
export type CapCode =
  | 'max_order_notional'
  | 'max_position_notional'
  | 'available_balance'
  | 'holding'
  | 'instrument_max_quantity';

export interface OrderIntent {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: Decimal;
  /** The limit price; absent on market orders. */
  price?: Decimal;
  /** Limit orders rest until filled or cancelled: an entry is a level the source chose. */
  timeInForce: 'GTC' | 'IOC';
  /** Sells on spot only ever reduce the holding. */
  reduceOnly: boolean;
}

export type Plan =
  | {
      kind: 'order';
      intent: OrderIntent;
      /** quantity × reference price. */
      notional: Decimal;
      referencePrice: Decimal;
      /** The notional the sizing asked for (sells: the holding's value for a close). */
      target: Decimal;
      cappedBy: CapCode | null;
    }
  | { kind: 'skip'; reason: SkipReason; message: string };

const skip = (reason: SkipReason, message: string): Plan => ({ kind: 'skip', reason, message });

const HUNDRED_UNITS = 100n * Decimal.ONE.units;
/**
 * Kept back from a buy's budget: the venue rounds its fee up to 10^-8 and its cost up to
 * 10^-18, so a budget spent to the last unit could be refused for a rounding.
 */
export const ROUNDING_MARGIN = Decimal.parse('0.000001');

/**
 * The checks that need nothing but the rules and the decision: run where the signal is
 * consumed, before any account is read. Returns the skip, or undefined to go on.
 */
export function gate(
  rules: BindingRules,
  status: BindingStatus,
  s: DecidedSignal,
): Extract<Plan, { kind: 'skip' }> | undefined {
  const out = (reason: SkipReason, message: string) => ({ kind: 'skip', reason, message }) as const;
  const c = s.consensus;
  if (status !== 'active') return out('binding_paused', 'the binding is paused');
  if (rules.allowedSymbols.length && !rules.allowedSymbols.includes(s.symbol)) {
    return out(
      'symbol_not_allowed',
      `${s.symbol} is not among the binding's symbols (${rules.allowedSymbols.join(', ')})`,
    );
  }
  if (c.action === 'hold') {
    return out('consensus_hold', `the models' consensus is to hold (confidence ${c.confidence})`);
  }
  if (c.action !== s.direction) {
    return out(
      'consensus_disagrees',
      `the signal says ${s.direction}, the models' consensus says ${c.action}`,
    );
  }
  if (!rules.directions.includes(c.action)) {
    return out(
      'direction_not_allowed',
      `${c.action} is not among the binding's directions (${rules.directions.join(', ')})`,
    );
  }
  if (!(c.confidence >= rules.minConfidence)) {
    return out(
      'below_min_confidence',
      `consensus confidence ${c.confidence} is below the binding's minimum of ${rules.minConfidence}`,
    );
  }
  if (rules.minAgreeing !== null && c.agreeing < rules.minAgreeing) {
    return out(
      'below_min_agreeing',
      `${c.agreeing} model(s) agree; the binding needs ${rules.minAgreeing}`,
    );
  }
  return undefined;
}

/** `pct` percent of `x`, one rounding down. */
const percentOf = (x: Decimal, pct: Decimal): Decimal =>
  Decimal.fromUnits(divRound(x.units * pct.units, HUNDRED_UNITS, 'floor'));

/** x × (100 + pct) / 100, rounded up: what the venue reserves per unit of a market buy. */
const raisedBy = (x: Decimal, pct: Decimal): Decimal =>
  Decimal.fromUnits(divRound(x.units * (HUNDRED_UNITS + pct.units), HUNDRED_UNITS, 'ceil'));

/** The largest multiple of `lot` whose value at `price` is at most `budget` (zero when none). */
function lotsWithin(budget: Decimal, price: Decimal, lot: Decimal): Decimal {
  if (!budget.isPositive()) return Decimal.ZERO;
  return budget.div(price, 'floor').roundToStep(lot, 'floor');
}

const floorToLot = (q: Decimal, lot: Decimal): Decimal =>
  q.isPositive() ? q.roundToStep(lot, 'floor') : Decimal.ZERO;

/** The notional the sizing asks for, or a skip. */
function targetNotional(rules: BindingRules, s: DecidedSignal, equity: Decimal): Decimal | Plan {
  const sizing = rules.sizing;
  switch (sizing.mode) {
    case 'fixed_notional':
      return sizing.notional;
    case 'equity_pct':
      return percentOf(equity, sizing.pct);
    case 'model_suggested': {
      const suggested = s.suggestedSizePct;
      if (suggested === null || !Number.isFinite(suggested) || suggested <= 0) {
        return skip('no_size_suggested', 'no agreeing model suggested a size');
      }
      const pct = Decimal.min(Decimal.fromNumber(suggested, 6, 'floor'), sizing.capPct);
      return percentOf(equity, pct);
    }
  }
}

/** The price a planned order is measured at, and its limit price when it is a limit order. */
function pricing(
  rules: BindingRules,
  s: DecidedSignal,
  side: 'buy' | 'sell',
  inst: InstrumentRules,
  prices: Prices,
): { reference: Decimal; limit?: Decimal } | Plan {
  if (rules.entryOrder === 'limit' && s.entry !== null) {
    // Never a worse price than the source named: buys round down to the tick, sells up.
    const limit = s.entry.roundToStep(inst.tickSize, side === 'buy' ? 'floor' : 'ceil');
    if (!limit.isPositive()) {
      return skip('invalid_entry', `entry ${s.entry} is not a positive price on this instrument`);
    }
    return { reference: limit, limit };
  }
  const touch = side === 'buy' ? prices.ask : prices.bid;
  const known = [prices.last, touch].filter((p): p is Decimal => p?.isPositive() === true);
  if (!known.length) return skip('no_price', `no price is known for ${s.symbol}`);
  // The worse of the two: a limit measured here holds whichever the order meets.
  return { reference: known.reduce((a, b) => Decimal.max(a, b)) };
}

/**
 * The order one binding places for one decided signal, or why it places none. Properties
 * (see domain.property.test.ts): the quantity is a positive multiple of the lot within the
 * instrument's minimum and maximum; quantity × reference price never exceeds
 * `maxOrderNotional` and always reaches the instrument's minimum notional; a buy fits the free
 * quote balance at the venue's reserve price with its fee; a sell never exceeds the holding.
 */
export function planOrder(
  rules: BindingRules,
  status: BindingStatus,
  s: DecidedSignal,
  ctx: PlanContext,
): Plan {
  const stop = gate(rules, status, s);
  if (stop) return stop;
  const inst = ctx.instrument;
  if (!inst || !inst.active) {
    return skip('instrument_unavailable', `${s.symbol} is not traded on the account's venue`);
  }
  const action = s.consensus.action as Direction;
  const side = action === 'long' ? 'buy' : 'sell';
  const { account } = ctx;
  if (side === 'sell' && !account.baseAvailable.isPositive()) {
    return skip('no_position_to_close', `the account holds no free ${inst.base} to sell`);
  }
  const priced = pricing(rules, s, side, inst, ctx.prices);
  if ('kind' in priced) return priced;
  const ref = priced.reference;
  const lot = inst.lotSize;

  let target: Decimal;
  let quantity: Decimal;
  let cappedBy: CapCode | null = null;
  const cap = (limit: Decimal, code: CapCode) => {
    if (limit.lt(quantity)) {
      quantity = limit;
      cappedBy = code;
    }
  };
  if (action === 'close') {
    target = account.baseAvailable.mul(ref, 'floor');
    quantity = floorToLot(account.baseAvailable, lot);
  } else {
    const wanted = targetNotional(rules, s, account.equity);
    if (!(wanted instanceof Decimal)) return wanted;
    target = wanted;
    quantity = lotsWithin(target, ref, lot);
    if (side === 'sell') cap(floorToLot(account.baseAvailable, lot), 'holding');
  }
  cap(lotsWithin(rules.maxOrderNotional, ref, lot), 'max_order_notional');
  if (side === 'buy') {
    if (rules.maxPositionNotional !== null) {
      const room = rules.maxPositionNotional.sub(account.baseAvailable.mul(ref, 'ceil'));
      if (!room.isPositive()) {
        return skip(
          'position_limit_reached',
          `the holding of ${account.baseAvailable} ${inst.base} is worth ${account.baseAvailable.mul(ref, 'ceil')} ${inst.quote}, the binding's limit is ${rules.maxPositionNotional} ${inst.quote}`,
        );
      }
      cap(lotsWithin(room, ref, lot), 'max_position_notional');
    }
    // What the venue reserves per unit: the price (raised by its allowance on a market order)
    // plus the taker fee on it.
    const reserve = priced.limit ?? raisedBy(ref, ctx.marketSlippagePct);
    const fee = Decimal.max(inst.takerFee, Decimal.ZERO);
    const perUnit = reserve.add(reserve.mul(fee, 'ceil'));
    cap(lotsWithin(account.quoteAvailable.sub(ROUNDING_MARGIN), perUnit, lot), 'available_balance');
  }
  cap(floorToLot(inst.maxQuantity, lot), 'instrument_max_quantity');

  const notional = quantity.mul(ref);
  if (!quantity.isPositive() || quantity.lt(inst.minQuantity) || notional.lt(inst.minNotional)) {
    const what = `${quantity} ${inst.base} × ${ref} = ${notional} ${inst.quote}; the venue's minimum is ${inst.minQuantity} ${inst.base} and ${inst.minNotional} ${inst.quote}`;
    if (cappedBy === 'available_balance') {
      return skip(
        'insufficient_balance',
        `${account.quoteAvailable} ${inst.quote} is free: ${what}`,
      );
    }
    if (cappedBy === 'max_position_notional') {
      return skip(
        'position_limit_reached',
        `the room left under the binding's position limit buys ${what}`,
      );
    }
    return skip('below_min_notional', `the order would be ${what}`);
  }
  const intent: OrderIntent = {
    symbol: s.symbol,
    side,
    type: priced.limit ? 'limit' : 'market',
    quantity,
    ...(priced.limit ? { price: priced.limit } : {}),
    timeInForce: priced.limit ? 'GTC' : 'IOC',
    reduceOnly: side === 'sell',
  };
  return { kind: 'order', intent, notional, referencePrice: ref, target, cappedBy };
}

/**
 * The mean size the models agreeing with the consensus suggested (percent of equity), or null
 * when none of them gave one. Sizes are float64 model outputs, as the contract says.
 */
export function suggestedSize(
  decisions: ReadonlyArray<{
    status: string;
    verdict: { action: DecisionAction; sizePct: number | null } | null;
  }>,
  action: DecisionAction,
): number | null {
  const sizes = decisions
    .filter((d) => d.status === 'ok' && d.verdict?.action === action)
    .map((d) => d.verdict!.sizePct)
    .filter((x): x is number => x !== null && Number.isFinite(x) && x > 0);
  return sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : null;
}
