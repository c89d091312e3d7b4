import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.js';
import { AppError } from '../../../core/errors.js';
import { defaultSyntheticInstruments, PAPER_VENUE, paperInstruments } from './catalogue.js';
import {
  assertValidInstrument,
  makeInstrument,
  validateInstrument,
  type Instrument,
} from './instrument.js';

const btc = (): Instrument =>
  makeInstrument({
    venue: 'paper',
    symbol: 'BTC/USDT',
    tickSize: '0.01',
    lotSize: '0.00001',
    minNotional: '5',
    makerFee: '0.001',
    takerFee: '0.001',
  });

describe('paper catalogue', () => {
  it('lists BTC, ETH, SOL, BNB and XRP against USDT on the paper venue, all valid', () => {
    const list = paperInstruments();
    expect(list.map((i) => i.symbol)).toEqual([
      'BTC/USDT',
      'ETH/USDT',
      'SOL/USDT',
      'BNB/USDT',
      'XRP/USDT',
    ]);
    for (const i of list) {
      expect(i.venue).toBe(PAPER_VENUE);
      expect(validateInstrument(i)).toEqual([]);
      expect(i.minNotional.toString()).toBe('5');
      expect(i.takerFee.toString()).toBe('0.001');
    }
  });

  it('uses the exchange tick and lot sizes', () => {
    const by = Object.fromEntries(paperInstruments().map((i) => [i.symbol, i]));
    expect(by['BTC/USDT']!.tickSize.toString()).toBe('0.01');
    expect(by['BTC/USDT']!.lotSize.toString()).toBe('0.00001');
    expect(by['BTC/USDT']!.quantityPrecision).toBe(5);
    expect(by['ETH/USDT']!.lotSize.toString()).toBe('0.0001');
    expect(by['SOL/USDT']!.lotSize.toString()).toBe('0.001');
    expect(by['XRP/USDT']!.tickSize.toString()).toBe('0.0001');
    expect(by['XRP/USDT']!.pricePrecision).toBe(4);
  });

  it('starts every synthetic price on its tick', () => {
    for (const s of defaultSyntheticInstruments()) {
      expect(s.startPrice.isMultipleOf(s.instrument.tickSize)).toBe(true);
      expect(s.startPrice.isPositive()).toBe(true);
    }
  });

  it('can be placed on another venue name', () => {
    expect(paperInstruments('sim').every((i) => i.venue === 'sim')).toBe(true);
  });
});

describe('validateInstrument', () => {
  it('accepts a well-formed spot instrument', () => {
    expect(validateInstrument(btc())).toEqual([]);
  });

  it('names every broken rule', () => {
    const broken: Instrument = {
      ...btc(),
      venue: ' ',
      tickSize: dec('0'),
      minQuantity: dec('0.000015'),
      minNotional: dec('-1'),
      makerFee: dec('1'),
      takerFee: dec('-0.001'),
    };
    expect(validateInstrument(broken).map((i) => i.field)).toEqual([
      '/venue',
      '/tickSize',
      '/minQuantity',
      '/minNotional',
      '/makerFee',
      '/takerFee',
      '/pricePrecision',
    ]);
  });

  it('rejects a max quantity below the min quantity, and a symbol that disagrees with its assets', () => {
    const i = { ...btc(), maxQuantity: dec('0.00001'), minQuantity: dec('0.0001'), base: 'ETH' };
    expect(validateInstrument(i).map((x) => x.field)).toEqual(['/symbol', '/maxQuantity']);
  });

  it('allows a maker rebate', () => {
    expect(validateInstrument({ ...btc(), makerFee: dec('-0.0001') })).toEqual([]);
  });

  it('throws a validation error listing the issues when asserted', () => {
    const err = (() => {
      try {
        assertValidInstrument({ ...btc(), lotSize: dec('0') });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_instrument');
    expect((err as AppError).fields.map((f) => f.field)).toEqual([
      '/lotSize',
      '/quantityPrecision',
    ]);
  });
});
