/**
 * What the planner and the drawdown stop are told about a follower, assembled from the
 * trading module's account state, the follow's copied positions and the last prices.
 */
import { Decimal } from '../../core/decimal.js';
import type { AccountState, InstrumentRules } from '../trading/index.js';
import type { FollowerContext, FollowExposure, Side } from './domain/index.js';
import { exposureOf, type CopyPosition } from './positions.js';
import { followOf, type FollowRow } from './store.js';

/** Prices and instruments as this process knows them. */
export interface Pricing {
  /** Each currency at its last price in USDT (the marks the venue values accounts at). */
  marks: ReadonlyMap<string, Decimal>;
  instrument(venue: string, symbol: string): InstrumentRules | undefined;
  /** Best bid and ask, where the market module has them. */
  bookTop?(venue: string, symbol: string): { bidPrice: Decimal; askPrice: Decimal } | undefined;
}

const USDT = 'USDT';

/** Price of one unit of `ccy` in USDT, or undefined without a mark. */
const usdt = (p: Pricing, ccy: string): Decimal | undefined =>
  ccy === USDT ? Decimal.ONE : p.marks.get(ccy);

/** Value of one unit of `ccy` in `currency`; undefined when either has no price. */
export function rate(p: Pricing, ccy: string, currency: string): Decimal | undefined {
  if (ccy === currency) return Decimal.ONE;
  const a = usdt(p, ccy);
  const b = usdt(p, currency);
  return a && b && b.isPositive() ? a.div(b) : undefined;
}

/** The follow's exposure in its currency: positions valued at their base's mark. */
export function followExposure(
  row: Pick<FollowRow, 'venue' | 'currency'>,
  positions: readonly CopyPosition[],
  p: Pricing,
): FollowExposure {
  // Positions are kept in each instrument's quote currency; the exposure is in the follow's.
  const converted = positions.map((pos) => {
    const inst = p.instrument(row.venue, pos.symbol);
    const r = inst ? rate(p, inst.quote, row.currency) : undefined;
    if (!r || r.eq(Decimal.ONE)) return pos;
    return {
      ...pos,
      cost: pos.cost.mul(r),
      realizedPnl: pos.realizedPnl.mul(r),
    };
  });
  return exposureOf(converted, (symbol, quantity) => {
    const inst = p.instrument(row.venue, symbol);
    const r = inst ? rate(p, inst.base, row.currency) : undefined;
    return r ? quantity.mul(r) : undefined;
  });
}

/** Everything the planner needs about one follow for a fill of `symbol` on `side`. */
export function followerContext(
  row: FollowRow,
  symbol: string,
  side: Side,
  positions: readonly CopyPosition[],
  state: AccountState | undefined,
  p: Pricing,
): FollowerContext {
  const instrument = p.instrument(row.venue, symbol);
  const spends = instrument ? (side === 'buy' ? instrument.quote : instrument.base) : undefined;
  const copied = positions.find((x) => x.symbol === symbol)?.quantity ?? Decimal.ZERO;
  const ctx: FollowerContext = {
    follow: followOf(row),
    instrument,
    equity: state?.equity ?? Decimal.ZERO,
    available: (spends ? state?.available.get(spends) : undefined) ?? Decimal.ZERO,
    copiedQuantity: copied,
    exposure: followExposure(row, positions, p),
  };
  if (instrument && instrument.quote !== row.currency) {
    ctx.quoteRate = rate(p, instrument.quote, row.currency) ?? Decimal.ZERO;
  }
  const top = instrument && p.bookTop?.(row.venue, symbol);
  if (top) ctx.marketPrice = side === 'buy' ? top.askPrice : top.bidPrice;
  return ctx;
}
