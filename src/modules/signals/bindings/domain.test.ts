/**
 * The binding planner, case by case, on BTC/USDT at 50,000 (lot 0.00001, minimum notional 5,
 * taker fee 0.1 %, market buys reserved at 1 % above the reference). Expected quantities are
 * worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { account, context, d, rules, signal } from './bindings.fixtures.js';
import { isSignalClientOrderId, signalClientOrderId } from './client-order-id.js';
import { gate, planOrder, suggestedSize, type Plan } from './domain.js';

const order = (p: Plan) => {
  if (p.kind !== 'order') throw new Error(`expected an order, got ${p.reason}: ${p.message}`);
  return p;
};
const reason = (p: Plan) => (p.kind === 'skip' ? p.reason : `order ${p.intent.quantity}`);

describe('planOrder: buys', () => {
  it('fixed notional at market: 500 / 50,000 = 0.01 BTC', () => {
    const p = order(planOrder(rules(), 'active', signal(), context()));
    expect(p.intent).toEqual({
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: d('0.01'),
      timeInForce: 'IOC',
      reduceOnly: false,
    });
    expect(p.notional.toString()).toBe('500');
    expect(p.cappedBy).toBeNull();
  });

  it('measures a market buy at the worse of last and ask', () => {
    // ask 50,100 above last 50,000: 500 / 50,100 = 0.0099800… → 0.00998.
    const p = order(
      planOrder(
        rules(),
        'active',
        signal(),
        context({ prices: { last: d('50000'), ask: d('50100') } }),
      ),
    );
    expect(p.referencePrice.toString()).toBe('50100');
    expect(p.intent.quantity.toString()).toBe('0.00998');
  });

  it('a limit at the entry, rounded down to the tick for a buy', () => {
    // 500 / 49,999.99 = 0.0100000002 → 0.01 BTC; price 49,999.995 → 49,999.99.
    const p = order(planOrder(rules(), 'active', signal({ entry: d('49999.995') }), context()));
    expect(p.intent).toMatchObject({
      type: 'limit',
      price: d('49999.99'),
      quantity: d('0.01'),
      timeInForce: 'GTC',
    });
  });

  it('entryOrder market ignores the entry', () => {
    const p = order(
      planOrder(
        rules({ entryOrder: 'market' }),
        'active',
        signal({ entry: d('40000') }),
        context(),
      ),
    );
    expect(p.intent.type).toBe('market');
  });

  it('equity percent: 2.5 % of 10,000 = 250 → 0.005 BTC', () => {
    const p = order(
      planOrder(
        rules({ sizing: { mode: 'equity_pct', pct: d('2.5') } }),
        'active',
        signal(),
        context(),
      ),
    );
    expect(p.intent.quantity.toString()).toBe('0.005');
    expect(p.target.toString()).toBe('250');
  });

  it('model suggested: the mean suggestion, capped at capPct', () => {
    const r = rules({ sizing: { mode: 'model_suggested', capPct: d('3') } });
    // 2 % of 10,000 = 200 → 0.004 BTC.
    expect(
      order(planOrder(r, 'active', signal({ suggestedSizePct: 2 }), context())).intent.quantity,
    ).toEqual(d('0.004'));
    // 8 % suggested, capped at 3 %: 300 → 0.006 BTC.
    expect(
      order(planOrder(r, 'active', signal({ suggestedSizePct: 8 }), context())).intent.quantity,
    ).toEqual(d('0.006'));
    expect(reason(planOrder(r, 'active', signal({ suggestedSizePct: null }), context()))).toBe(
      'no_size_suggested',
    );
  });

  it('caps at maxOrderNotional', () => {
    // 300 / 50,000 = 0.006.
    const p = order(
      planOrder(rules({ maxOrderNotional: d('300') }), 'active', signal(), context()),
    );
    expect(p.intent.quantity.toString()).toBe('0.006');
    expect(p.cappedBy).toBe('max_order_notional');
  });

  it('caps at the room under maxPositionNotional, and stops at the limit', () => {
    const r = rules({ maxPositionNotional: d('700') });
    // Holding 0.01 BTC = 500; room 200 → 0.004.
    const held = context({ account: account({ baseAvailable: d('0.01') }) });
    const p = order(planOrder(r, 'active', signal(), held));
    expect(p.intent.quantity.toString()).toBe('0.004');
    expect(p.cappedBy).toBe('max_position_notional');
    const full = context({ account: account({ baseAvailable: d('0.014') }) });
    expect(reason(planOrder(r, 'active', signal(), full))).toBe('position_limit_reached');
  });

  it('caps at the free quote balance with the reserve and fee', () => {
    // Market buy reserved at 50,000 × 1.01 = 50,500 plus 0.1 % fee = 50,550.5 per BTC;
    // (300 − 0.000001) / 50,550.5 = 0.0059346… → 0.00593.
    const p = order(
      planOrder(
        rules(),
        'active',
        signal(),
        context({ account: account({ quoteAvailable: d('300') }) }),
      ),
    );
    expect(p.intent.quantity.toString()).toBe('0.00593');
    expect(p.cappedBy).toBe('available_balance');
    expect(
      reason(
        planOrder(
          rules(),
          'active',
          signal(),
          context({ account: account({ quoteAvailable: d('4') }) }),
        ),
      ),
    ).toBe('insufficient_balance');
  });

  it('below the venue minimum notional', () => {
    // 4 / 50,000 = 0.00008 BTC = 4 USDT < 5.
    expect(
      reason(
        planOrder(
          rules({ sizing: { mode: 'fixed_notional', notional: d('4') } }),
          'active',
          signal(),
          context(),
        ),
      ),
    ).toBe('below_min_notional');
  });

  it('no price, no instrument', () => {
    expect(reason(planOrder(rules(), 'active', signal(), context({ prices: {} })))).toBe(
      'no_price',
    );
    expect(reason(planOrder(rules(), 'active', signal(), context({ instrument: undefined })))).toBe(
      'instrument_unavailable',
    );
    expect(reason(planOrder(rules(), 'active', signal({ entry: d('0.001') }), context()))).toBe(
      'invalid_entry',
    );
  });
});

describe('planOrder: spot sells', () => {
  const holding = context({ account: account({ baseAvailable: d('0.0123456') }) });
  const short = signal({
    direction: 'short',
    consensus: { action: 'short', confidence: 0.9, agreeing: 3 },
  });
  const close = signal({
    direction: 'close',
    consensus: { action: 'close', confidence: 0.9, agreeing: 3 },
  });

  it('a short sells the sized amount of the holding, reduce-only', () => {
    // 500 / 50,000 = 0.01 of the 0.0123456 held.
    const p = order(planOrder(rules(), 'active', short, holding));
    expect(p.intent).toMatchObject({ side: 'sell', quantity: d('0.01'), reduceOnly: true });
  });

  it('a short never sells more than is held', () => {
    const p = order(
      planOrder(
        rules({ sizing: { mode: 'fixed_notional', notional: d('900') } }),
        'active',
        short,
        holding,
      ),
    );
    // 900 / 50,000 = 0.018 > 0.0123456 held → 0.01234 (floored to the lot).
    expect(p.intent.quantity.toString()).toBe('0.01234');
    expect(p.cappedBy).toBe('holding');
  });

  it('a close sells the whole holding, floored to the lot, within maxOrderNotional', () => {
    expect(order(planOrder(rules(), 'active', close, holding)).intent.quantity.toString()).toBe(
      '0.01234',
    );
    // 0.01234 × 50,000 = 617 > 400: 400 / 50,000 = 0.008.
    const capped = order(
      planOrder(rules({ maxOrderNotional: d('400') }), 'active', close, holding),
    );
    expect(capped.intent.quantity.toString()).toBe('0.008');
    expect(capped.cappedBy).toBe('max_order_notional');
  });

  it('a sell limit rounds the entry up to the tick', () => {
    const p = order(planOrder(rules(), 'active', { ...close, entry: d('50000.001') }, holding));
    expect(p.intent).toMatchObject({ type: 'limit', price: d('50000.01') });
  });

  it('nothing held: no_position_to_close', () => {
    expect(reason(planOrder(rules(), 'active', short, context()))).toBe('no_position_to_close');
    expect(reason(planOrder(rules(), 'active', close, context()))).toBe('no_position_to_close');
  });
});

describe('gate', () => {
  const cases: Array<[string, Parameters<typeof gate>]> = [
    ['binding_paused', [rules(), 'paused', signal()]],
    ['symbol_not_allowed', [rules({ allowedSymbols: ['ETH/USDT'] }), 'active', signal()]],
    [
      'consensus_hold',
      [rules(), 'active', signal({ consensus: { action: 'hold', confidence: 1, agreeing: 3 } })],
    ],
    [
      'consensus_disagrees',
      [rules(), 'active', signal({ consensus: { action: 'short', confidence: 1, agreeing: 3 } })],
    ],
    ['direction_not_allowed', [rules({ directions: ['close'] }), 'active', signal()]],
    [
      'below_min_confidence',
      [rules(), 'active', signal({ consensus: { action: 'long', confidence: 0.59, agreeing: 3 } })],
    ],
    ['below_min_agreeing', [rules({ minAgreeing: 3 }), 'active', signal()]],
  ];
  it.each(cases)('%s', (code, args) => {
    const g = gate(...args);
    expect(g?.reason).toBe(code);
    expect(g?.message.length).toBeGreaterThan(10);
  });

  it('lets a decision that meets every rule through, minConfidence 0 included', () => {
    expect(gate(rules(), 'active', signal())).toBeUndefined();
    const zero = signal({ consensus: { action: 'long', confidence: 0, agreeing: 0 } });
    expect(gate(rules({ minConfidence: 0 }), 'active', zero)).toBeUndefined();
    expect(gate(rules({ allowedSymbols: ['BTC/USDT'] }), 'active', signal())).toBeUndefined();
  });
});

describe('suggestedSize', () => {
  const ok = (action: 'long' | 'hold', sizePct: number | null) => ({
    status: 'ok',
    verdict: { action, sizePct },
  });
  it('is the mean of the agreeing models that gave a size', () => {
    expect(
      suggestedSize([ok('long', 2), ok('long', 4), ok('hold', 50), ok('long', null)], 'long'),
    ).toBe(3);
    expect(suggestedSize([ok('hold', 5), { status: 'failed', verdict: null }], 'long')).toBeNull();
  });
});

describe('signalClientOrderId', () => {
  it('is stable per (signal, binding), distinct across pairs, shaped for every venue', () => {
    const a = signalClientOrderId('e1', 'b1');
    expect(signalClientOrderId('e1', 'b1')).toBe(a);
    expect(signalClientOrderId('e1', 'b2')).not.toBe(a);
    expect(signalClientOrderId('e2', 'b1')).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(isSignalClientOrderId(a)).toBe(true);
    expect(isSignalClientOrderId('cp' + a.slice(2))).toBe(false);
  });
});
