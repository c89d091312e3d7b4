import { describe, expect, it } from 'vitest';
import {
  HAND_BOOK,
  STANDARD_TOP,
  T0,
  eventsOf,
  fillsOf,
  harness,
  lastStates,
  okOut,
  top,
  trade,
} from './matching.fixtures.js';

// Book behind STANDARD_TOP: asks 0.3 @ 50000.00, 0.6 @ 50010.00, 1.2 @ 50020.00;
// bids 0.3 @ 49990.00, 0.6 @ 49980.00, 1.2 @ 49970.00. Fees: maker 0.05 %, taker 0.1 %.

describe('paper venue: resting limit orders', () => {
  it('buy 0.5 @ 49995.00 rests; a sell print of 0.2 @ 49994.99 fills 0.2 as maker (fee 0.05% × 9999 = 4.9995), the next 0.3', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const placed = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })),
    );
    expect(eventsOf(placed)).toEqual(['OrderAccepted:o-1']);
    expect(h.engine.openOrders().map((o) => o.id)).toEqual(['o-1']);

    const first = h.engine.onTrade(trade('49994.99', '0.2', 'sell', T0 + 1000));
    expect(fillsOf(first)).toEqual(['o-1 0.2@49995 fee 4.9995 maker']);
    expect(first.fills[0]?.ts).toBe(T0 + 1000); // market-driven fills carry the print's time
    expect(lastStates(first).get('o-1')?.status).toBe('partially_filled');

    // 0.3 × 49995 = 14998.5 → fee 7.49925
    const second = h.engine.onTrade(trade('49990.00', '0.5', 'sell', T0 + 2000));
    expect(fillsOf(second)).toEqual(['o-1 0.3@49995 fee 7.49925 maker']);
    const o = lastStates(second).get('o-1')!;
    expect([
      o.status,
      o.filledQuantity.toString(),
      o.averagePrice.toString(),
      o.fees.toString(),
    ]).toEqual(['filled', '0.5', '49995', '12.49875']);
    expect(h.engine.openOrders()).toEqual([]);
  });

  it('sell 0.4 @ 50005.00 fills when a buy prints through it at 50005.01: 20002 × 0.05% = 10.001', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'sell', quantity: '0.4', price: '50005.00' })));
    expect(fillsOf(h.engine.onTrade(trade('50004.99', '1', 'buy')))).toEqual([]);
    expect(fillsOf(h.engine.onTrade(trade('50005.01', '1', 'buy')))).toEqual([
      'o-1 0.4@50005 fee 10.001 maker',
    ]);
  });

  it("a print exactly at the limit: 'through' waits, 'touch' fills on a seller's print only", () => {
    for (const [model, expected] of [
      ['through', []],
      ['touch', ['o-1 0.2@49995 fee 4.9995 maker']],
    ] as const) {
      const h = harness({ ...HAND_BOOK, queueModel: model });
      h.engine.onBookTop(STANDARD_TOP());
      okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
      expect(fillsOf(h.engine.onTrade(trade('49995.00', '0.2', 'buy'))), model).toEqual([]);
      expect(fillsOf(h.engine.onTrade(trade('49995.00', '0.2', 'sell'))), model).toEqual(expected);
    }
  });

  it("'queue': 0.3 shown at 49990.00 is ahead; prints of 0.2 then 0.4 there fill 0 then 0.4 − 0.1 = 0.3", () => {
    const h = harness({ ...HAND_BOOK, queueModel: 'queue' });
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49990.00' })));
    expect(fillsOf(h.engine.onTrade(trade('49990.00', '0.2', 'sell')))).toEqual([]);
    expect(fillsOf(h.engine.onTrade(trade('49990.00', '0.4', 'sell')))).toEqual([
      'o-1 0.3@49990 fee 7.4985 maker',
    ]);
    expect(fillsOf(h.engine.onTrade(trade('49990.00', '0.1', 'sell')))).toEqual([
      'o-1 0.1@49990 fee 2.4995 maker',
    ]);
  });

  it("'queue': a smaller size shown at our price means orders ahead left; 0.3 → 0.1 ahead, a 0.15 print fills 0.05", () => {
    const h = harness({ ...HAND_BOOK, queueModel: 'queue' });
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49990.00' })));
    h.engine.onBookTop(top('49990.00', '0.1', '50000.00', '0.3'));
    expect(fillsOf(h.engine.onTrade(trade('49990.00', '0.15', 'sell')))).toEqual([
      'o-1 0.05@49990 fee 1.24975 maker',
    ]);
  });

  it("'queue': when the best bid falls behind our price, nobody is ahead any more", () => {
    const h = harness({ ...HAND_BOOK, queueModel: 'queue' });
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49980.00' }))); // behind 0.6 at level 1
    h.engine.onBookTop(top('49970.00', '0.3', '49990.00', '0.3'));
    expect(fillsOf(h.engine.onTrade(trade('49980.00', '0.2', 'sell')))).toEqual([
      'o-1 0.2@49980 fee 4.998 maker',
    ]);
  });

  it('one print of 0.5 is shared in price-time priority: B 0.3 @ 49996 first, then A 0.2 @ 49995, C nothing', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3', price: '49995.00', id: 'A' })));
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3', price: '49996.00', id: 'B' })));
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3', price: '49995.00', id: 'C' })));
    const out = h.engine.onTrade(trade('49990.00', '0.5', 'sell'));
    expect(fillsOf(out)).toEqual(['B 0.3@49996 fee 7.4994 maker', 'A 0.2@49995 fee 4.9995 maker']);
  });

  it('a buy limit 1.0 @ 50010.00 takes 0.3 @ 50000 + 0.6 @ 50010 as taker and rests the last 0.1', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1.0', price: '50010.00' })),
    );
    expect(fillsOf(out)).toEqual(['o-1 0.3@50000 fee 15 taker', 'o-1 0.6@50010 fee 30.006 taker']);
    const o = h.engine.openOrders()[0]!;
    // (15000 + 30006) / 0.9 = 50006.666…
    expect([o.status, o.filledQuantity.toString(), o.averagePrice.toString()]).toEqual([
      'partially_filled',
      '0.9',
      '50006.666666666666666667',
    ]);
  });

  it('IOC: the unfilled rest is cancelled as ioc_remainder; a non-marketable IOC is accepted then cancelled', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1.0', price: '50010.00', tif: 'IOC' })),
    );
    expect(out.transitions.at(-1)?.event).toMatchObject({
      type: 'OrderCancelled',
      reason: 'ioc_remainder',
    });
    expect(out.transitions.at(-1)?.order.filledQuantity.toString()).toBe('0.9');
    const miss = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1.0', price: '49995.00', tif: 'IOC' })),
    );
    expect(eventsOf(miss)).toEqual(['OrderAccepted:o-2', 'OrderCancelled:o-2']);
    expect(h.engine.openOrders()).toEqual([]);
  });

  it('FOK: 1.0 @ 50010.00 with only 0.9 at or below it is rejected whole; 0.9 fills whole', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const no = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '1.0', price: '50010.00', tif: 'FOK' })),
    );
    expect(no.transitions.map((t) => t.order.reason)).toEqual(['fok_not_fillable']);
    expect(no.fills).toEqual([]);
    const yes = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.9', price: '50010.00', tif: 'FOK' })),
    );
    expect(lastStates(yes).get('o-2')?.status).toBe('filled');
  });

  it('post-only: a buy at the ask (50000.00) is rejected post_only_would_take; one tick below rests', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const taker = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.1', price: '50000.00', postOnly: true })),
    );
    expect(taker.transitions.map((t) => [t.event.type, t.order.reason])).toEqual([
      ['OrderRejected', 'post_only_would_take'],
    ]);
    const maker = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.1', price: '49999.99', postOnly: true })),
    );
    expect(eventsOf(maker)).toEqual(['OrderAccepted:o-2']);
    const sell = okOut(
      h.engine.submit(
        h.order({ side: 'sell', quantity: '0.1', price: '49990.00', postOnly: true }),
      ),
    );
    expect(sell.transitions[0]?.order.reason).toBe('post_only_would_take');
  });

  it('a new top whose ask 49993.00 crosses a resting buy @ 49995.00 fills the 0.2 offered at or below it, as maker', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
    const out = h.engine.onBookTop(top('49980.00', '0.3', '49993.00', '0.2', T0 + 5));
    // asks now 0.2 @ 49993, 0.4 @ 50003: only 0.2 at or below 49995
    expect(fillsOf(out)).toEqual(['o-1 0.2@49995 fee 4.9995 maker']);
    expect(out.fills[0]?.ts).toBe(T0 + 5);

    const off = harness({ ...HAND_BOOK, fillOnBookCross: false });
    off.engine.onBookTop(STANDARD_TOP());
    okOut(off.engine.submit(off.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
    expect(off.engine.onBookTop(top('49980.00', '0.3', '49993.00', '0.2')).fills).toEqual([]);
  });

  it('without a book a GTC limit rests and later fills on prints; an IOC or FOK limit is rejected no_market_data', () => {
    const h = harness();
    const gtc = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })),
    );
    expect(eventsOf(gtc)).toEqual(['OrderAccepted:o-1']);
    for (const tif of ['IOC', 'FOK'] as const) {
      const r = okOut(
        h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00', tif })),
      );
      expect(r.transitions[0]?.order.reason).toBe('no_market_data');
    }
    expect(fillsOf(h.engine.onTrade(trade('49994.00', '1', 'sell')))).toEqual([
      'o-1 0.5@49995 fee 12.49875 maker',
    ]);
  });

  it('commands carry the clock time, fills caused by a command included', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    h.clock.advance(250);
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.1' })));
    expect(out.transitions.every((t) => t.event.ts === T0 + 250)).toBe(true);
    expect(out.fills[0]?.ts).toBe(T0 + 250);
  });
});
