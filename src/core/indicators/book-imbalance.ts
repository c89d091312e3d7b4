import type { Indicator } from './types.js';

/**
 * Order-book imbalance of the top of the book: (bid size − ask size) / (bid size + ask size),
 * from −1 (only offers) through 0 (balanced) to +1 (only bids). An empty book has no
 * imbalance: `undefined`, not 0, so that "no data" never reads as "balanced".
 */
export function bookImbalance(bidSize: number, askSize: number): number | undefined {
  if (!(bidSize >= 0) || !(askSize >= 0))
    throw new RangeError(`book sizes must be ≥ 0, got bid ${bidSize}, ask ${askSize}`);
  const total = bidSize + askSize;
  return total > 0 ? (bidSize - askSize) / total : undefined;
}

/**
 * The same ratio over the first `depth` levels of each side (sizes best price first), for a
 * view deeper than the top; levels beyond either side's length count as empty.
 */
export function depthImbalance(
  bidSizes: ArrayLike<number>,
  askSizes: ArrayLike<number>,
  depth: number,
): number | undefined {
  let bid = 0;
  let ask = 0;
  for (let i = 0; i < depth && i < bidSizes.length; i++) bid += bidSizes[i]!;
  for (let i = 0; i < depth && i < askSizes.length; i++) ask += askSizes[i]!;
  return bookImbalance(bid, ask);
}

/**
 * The top-of-book imbalance as a streaming indicator, for pipelines that treat every
 * feature alike. It has no warm-up (lookback 0); it is not ready while the book is empty.
 */
export class OrderBookImbalance implements Indicator {
  readonly lookback = 0;
  private v = Number.NaN;

  /** Returns the new imbalance, NaN for an empty book (as the other indicators' `update`). */
  update(bidSize: number, askSize: number): number {
    return (this.v = bookImbalance(bidSize, askSize) ?? Number.NaN);
  }

  get value(): number | undefined {
    return Number.isNaN(this.v) ? undefined : this.v;
  }

  get isReady(): boolean {
    return !Number.isNaN(this.v);
  }

  reset(): void {
    this.v = Number.NaN;
  }
}
