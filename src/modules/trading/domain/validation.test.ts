import { describe, expect, it } from 'vitest';
import { makeInstrument } from '../../market/domain/instrument.js';
import { BTC, d, instrument, T0 } from './matching.fixtures.js';
import { accept, createOrder } from './order-machine.js';
import type { InstrumentRules } from './types.js';
import {
  VALIDATION_CODES,
  validateAmend,
  validateIntent,
  validationProblem,
  type FieldError,
  type RawOrderInput,
  type ValidationCode,
} from './validation.js';

const raw = (over: Partial<RawOrderInput> = {}): RawOrderInput => ({
  accountId: 'acc-1',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity: '0.5',
  price: '50000.00',
  clientOrderId: 'my-order-1',
  ...over,
});

function errorsOf(
  r: RawOrderInput,
  inst: InstrumentRules | undefined = BTC,
  referencePrice?: string,
): FieldError[] {
  const res = validateIntent(r, inst, referencePrice ? { referencePrice: d(referencePrice) } : {});
  return res.ok ? [] : res.errors;
}
const codes = (r: RawOrderInput, inst?: InstrumentRules, ref?: string) =>
  errorsOf(r, inst ?? BTC, ref).map((e) => `${e.field}:${e.code}`);

const seen = new Set<ValidationCode>();
function expectCode(
  r: RawOrderInput,
  field: string,
  code: ValidationCode,
  inst?: InstrumentRules,
  ref?: string,
) {
  expect(codes(r, inst, ref)).toContain(`${field}:${code}`);
  seen.add(code);
}

describe('validateIntent', () => {
  it('the market Instrument satisfies the rules validation needs', () => {
    const inst: InstrumentRules = makeInstrument({
      venue: 'paper',
      symbol: 'BTC/USDT',
      tickSize: '0.01',
      lotSize: '0.001',
      minNotional: '5',
      makerFee: '0.0005',
      takerFee: '0.001',
    });
    expect(validateIntent(raw(), inst).ok).toBe(true);
  });

  it('a limit buy of 0.5 @ 50000.00 becomes an intent with exact decimals and GTC by default', () => {
    const r = validateIntent(raw({ postOnly: true, reduceOnly: false }), BTC);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.intent).toMatchObject({
      venue: 'paper',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      postOnly: true,
    });
    expect(r.intent.quantity.toString()).toBe('0.5');
    expect(r.intent.price?.toString()).toBe('50000');
    expect(r.intent.clientOrderId).toBe('my-order-1');
  });

  it('a market order defaults to IOC, takes the caller-generated client id, and checks notional on the reference', () => {
    const r = validateIntent(
      raw({ type: 'market', price: undefined, clientOrderId: undefined }),
      BTC,
      {
        referencePrice: d('50000'),
        clientOrderId: 'generated-1',
      },
    );
    expect(r.ok && r.intent.timeInForce).toBe('IOC');
    expect(r.ok && r.intent.clientOrderId).toBe('generated-1');
    // 0.0001 lot → 0.001 × 50000 = 50 passes; 0.001 × 4000 = 4 < 5 does not
    expectCode(
      raw({ type: 'market', price: undefined, quantity: '0.001' }),
      'quantity',
      'notional_below_minimum',
      BTC,
      '4000',
    );
  });

  it('quantities: zero, negative, off-lot, below minimum, above maximum, too precise', () => {
    expectCode(raw({ quantity: '0' }), 'quantity', 'quantity_not_positive');
    expectCode(raw({ quantity: '-1' }), 'quantity', 'quantity_not_positive');
    expectCode(
      raw({ quantity: '0.5' }),
      'quantity',
      'quantity_off_lot',
      instrument({ lotSize: d('0.2'), quantityPrecision: 1 }),
    );
    expectCode(
      raw({ quantity: '0.5' }),
      'quantity',
      'quantity_below_minimum',
      instrument({ minQuantity: d('1') }),
    );
    expectCode(raw({ quantity: '1001' }), 'quantity', 'quantity_above_maximum');
    expectCode(raw({ quantity: '0.0005' }), 'quantity', 'too_many_decimals');
    expectCode(raw({ quantity: undefined }), 'quantity', 'required');
  });

  it('trailing zeros are not extra decimals: "0.500000" is 0.5', () => {
    expect(codes(raw({ quantity: '0.500000', price: '50000.0000' }))).toEqual([]);
  });

  it('NaN, Infinity, 1e400, hex and numbers instead of strings are refused precisely', () => {
    for (const bad of [
      'NaN',
      'Infinity',
      '-Infinity',
      '1e400',
      '1e3',
      '0x10',
      '',
      ' ',
      'abc',
      '1.2.3',
    ]) {
      const c = codes(raw({ quantity: bad }));
      expect(c.length, bad).toBeGreaterThan(0);
    }
    expectCode(raw({ quantity: 'NaN' }), 'quantity', 'not_a_number');
    expectCode(raw({ price: '1e400' }), 'price', 'not_a_number');
    expectCode(raw({ quantity: Infinity }), 'quantity', 'not_a_number');
    expectCode(raw({ quantity: 0.5 }), 'quantity', 'not_a_string');
    expectCode(raw({ quantity: { value: '1' } }), 'quantity', 'not_a_string');
    expectCode(raw({ quantity: '0.0000000000000000001' }), 'quantity', 'too_many_decimals');
    expectCode(raw({ quantity: '9'.repeat(60) }), 'quantity', 'not_a_number');
  });

  it('prices: off the tick, not positive, too precise; the stop price follows the same rules', () => {
    expectCode(
      raw({ price: '50000.3' }),
      'price',
      'price_off_tick',
      instrument({ tickSize: d('0.5'), pricePrecision: 1 }),
    );
    expectCode(raw({ price: '50000.001' }), 'price', 'too_many_decimals');
    expectCode(raw({ price: '0' }), 'price', 'price_not_positive');
    const stop = raw({ type: 'stop_limit', stopPrice: '-5' });
    expectCode(stop, 'stopPrice', 'price_not_positive');
    expectCode(
      raw({ type: 'stop_market', price: undefined, stopPrice: '1.001' }),
      'stopPrice',
      'too_many_decimals',
    );
  });

  it('price and stop price are required, or refused, by order type', () => {
    expectCode(raw({ price: undefined }), 'price', 'price_required');
    expectCode(raw({ type: 'market' }), 'price', 'price_not_allowed');
    expectCode(raw({ type: 'stop_market', stopPrice: '49000' }), 'price', 'price_not_allowed');
    expectCode(raw({ type: 'stop_limit' }), 'stopPrice', 'stop_price_required');
    expectCode(raw({ type: 'stop_market', price: undefined }), 'stopPrice', 'stop_price_required');
    expectCode(raw({ stopPrice: '49000' }), 'stopPrice', 'stop_price_not_allowed');
  });

  it('minimum notional: 0.001 × 4000.00 = 4 USDT is below 5', () => {
    const e = errorsOf(raw({ quantity: '0.001', price: '4000.00' }));
    expect(e).toEqual([
      expect.objectContaining({ field: 'quantity', code: 'notional_below_minimum' }),
    ]);
    expect(e[0]?.message).toContain('= 4 USDT');
    seen.add('notional_below_minimum');
    // a stop-market is measured at its stop price: 0.001 × 4000 = 4
    expectCode(
      raw({ type: 'stop_market', price: undefined, stopPrice: '4000', quantity: '0.001' }),
      'quantity',
      'notional_below_minimum',
    );
  });

  it('enumerations and flags', () => {
    expectCode(raw({ side: 'long' }), 'side', 'invalid_side');
    expectCode(raw({ type: 'trailing_stop' }), 'type', 'invalid_order_type');
    expectCode(raw({ timeInForce: 'GTD' }), 'timeInForce', 'invalid_time_in_force');
    expectCode(
      raw({ type: 'market', price: undefined, timeInForce: 'GTC' }),
      'timeInForce',
      'tif_not_allowed',
    );
    expectCode(raw({ postOnly: 'yes' }), 'postOnly', 'invalid_flag');
    expect(codes(raw({ side: 'SELL', timeInForce: 'ioc' }))).toEqual([]);
  });

  it('post-only conflicts', () => {
    expectCode(
      raw({ type: 'market', price: undefined, postOnly: true }),
      'postOnly',
      'post_only_requires_limit',
    );
    expectCode(raw({ postOnly: true, timeInForce: 'FOK' }), 'postOnly', 'fok_post_only_conflict');
    expectCode(raw({ postOnly: true, timeInForce: 'IOC' }), 'postOnly', 'ioc_post_only_conflict');
  });

  it('client order ids and instruments', () => {
    expectCode(raw({ clientOrderId: 'has space' }), 'clientOrderId', 'invalid_client_order_id');
    expectCode(raw({ clientOrderId: 'x'.repeat(65) }), 'clientOrderId', 'invalid_client_order_id');
    expectCode(raw({ clientOrderId: undefined }), 'clientOrderId', 'required');
    const unknown = validateIntent(raw({ symbol: 'DOGE/USDT' }), undefined);
    expect(unknown.ok ? [] : unknown.errors).toEqual([
      { field: 'symbol', code: 'unknown_instrument', message: 'no instrument DOGE/USDT' },
    ]);
    seen.add('unknown_instrument');
    expectCode(raw({ symbol: 'ETH/USDT' }), 'symbol', 'instrument_mismatch');
    expectCode(raw(), 'symbol', 'instrument_inactive', instrument({ active: false }));
  });

  it('reports every error at once', () => {
    expect(codes(raw({ side: 'x', quantity: '0', price: '1.001' }))).toEqual([
      'side:invalid_side',
      'quantity:quantity_not_positive',
      'price:too_many_decimals',
    ]);
  });

  it('maps errors to a 400 problem naming each field', () => {
    const e = validationProblem(errorsOf(raw({ quantity: '0', price: '0' })));
    expect(e.kind).toBe('validation');
    expect(e.code).toBe('invalid_order');
    expect(e.fields).toEqual([
      { field: '/quantity', message: 'quantity_not_positive: must be greater than 0' },
      { field: '/price', message: 'price_not_positive: must be greater than 0' },
    ]);
    expect(validationProblem(errorsOf(raw({ quantity: '0' }))).code).toBe('quantity_not_positive');
  });
});

describe('validateAmend', () => {
  const order = accept(
    createOrder(
      {
        accountId: 'acc-1',
        venue: 'paper',
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: d('0.5'),
        price: d('50000'),
        timeInForce: 'GTC',
        postOnly: false,
        reduceOnly: false,
        clientOrderId: 'c',
      },
      'o-1',
      T0,
    ),
    T0,
  );
  const o = order.ok ? order.order : (undefined as never);

  it('accepts a new price and quantity on the tick and the lot', () => {
    const r = validateAmend(o, { price: '49990.00', quantity: '0.6' }, BTC);
    expect(r.ok && [r.change.price?.toString(), r.change.quantity?.toString()]).toEqual([
      '49990',
      '0.6',
    ]);
  });

  it('refuses off-tick, off-lot, empty and too-small amendments', () => {
    const c = (x: { price?: unknown; quantity?: unknown }) => {
      const r = validateAmend(o, x, BTC);
      return r.ok ? [] : r.errors.map((e) => e.code);
    };
    expect(c({ price: '49990.001' })).toEqual(['too_many_decimals']);
    expect(c({ quantity: '0' })).toEqual(['quantity_not_positive']);
    expect(c({})).toEqual(['nothing_to_amend']);
    expect(c({ price: '4000.00', quantity: '0.001' })).toEqual(['notional_below_minimum']);
    seen.add('nothing_to_amend');
  });
});

describe('coverage of the codes', () => {
  it('every validation code is exercised above', () => {
    expect(VALIDATION_CODES.filter((c) => !seen.has(c))).toEqual([]);
  });
});
