import { describe, expect, it } from 'vitest';
import { Decimal } from '../../core/decimal.js';
import { applyExecution, emptyPosition, exposureOf, realizedOf } from './positions.js';

const d = (s: string) => Decimal.parse(s);
const s = (x: Decimal) => x.toString();

describe('copied positions', () => {
  it('keeps the buy fee in the cost and realizes the sold share net of the sell fee', () => {
    // Buy 0.1 at 50000: cost 5000 + 5 fee = 5005.
    let p = applyExecution(emptyPosition('f', 'BTC/USDT'), {
      side: 'buy',
      quantity: d('0.1'),
      notional: d('5000'),
      fee: d('5'),
    });
    expect([s(p.quantity), s(p.cost), s(p.fees)]).toEqual(['0.1', '5005', '5']);
    // Sell 0.04 at 55000: 2200 − 2.2 fee; removed 5005 × 0.04 / 0.1 = 2002; realized 195.8.
    p = applyExecution(p, {
      side: 'sell',
      quantity: d('0.04'),
      notional: d('2200'),
      fee: d('2.2'),
    });
    expect([s(p.quantity), s(p.cost), s(p.realizedPnl)]).toEqual(['0.06', '3003', '195.8']);
    // Sell the rest at 45000: 2700 − 2.7 − 3003 = −305.7; flat, cost exactly zero.
    p = applyExecution(p, {
      side: 'sell',
      quantity: d('0.06'),
      notional: d('2700'),
      fee: d('2.7'),
    });
    expect([s(p.quantity), s(p.cost), s(p.realizedPnl)]).toEqual(['0', '0', '-109.9']);
    expect(s(realizedOf([p]))).toBe('-109.9');
  });

  it('realizes only the copied part of a sale larger than the copy', () => {
    const p = applyExecution(
      { ...emptyPosition('f', 'BTC/USDT'), quantity: d('0.1'), cost: d('5000') },
      { side: 'sell', quantity: d('0.2'), notional: d('12000'), fee: d('12') },
    );
    // Half of (12000 − 12) counts: 5994 − 5000 = 994.
    expect([s(p.quantity), s(p.cost), s(p.realizedPnl)]).toEqual(['0', '0', '994']);
  });

  it('values open positions at their marks for the exposure', () => {
    const open = { ...emptyPosition('f', 'BTC/USDT'), quantity: d('0.1'), cost: d('5005') };
    const flat = { ...emptyPosition('f', 'ETH/USDT'), realizedPnl: d('-20') };
    const e = exposureOf([open, flat], (symbol, q) =>
      symbol === 'BTC/USDT' ? q.mul(d('40000')) : undefined,
    );
    expect({
      openCost: s(e.openCost),
      realizedPnl: s(e.realizedPnl),
      unrealizedPnl: s(e.unrealizedPnl),
      openPositions: e.openPositions,
    }).toEqual({ openCost: '5005', realizedPnl: '-20', unrealizedPnl: '-1005', openPositions: 1 });
  });
});
