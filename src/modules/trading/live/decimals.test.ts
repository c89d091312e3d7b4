import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import {
  decimalFromCcxt,
  instrumentFromMarket,
  significantDigits,
  toCcxtNumber,
} from './decimals.js';

describe('decimals from CCXT numbers', () => {
  it('recovers the exchange text through the shortest round-trip form', () => {
    expect(decimalFromCcxt(0.01)?.toString()).toBe('0.01');
    expect(decimalFromCcxt(49000.1)?.toString()).toBe('49000.1');
    // 1e-8 prints with an exponent; it is expanded, not refused.
    expect(decimalFromCcxt(1e-8)?.toString()).toBe('0.00000001');
    expect(decimalFromCcxt(1.5e-7)?.toString()).toBe('0.00000015');
    expect(decimalFromCcxt(2e21)?.toString()).toBe('2000000000000000000000');
    expect(decimalFromCcxt('12345678.12345678')?.toString()).toBe('12345678.12345678');
    expect(decimalFromCcxt(undefined)).toBeUndefined();
    expect(decimalFromCcxt(Number.NaN)).toBeUndefined();
  });

  it('sends a decimal as a number only when the number gives the same text back', () => {
    expect(toCcxtNumber(Decimal.parse('0.00123'), 'quantity')).toBe(0.00123);
    expect(() => toCcxtNumber(Decimal.parse('12345678.123456789'), 'price')).toThrow(
      /cannot be sent exactly/,
    );
    expect(significantDigits(0.1 + 0.2)).toBe(17);
    expect(significantDigits(49000.1)).toBe(6);
  });
});

describe('instrument rules from a CCXT market', () => {
  const market = {
    symbol: 'ETH/USDT',
    base: 'ETH',
    quote: 'USDT',
    spot: true,
    maker: 0.0008,
    taker: 0.001,
    precision: { price: 0.01, amount: 0.0001 },
    limits: { amount: { min: 0.00015, max: 9000.00005 }, cost: { min: 5 } },
  };

  it('takes tick and lot sizes as steps, and moves the limits onto the lot', () => {
    const r = instrumentFromMarket('binance', market, 'tick_size');
    expect(r.ok).toBe(true);
    const i = r.ok ? r.instrument : undefined;
    expect([i?.tickSize, i?.lotSize, i?.minQuantity, i?.maxQuantity].map(String)).toEqual([
      '0.01',
      '0.0001',
      '0.0002', // 0.00015 up to the lot
      '9000', // 9000.00005 down to the lot
    ]);
    expect([i?.minNotional, i?.makerFee, i?.takerFee].map(String)).toEqual([
      '5',
      '0.0008',
      '0.001',
    ]);
    expect([i?.pricePrecision, i?.quantityPrecision]).toEqual([2, 4]);
  });

  it('converts decimal-places precision to steps', () => {
    const r = instrumentFromMarket(
      'kraken',
      { ...market, precision: { price: 2, amount: 8 } },
      'decimal_places',
    );
    expect(r.ok && [r.instrument.tickSize.toString(), r.instrument.lotSize.toString()]).toEqual([
      '0.01',
      '0.00000001',
    ]);
  });

  it('refuses markets it cannot express (significant digits, no precision)', () => {
    expect(instrumentFromMarket('x', market, 'significant_digits').ok).toBe(false);
    expect(instrumentFromMarket('x', { ...market, precision: {} }, 'tick_size').ok).toBe(false);
  });
});
