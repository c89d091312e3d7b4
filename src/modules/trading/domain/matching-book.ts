import { Decimal } from '../../../core/decimal.js';
import type { MatchingConfig } from './matching-config.js';
import type { InstrumentRules, MarketTop, Side } from './types.js';

export interface Level {
  price: Decimal;
  size: Decimal;
}

interface Ladder {
  levels: Level[];
  /** Cumulative size up to and including each level. */
  cum: Decimal[];
  /** Size taken by paper orders since this top arrived; hidden until the next top. */
  taken: Decimal;
}

/**
 * The depth the paper venue pretends exists behind a book top: level 0 is the top itself,
 * level k sits k × spacing ticks further away with size top × growth^k. Only the top is
 * observed; the rest is a model, so that an order larger than the top pays slippage instead
 * of filling everything at the best price.
 *
 * Top prices off the tick are moved away from the mid to the next tick (asks up, bids down)
 * and sizes are cut down to the lot, so every fill lands on the tick and the lot.
 */
export class SimulatedBook {
  private readonly asks: Ladder;
  private readonly bids: Ladder;

  constructor(top: MarketTop, cfg: MatchingConfig, inst: InstrumentRules) {
    const step = inst.tickSize.mulInt(cfg.levelSpacingTicks);
    this.asks = ladder(
      top.askPrice.roundToStep(inst.tickSize, 'ceil'),
      top.askSize,
      step,
      cfg,
      inst,
    );
    this.bids = ladder(
      top.bidPrice.roundToStep(inst.tickSize, 'floor'),
      top.bidSize,
      step.neg(),
      cfg,
      inst,
    );
  }

  /** The side a taker on `side` trades against. */
  private opposite(side: Side): Ladder {
    return side === 'buy' ? this.asks : this.bids;
  }

  /** Best price of the top on the side a taker on `side` trades against, if any. */
  best(side: Side): Decimal | undefined {
    return this.opposite(side).levels[0]?.price;
  }

  /** Best price a maker on `side` competes with (the top of its own side). */
  bestOwn(side: Side): Decimal | undefined {
    return this.opposite(side === 'buy' ? 'sell' : 'buy').levels[0]?.price;
  }

  /** Would a limit at `price` on `side` trade against the observed top? */
  crosses(side: Side, price: Decimal): boolean {
    const best = this.best(side);
    return best !== undefined && (side === 'buy' ? price.gte(best) : price.lte(best));
  }

  /**
   * What a taker on `side` would get for up to `quantity`, at prices no worse than `limit`,
   * level by level, without taking it.
   */
  quote(side: Side, quantity: Decimal, limit?: Decimal): Level[] {
    const l = this.opposite(side);
    const out: Level[] = [];
    let need = quantity;
    let start = Decimal.ZERO;
    for (let i = 0; i < l.levels.length && need.isPositive(); i++) {
      const lv = l.levels[i]!;
      const end = l.cum[i]!;
      if (limit && (side === 'buy' ? lv.price.gt(limit) : lv.price.lt(limit))) break;
      const avail = end.sub(Decimal.max(start, l.taken));
      start = end;
      if (!avail.isPositive()) continue;
      const q = Decimal.min(avail, need);
      out.push({ price: lv.price, size: q });
      need = need.sub(q);
    }
    return out;
  }

  /** Everything a taker on `side` could still take at prices no worse than `limit`. */
  available(side: Side, limit?: Decimal): Decimal {
    const l = this.opposite(side);
    let end = Decimal.ZERO;
    for (let i = 0; i < l.levels.length; i++) {
      const p = l.levels[i]!.price;
      if (limit && (side === 'buy' ? p.gt(limit) : p.lt(limit))) break;
      end = l.cum[i]!;
    }
    return Decimal.max(Decimal.ZERO, end.sub(l.taken));
  }

  /** Removes what a taker on `side` just took (a quote's total) from the front of the book. */
  take(side: Side, quantity: Decimal): void {
    const l = this.opposite(side);
    l.taken = l.taken.add(quantity);
  }

  /** Size shown at exactly `price` on the side where a maker on `side` would rest. */
  sizeAt(side: Side, price: Decimal): Decimal {
    const l = this.opposite(side === 'buy' ? 'sell' : 'buy');
    return l.levels.find((lv) => lv.price.eq(price))?.size ?? Decimal.ZERO;
  }
}

function ladder(
  best: Decimal,
  topSize: Decimal,
  step: Decimal,
  cfg: MatchingConfig,
  inst: InstrumentRules,
): Ladder {
  const levels: Level[] = [];
  const cum: Decimal[] = [];
  let raw = Decimal.max(topSize, Decimal.ZERO);
  let price = best;
  let total = Decimal.ZERO;
  for (let k = 0; k < cfg.depthLevels && price.isPositive(); k++) {
    const size = raw.roundToStep(inst.lotSize, 'down');
    total = total.add(size);
    levels.push({ price, size });
    cum.push(total);
    price = price.add(step);
    raw = raw.mul(cfg.sizeGrowth, 'down');
  }
  return { levels, cum, taken: Decimal.ZERO };
}
