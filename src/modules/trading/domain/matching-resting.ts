import { Decimal } from '../../../core/decimal.js';
import type { SimulatedBook } from './matching-book.js';
import type { Order, Side } from './types.js';

/** An order working on the paper venue, with what the fill model tracks beside it. */
export interface Working {
  order: Order;
  /** Arrival sequence: time priority, and "did this order exist before the event?". */
  seq: number;
  /** Estimated size ahead of it at its price (queue model only). */
  queueAhead: Decimal;
}

/**
 * Resting limit orders of one side of one instrument, best price first, then by arrival.
 * Paper orders never trade with each other: each side is matched only against market data.
 */
export class RestingSide {
  readonly items: Working[] = [];
  constructor(readonly side: Side) {}

  /** True when `a` has priority over `b` by price alone. */
  private better(a: Decimal, b: Decimal): boolean {
    return this.side === 'buy' ? a.gt(b) : a.lt(b);
  }

  insert(w: Working): void {
    const p = w.order.price!;
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.items[mid]!;
      const mp = m.order.price!;
      if (this.better(p, mp) || (mp.eq(p) && w.seq < m.seq)) hi = mid;
      else lo = mid + 1;
    }
    this.items.splice(lo, 0, w);
  }

  remove(w: Working): void {
    const i = this.items.indexOf(w);
    if (i >= 0) this.items.splice(i, 1);
  }

  /** Drops every order that is no longer working. */
  prune(isWorking: (w: Working) => boolean): void {
    let j = 0;
    for (const w of this.items) if (isWorking(w)) this.items[j++] = w;
    this.items.length = j;
  }

  /**
   * The observed top is the only evidence about the real queue: a smaller size at our price
   * means orders ahead left, and a best price behind ours means nobody is ahead any more.
   */
  shrinkQueues(book: SimulatedBook): void {
    const own = book.bestOwn(this.side);
    if (own === undefined) return;
    for (const w of this.items) {
      const p = w.order.price!;
      if (this.better(p, own)) w.queueAhead = Decimal.ZERO;
      else if (p.eq(own)) w.queueAhead = Decimal.min(w.queueAhead, book.sizeAt(this.side, p));
    }
  }
}
