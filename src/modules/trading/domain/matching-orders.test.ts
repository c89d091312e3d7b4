import { describe, expect, it } from 'vitest';
import { PaperMatchingEngine } from './matching.js';
import { sequentialIds } from './matching-config.js';
import {
  BTC,
  HAND_BOOK,
  STANDARD_TOP,
  VENUE,
  d,
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

describe('paper venue: stop orders', () => {
  it('buy stop-market 0.5 @ stop 50100.00 waits, fires on a last price of 50100.00, then walks the asks', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const placed = okOut(
      h.engine.submit(
        h.order({ side: 'buy', type: 'stop_market', quantity: '0.5', stopPrice: '50100.00' }),
      ),
    );
    expect(placed.transitions[0]?.order.status).toBe('pending_trigger');
    h.engine.onBookTop(top('50090.00', '0.3', '50100.00', '0.3'));
    expect(h.engine.onTrade(trade('50099.99', '0.01', 'buy')).transitions).toEqual([]);
    const out = h.engine.onTrade(trade('50100.00', '0.01', 'buy'));
    expect(eventsOf(out)).toEqual([
      'OrderTriggered:o-1',
      'OrderPartiallyFilled:o-1',
      'OrderFilled:o-1',
    ]);
    // 0.3 × 50100 = 15030 + 0.2 × 50110 = 10022 → 25052 / 0.5 = 50104
    expect(fillsOf(out)).toEqual([
      'o-1 0.3@50100 fee 15.03 taker',
      'o-1 0.2@50110 fee 10.022 taker',
    ]);
    expect(lastStates(out).get('o-1')?.averagePrice.toString()).toBe('50104');
  });

  it('sell stop-limit 0.5 stop 49900 limit 49890 fires at 49900, takes 0.3 @ 49895, rests 0.2 that a later print fills', () => {
    const h = harness();
    h.engine.onBookTop(top('49895.00', '0.3', '49905.00', '0.3'));
    okOut(
      h.engine.submit(
        h.order({
          side: 'sell',
          type: 'stop_limit',
          quantity: '0.5',
          price: '49890.00',
          stopPrice: '49900.00',
        }),
      ),
    );
    expect(h.engine.onTrade(trade('49900.01', '1', 'sell')).transitions).toEqual([]);
    const fired = h.engine.onTrade(trade('49900.00', '1', 'sell'));
    // bids 0.3 @ 49895 then 0.6 @ 49885 (below the limit): only 0.3 taken
    expect(eventsOf(fired)).toEqual(['OrderTriggered:o-1', 'OrderPartiallyFilled:o-1']);
    expect(fillsOf(fired)).toEqual(['o-1 0.3@49895 fee 14.9685 taker']);
    // the print that fired the stop does not also fill the rest: it came first
    const later = h.engine.onTrade(trade('49890.01', '1', 'buy'));
    expect(fillsOf(later)).toEqual(['o-1 0.2@49890 fee 4.989 maker']);
  });

  it('a stop whose condition already holds on the last price is rejected stop_would_trigger_immediately', () => {
    const h = harness();
    h.engine.onTrade(trade('50100.00', '1', 'buy'));
    const out = okOut(
      h.engine.submit(
        h.order({ side: 'buy', type: 'stop_market', quantity: '0.5', stopPrice: '50100.00' }),
      ),
    );
    expect(out.transitions.map((t) => t.order.reason)).toEqual(['stop_would_trigger_immediately']);
    const sell = okOut(
      h.engine.submit(
        h.order({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '50100.00' }),
      ),
    );
    expect(sell.transitions.map((t) => t.order.reason)).toEqual(['stop_would_trigger_immediately']);
  });

  it('a stop-market that fires before any book is cancelled no_market_data', () => {
    const h = harness();
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '49000.00' }),
      ),
    );
    const out = h.engine.onTrade(trade('48999.00', '1', 'sell'));
    expect(out.transitions.map((t) => [t.event.type, t.order.reason])).toEqual([
      ['OrderTriggered', undefined],
      ['OrderCancelled', 'no_market_data'],
    ]);
  });

  it('a cancelled stop never fires', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '49000.00' }),
      ),
    );
    expect(eventsOf(okOut(h.engine.cancel('o-1')))).toEqual(['OrderCancelled:o-1']);
    expect(h.engine.onTrade(trade('48000.00', '1', 'sell')).transitions).toEqual([]);
  });
});

describe('paper venue: reduce-only', () => {
  it('holding 0.4, a reduce-only market sell of 0.5 fills 0.3 @ 49990 + 0.1 @ 49980 and cancels the 0.1 left', () => {
    const h = harness();
    h.positions.set('acc-1|BTC/USDT', d('0.4'));
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(
      h.engine.submit(h.order({ side: 'sell', quantity: '0.5', reduceOnly: true })),
    );
    expect(fillsOf(out)).toEqual([
      'o-1 0.3@49990 fee 14.997 taker',
      'o-1 0.1@49980 fee 4.998 taker',
    ]);
    expect(out.transitions.at(-1)?.event).toMatchObject({
      type: 'OrderCancelled',
      reason: 'reduce_only_position_closed',
    });
  });

  it('a reduce-only order that cannot reduce is rejected reduce_only_would_increase', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    const flat = okOut(
      h.engine.submit(h.order({ side: 'sell', quantity: '0.1', reduceOnly: true })),
    );
    h.positions.set('acc-1|BTC/USDT', d('0.4'));
    const long = okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.1', reduceOnly: true })),
    );
    expect([...flat.transitions, ...long.transitions].map((t) => t.order.reason)).toEqual([
      'reduce_only_would_increase',
      'reduce_only_would_increase',
    ]);
  });

  it('short 0.2: a reduce-only buy of 0.5 covers 0.2 only', () => {
    const h = harness();
    h.positions.set('acc-1|BTC/USDT', d('-0.2'));
    h.engine.onBookTop(STANDARD_TOP());
    const out = okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', reduceOnly: true })));
    expect(fillsOf(out)).toEqual(['o-1 0.2@50000 fee 10 taker']);
  });

  it('holding 0.4, two resting reduce-only sells of 0.3 fill 0.3 + 0.1 on one print; the second is then cancelled', () => {
    const h = harness();
    h.positions.set('acc-1|BTC/USDT', d('0.4'));
    h.engine.onBookTop(STANDARD_TOP());
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', quantity: '0.3', price: '50005.00', reduceOnly: true }),
      ),
    );
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', quantity: '0.3', price: '50005.00', reduceOnly: true }),
      ),
    );
    const out = h.engine.onTrade(trade('50006.00', '1', 'buy'));
    expect(fillsOf(out)).toEqual([
      'o-1 0.3@50005 fee 7.50075 maker',
      'o-2 0.1@50005 fee 2.50025 maker',
    ]);
    expect(lastStates(out).get('o-2')).toMatchObject({
      status: 'cancelled',
      reason: 'reduce_only_position_closed',
    });
    expect(h.engine.openOrders()).toEqual([]);
  });
});

describe('paper venue: cancel and amend', () => {
  it('cancelling a resting order closes it; a second cancel is refused order_not_open; prints no longer fill it', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
    const out = okOut(h.engine.cancel('o-1'));
    expect(out.transitions[0]?.event).toMatchObject({
      type: 'OrderCancelled',
      reason: 'user_canceled',
    });
    expect(h.engine.cancel('o-1')).toMatchObject({ ok: false, code: 'order_not_open' });
    expect(h.engine.onTrade(trade('49000.00', '5', 'sell')).fills).toEqual([]);
    expect(h.engine.openOrders()).toEqual([]);
  });

  it('a smaller quantity keeps the queue place; a larger one goes to the back', () => {
    for (const [qty, expected] of [
      ['0.2', ['A 0.2@49995 fee 4.9995 maker']],
      ['0.4', ['B 0.2@49995 fee 4.9995 maker']],
    ] as const) {
      const h = harness();
      h.engine.onBookTop(STANDARD_TOP());
      okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3', price: '49995.00', id: 'A' })));
      okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.3', price: '49995.00', id: 'B' })));
      const amended = okOut(h.engine.amend('A', { quantity: d(qty) }));
      expect(amended.transitions[0]?.event).toMatchObject({ type: 'OrderAmended', version: 2 });
      expect(fillsOf(h.engine.onTrade(trade('49994.00', '0.2', 'sell'))), qty).toEqual(expected);
    }
  });

  it('amending a resting buy to 50000.00 takes the 0.3 offered there and rests the other 0.2', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
    const out = okOut(h.engine.amend('o-1', { price: d('50000.00') }));
    expect(eventsOf(out)).toEqual(['OrderAmended:o-1', 'OrderPartiallyFilled:o-1']);
    expect(fillsOf(out)).toEqual(['o-1 0.3@50000 fee 15 taker']);
    expect(h.engine.openOrders()[0]?.price?.toString()).toBe('50000');
  });

  it('refused amendments change nothing', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(
      h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00', postOnly: true })),
    );
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', type: 'stop_market', quantity: '0.1', stopPrice: '49000.00' }),
      ),
    );
    h.engine.onTrade(trade('49994.00', '0.2', 'sell')); // o-1 has 0.2 filled
    const before = h.engine.order('o-1');
    const codes = [
      h.engine.amend('o-1', { price: d('50000.00') }),
      h.engine.amend('o-1', { price: d('49995.001') }),
      h.engine.amend('o-1', { price: d('0') }),
      h.engine.amend('o-1', { quantity: d('0.0005') }),
      h.engine.amend('o-1', { quantity: d('0.2') }),
      h.engine.amend('o-1', { quantity: d('2000') }),
      h.engine.amend('o-2', { quantity: d('0.2') }),
      h.engine.amend('nope', { quantity: d('0.2') }),
    ].map((r) => (r.ok ? 'ok' : r.code));
    expect(codes).toEqual([
      'post_only_would_take',
      'price_off_tick',
      'price_not_positive',
      'quantity_off_lot',
      'quantity_not_above_filled',
      'quantity_above_maximum',
      'not_amendable',
      'order_not_open',
    ]);
    expect(h.engine.order('o-1')).toBe(before);
  });

  it('restored working orders behave as if they had never left', () => {
    const h = harness();
    h.engine.onBookTop(STANDARD_TOP());
    okOut(h.engine.submit(h.order({ side: 'buy', quantity: '0.5', price: '49995.00' })));
    okOut(
      h.engine.submit(
        h.order({ side: 'sell', type: 'stop_market', quantity: '0.1', stopPrice: '49000.00' }),
      ),
    );
    const saved = h.engine.openOrders();
    const again = new PaperMatchingEngine({
      venue: VENUE,
      instruments: [BTC],
      positionOf: () => d('0'),
      nextId: sequentialIds('fill'),
      clock: h.clock,
      config: HAND_BOOK,
    });
    again.restore(saved);
    expect(again.openOrders().map((o) => o.id)).toEqual(['o-1', 'o-2']);
    again.onBookTop(STANDARD_TOP());
    const out = again.onTrade(trade('48999.00', '1', 'sell'));
    expect(eventsOf(out)).toEqual(['OrderFilled:o-1', 'OrderTriggered:o-2', 'OrderFilled:o-2']);
  });
});
