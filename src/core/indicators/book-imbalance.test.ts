import { describe, expect, it } from 'vitest';
import { OrderBookImbalance, bookImbalance, depthImbalance } from './book-imbalance.js';

describe('order-book imbalance', () => {
  it('is (bid - ask) / (bid + ask) of the top of the book', () => {
    expect(bookImbalance(3, 1)).toBe(0.5); // (3 - 1) / 4
    expect(bookImbalance(1, 3)).toBe(-0.5);
    expect(bookImbalance(2, 2)).toBe(0);
    expect(bookImbalance(5, 0)).toBe(1);
    expect(bookImbalance(0, 5)).toBe(-1);
  });

  it('has no value for an empty book, rather than reading as balanced', () => {
    expect(bookImbalance(0, 0)).toBeUndefined();
  });

  it('rejects negative or missing sizes', () => {
    expect(() => bookImbalance(-1, 2)).toThrow(RangeError);
    expect(() => bookImbalance(Number.NaN, 2)).toThrow(RangeError);
  });

  it('sums the first levels of each side for a deeper view', () => {
    // bids 1 + 2 + 3 = 6, asks 4 + 1 = 5 (the ask side has only two levels): 1 / 11
    expect(depthImbalance([1, 2, 3, 9], [4, 1], 3)).toBeCloseTo(1 / 11, 15);
    expect(depthImbalance([1, 2], [4, 1], 1)).toBeCloseTo(-3 / 5, 15);
    expect(depthImbalance([], [], 5)).toBeUndefined();
  });

  it('streams like the other indicators', () => {
    const obi = new OrderBookImbalance();
    expect(obi.lookback).toBe(0);
    expect(obi.isReady).toBe(false);
    expect(obi.update(3, 1)).toBe(0.5);
    expect(obi.value).toBe(0.5);
    expect(obi.update(0, 0)).toBeNaN();
    expect(obi.value).toBeUndefined();
    expect(obi.isReady).toBe(false);
    obi.update(1, 1);
    obi.reset();
    expect(obi.value).toBeUndefined();
  });
});
