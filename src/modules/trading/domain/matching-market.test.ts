import { describe, expect, it } from 'vitest';
import type { BookTop, Trade } from '../../market/domain/types.js';
import { feeFor } from './matching-config.js';
import {
  BTC,
  HAND_BOOK,
  STANDARD_TOP,
  T0,
  d,
  eventsOf,
  fillsOf,
  harness,
  instrument,
  lastStates,
  okOut,
  top,
} from './matching.fixtures.js';

// Book behind STANDARD_TOP (levels 10.00 apart, each twice the size of the one before):
//   asks 0.3 @ 50000.00, 0.6 @ 50010.00, 1.2 @ 50020.00   (2.1 in all)
//   bids 0.3 @ 49990.00, 0.6 @ 49980.00, 1.2 @ 49970.00
// Fees: maker 0.05 %, taker 0.1 %.

describe('paper venue: market orders', () => {
  it('market buy 0.5 BTC walks two levels: 0.3 @ 50000.00 + 0.2 @ 50010.00 = avg 50004.00, fee 0.1% = 25.002', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5' })));
    expect(eventsOf(out)).toEqual([
      'OrderAccepted:o-1',
      'OrderPartiallyFilled:o-1',
      'OrderFilled:o-1',
    ]);
    // 0.3 × 50000 = 15000 → fee 15; 0.2 × 50010 = 10002 → fee 10.002
    expect(fillsOf(out)).toEqual(['o-1 0.3@50000 fee 15 taker', 'o-1 0.2@50010 fee 10.002 taker']);
    expect(out.fills.map((f) => [f.id, f.feeCurrency, f.ts])).toEqual([
      ['fill-1', 'USDT', T0],
      ['fill-2', 'USDT', T0],
    ]);
    const o = lastStates(out).get('o-1')!;
    // (15000 + 10002) / 0.5 = 50004
    expect([o.status, o.averagePrice.toString(), o.fees.toString(), o.version]).toEqual([
      'filled',
      '50004',
      '25.002',
      3,
    ]);
    expect(h.engine.openOrders()).toEqual([]);
  });

  it('market sell 1.0 walks the bids down: 0.3 @ 49990 + 0.6 @ 49980 + 0.1 @ 49970 = 49982 / 1.0', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(h.engine.submit(h.order({ side: 'sell', quantity: '1.0' })));
    // 14997 + 29988 + 4997 = 49982; fees 14.997 + 29.988 + 4.997 = 49.982
    expect(fillsOf(out)).toEqual([
      'o-1 0.3@49990 fee 14.997 taker',
      'o-1 0.6@49980 fee 29.988 taker',
      'o-1 0.1@49970 fee 4.997 taker',
    ]);
    const o = lastStates(out).get('o-1')!;
    expect([o.averagePrice.toString(), o.fees.toString()]).toEqual(['49982', '49.982']);
  });

  it('market buy 3.0 beyond the 2.1 of simulated depth fills 2.1 and cancels 0.9 as insufficient_liquidity', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '3.0' })));
    expect(fillsOf(out)).toEqual([
      'o-1 0.3@50000 fee 15 taker',
      'o-1 0.6@50010 fee 30.006 taker',
      'o-1 1.2@50020 fee 60.024 taker',
    ]);
    const last = out.transitions.at(-1)!;
    expect(last.event).toMatchObject({ type: 'OrderCancelled', reason: 'insufficient_liquidity' });
    // 15000 + 30006 + 60024 = 105030; / 2.1 = 50014.285714… rounded half-even at 18 places
    expect(last.order.filledQuantity.toString()).toBe('2.1');
    expect(last.order.averagePrice.toString()).toBe('50014.285714285714285714');
    if (last.event.type === 'OrderCancelled')
      expect(last.event.leavesQuantity.toString()).toBe('0.9');
  });

  it('liquidity taken stays taken until the next book top replaces it', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3' })));
    const second = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3' })));
    expect(fillsOf(second)).toEqual(['o-2 0.3@50010 fee 15.003 taker']);
    h.engine.onBookTop(STANDARD_TOP());
    const third = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3' })));
    expect(fillsOf(third)).toEqual(['o-3 0.3@50000 fee 15 taker']);
  });

  it('without a book yet a market order is rejected with no_market_data and nothing fills', () => {
    const h = harness();
    h.engine.onBookTop({ ...STANDARD_TOP(), symbol: 'ETH/USDT' }); // another instrument's book
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5' })));
    expect(eventsOf(out)).toEqual(['OrderRejected:o-1']);
    expect(out.transitions[0]!.order).toMatchObject({
      status: 'rejected',
      reason: 'no_market_data',
      version: 1,
    });
    expect(out.fills).toEqual([]);
  });

  it('FOK market 2.2 > 2.1 available is rejected before any fill and leaves the book untouched', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '2.2', tif: 'FOK' })));
    expect(out.transitions.map((t) => [t.event.type, t.order.reason])).toEqual([
      ['OrderRejected', 'fok_not_fillable'],
    ]);
    const next = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '2.1', tif: 'FOK' })));
    expect(fillsOf(next)).toHaveLength(3);
    expect(lastStates(next).get('o-2')?.status).toBe('filled');
  });

  it('fees round up to 8 places: 0.001 × 50000.01 × 0.025% = 0.0125000025 → 0.01250001', () => {
    const inst = instrument({ takerFee: d('0.00025') });
    const h = harness(HAND_BOOK, [inst]);
    h.engine.onBookTop(top('49990.00', '1', '50000.01', '1'));
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.001' })));
    expect(out.fills[0]?.fee.toString()).toBe('0.01250001');
  });

  it('feeFor rounds once toward +∞: up for fees, toward zero for rebates, at the configured places', () => {
    expect(feeFor(d('50000.01'), d('0.001'), d('0.00025'), 8).toString()).toBe('0.01250001');
    expect(feeFor(d('50000.01'), d('0.001'), d('-0.00025'), 8).toString()).toBe('-0.0125');
    expect(feeFor(d('50000'), d('0.3'), d('0.001'), 2).toString()).toBe('15');
    expect(feeFor(d('50000.01'), d('0.001'), d('0.001'), 2).toString()).toBe('0.06'); // 0.05000001
    expect(feeFor(d('50000'), d('0.3'), d('0'), 8).toString()).toBe('0');
  });

  it('a top off the tick is moved outward to the tick, so fills stay on it', () => {
    const h = harness();
    h.engine.onBookTop(top('49990.005', '0.3', '50000.005', '0.3'));
    const buy = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.1' })));
    const sell = okOut(h.engine.submit(h.order({ side: 'sell', quantity: '0.1' })));
    expect([...fillsOf(buy), ...fillsOf(sell)]).toEqual([
      'o-1 0.1@50000.01 fee 5.000001 taker',
      'o-2 0.1@49990 fee 4.999 taker',
    ]);
  });

  it("the market module's Trade and BookTop events feed the engine as they are", () => {
    const h = harness();
    const book: BookTop = STANDARD_TOP();
    const print: Trade = {
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: 't',
      price: d('49000'),
      quantity: d('1'),
      side: 'sell',
      ts: T0,
    };
    h.engine.onBookTop(book);
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.1', price: '49500.00' })));
    expect(fillsOf(h.engine.onTrade(print))).toEqual(['o-1 0.1@49500 fee 2.475 maker']);
  });

  it('refuses commands it cannot take, and rejects orders for unknown or halted instruments', () => {
    const h = harness(HAND_BOOK, [
      BTC,
      instrument({ symbol: 'ETH/USDT', base: 'ETH', active: false }),
    ]);
    h.engine.onBookTop(STANDARD_TOP());
    const o = h.order({ side: 'buy', quantity: '0.1', price: '49000.00' });
    okOut(h.engine.submit(o));
    expect(h.engine.submit(o)).toMatchObject({ ok: false, code: 'duplicate_order' });
    expect(
      h.engine.submit({ ...h.order({ side: 'buy', quantity: '1' }), venue: 'binance' }),
    ).toMatchObject({
      ok: false,
      code: 'wrong_venue',
    });
    expect(
      h.engine.submit({ ...h.order({ side: 'buy', quantity: '1' }), status: 'accepted' }),
    ).toMatchObject({
      ok: false,
      code: 'order_not_new',
    });
    const unknown = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1', symbol: 'DOGE/USDT' })),
    );
    expect(unknown.transitions[0]?.order.reason).toBe('unknown_instrument');
    const halted = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1', symbol: 'ETH/USDT' })),
    );
    expect(halted.transitions[0]?.order.reason).toBe('instrument_inactive');
  });
});
