import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { d, s } from './copy.fixtures.js';
import { evaluateDrawdownStop, type DrawdownInput } from './drawdown.js';

const input = (realized: string, unrealized: string, over: Partial<DrawdownInput> = {}) => ({
  allocatedAmount: d('1000'),
  realizedPnl: d(realized),
  unrealizedPnl: d(unrealized),
  stop: { pct: d('20'), closePositions: true },
  ...over,
});

describe('evaluateDrawdownStop', () => {
  it('fires at X % of the allocation, counting realized and unrealized PnL', () => {
    // −150 realized − 50 unrealized = 200 lost = 20 % of 1000
    const r = evaluateDrawdownStop(input('-150', '-50'));
    expect([r.triggered, r.closePositions, s(r.loss), s(r.drawdownPct), s(r.threshold!)]).toEqual([
      true,
      true,
      '200',
      '20',
      '200',
    ]);
  });

  it('does not fire a 10^-18 short of the threshold', () => {
    const r = evaluateDrawdownStop(input('-150', '-49.999999999999999999'));
    expect([r.triggered, r.closePositions]).toEqual([false, false]);
  });

  it('an unrealized gain offsets a realized loss', () => {
    const r = evaluateDrawdownStop(input('-300', '150'));
    expect([r.triggered, s(r.loss), s(r.drawdownPct)]).toEqual([false, '150', '15']);
  });

  it('a profit is no loss', () => {
    const r = evaluateDrawdownStop(input('50', '10'));
    expect([r.triggered, s(r.loss), s(r.drawdownPct)]).toEqual([false, '0', '0']);
  });

  it('leaves positions open when the follow says so', () => {
    const r = evaluateDrawdownStop(
      input('-500', '0', { stop: { pct: d('20'), closePositions: false } }),
    );
    expect([r.triggered, r.closePositions]).toEqual([true, false]);
  });

  it('without a stop, reports the drawdown and never fires', () => {
    const r = evaluateDrawdownStop(input('-999', '0', { stop: undefined }));
    expect([r.triggered, s(r.drawdownPct), r.threshold]).toEqual([false, '99.9', undefined]);
  });

  it('rounds the displayed percent to 4 places; the threshold up to 10^-18', () => {
    const r = evaluateDrawdownStop(
      input('-1', '0', {
        allocatedAmount: d('3'),
        stop: { pct: d('33.3'), closePositions: false },
      }),
    );
    // 1 / 3 = 33.3333 %; threshold 3 × 33.3 % = 0.999
    expect([s(r.drawdownPct), s(r.threshold!), r.triggered]).toEqual(['33.3333', '0.999', true]);
    const zero = evaluateDrawdownStop(input('-1', '0', { allocatedAmount: Decimal.ZERO }));
    expect([zero.triggered, s(zero.drawdownPct)]).toEqual([false, '0']);
  });
});
