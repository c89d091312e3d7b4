import { describe, expect, it } from 'vitest';
import { Decimal } from '../../core/decimal.js';
import { parseRiskLimits, riskLimitsFrom } from './accounts.js';

const codes = (input: Record<string, unknown>) => {
  const r = parseRiskLimits(input);
  return r.ok ? 'ok' : r.errors.map((e) => `${e.field} ${e.code}`);
};

describe('risk-limit input', () => {
  it('keeps only the named fields, in canonical form; null clears', () => {
    expect(
      parseRiskLimits({
        maxOrderNotional: '25000.50',
        maxOpenOrders: 7,
        priceBandPct: null,
        maxDailyLoss: '0.000000000000000001',
      }),
    ).toEqual({
      ok: true,
      change: {
        max_order_notional: '25000.5',
        max_open_orders: 7,
        price_band_pct: null,
        max_daily_loss: '0.000000000000000001',
      },
    });
    expect(parseRiskLimits({})).toEqual({ ok: true, change: {} });
  });

  it('names each bad field with a code, all at once', () => {
    expect(
      codes({
        maxOrderNotional: '-5',
        maxPosition: '1e3',
        maxDailyLoss: '1.0000000000000000001',
        priceBandPct: '100.01',
        maxOpenOrders: 0,
        maxLoss: '1',
      }),
    ).toEqual([
      '/maxLoss unknown_field',
      '/maxOrderNotional not_positive',
      '/maxPosition not_a_decimal',
      '/maxDailyLoss too_many_decimals',
      '/priceBandPct above_maximum',
      '/maxOpenOrders not_positive',
    ]);
  });

  it('bounds: 10^15 is the largest amount, 100 the widest band, 100000 the most orders', () => {
    expect(codes({ maxOrderNotional: '1000000000000000', priceBandPct: '100' })).toBe('ok');
    expect(codes({ maxOrderNotional: '1000000000000000.000000000000000001' })).toEqual([
      '/maxOrderNotional above_maximum',
    ]);
    expect(codes({ maxPosition: '9'.repeat(50) })).toEqual(['/maxPosition above_maximum']);
    expect(codes({ maxOpenOrders: 100_000 })).toBe('ok');
    expect(codes({ maxOpenOrders: 100_001 })).toEqual(['/maxOpenOrders above_maximum']);
    expect(codes({ maxOpenOrders: 1.5 })).toEqual(['/maxOpenOrders not_an_integer']);
    expect(codes({ maxOpenOrders: '5' })).toEqual(['/maxOpenOrders not_an_integer']);
  });

  it('refuses text that is not a plain decimal: signs, spaces, exponents, numbers', () => {
    for (const v of ['+5', ' 5', '5 ', '.5', '5.', 'NaN', 'Infinity', '0x10', 5, true, {}]) {
      expect(codes({ maxDailyLoss: v }), String(v)).toEqual(['/maxDailyLoss not_a_decimal']);
    }
    expect(codes({ maxDailyLoss: '0' })).toEqual(['/maxDailyLoss not_positive']);
    expect(codes({ maxDailyLoss: '-0.0' })).toEqual(['/maxDailyLoss not_positive']);
  });
});

describe('limits an order is checked against', () => {
  it('are the overrides over the configured open-order default; the rest is off unless set', () => {
    const config = { riskMaxOpenOrders: 200 };
    expect(riskLimitsFrom(undefined, config)).toEqual({ maxOpenOrders: 200 });
    expect(
      riskLimitsFrom(
        {
          max_order_notional: '1000.50',
          max_position: null,
          max_open_orders: 3,
          max_daily_loss: '250',
          price_band_pct: '5',
        },
        config,
      ),
    ).toEqual({
      maxOpenOrders: 3,
      maxOrderNotional: Decimal.parse('1000.5'),
      maxDailyLoss: Decimal.parse('250'),
      priceBandPct: Decimal.parse('5'),
    });
  });
});
