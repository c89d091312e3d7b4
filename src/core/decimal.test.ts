import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec, divRound } from './decimal.js';

const decimals = fc
  .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }))
  .map(([u]) => Decimal.fromUnits(u));

describe('Decimal', () => {
  it('parses and prints canonical text', () => {
    expect(dec('1.50').toString()).toBe('1.5');
    expect(dec('-0.000000000000000001').toString()).toBe('-0.000000000000000001');
    expect(dec('000042').toString()).toBe('42');
    expect(dec('0.1').add(dec('0.2')).toString()).toBe('0.3'); // not 0.30000000000000004
    expect(dec('2.5').toFixed(0)).toBe('2');
    expect(dec('3.5').toFixed(0)).toBe('4');
    expect(dec('1.005').toFixed(2)).toBe('1.00');
    expect(dec('1').toFixed(4)).toBe('1.0000');
  });

  it.each([
    'NaN',
    'Infinity',
    '1e400',
    '1e5',
    '',
    ' ',
    '1.',
    '.5',
    '0x10',
    '1,5',
    '--1',
    '0.0000000000000000001',
  ])('rejects %j', (text) => {
    expect(Decimal.tryParse(text)).toBeUndefined();
  });

  it('reads plain and unusual text alike, the quick way or the general one', () => {
    // The reference: the general reading, with its regular expression.
    const reference = (text: string): bigint | undefined => {
      const m = /^([+-])?(\d+)(?:\.(\d+))?$/.exec(text.trim());
      if (!m || (m[3] ?? '').length > 18 || m[2]!.replace(/^0+/, '').length > 40) return undefined;
      const units = BigInt(m[2]!) * 10n ** 18n + BigInt((m[3] ?? '').padEnd(18, '0'));
      return m[1] === '-' ? -units : units;
    };
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const text = fc.oneof(
      fc
        .tuple(fc.constantFrom('', '-', '+'), digits(1, 20), fc.option(digits(0, 20)))
        .map(([sign, int, frac]) => `${sign}${int}${frac === null ? '' : `.${frac}`}`),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+ e'), maxLength: 24 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(Decimal.tryParse(t)?.units).toBe(reference(t));
      }),
      { numRuns: 2000 },
    );
    expect(dec('-0').toString()).toBe('0');
    expect(dec('+7.25').toString()).toBe('7.25');
    expect(dec(' 1.5 ').toString()).toBe('1.5');
    expect(dec('999999999999999.999999999999999').toString()).toBe(
      '999999999999999.999999999999999',
    );
  });

  it('rejects absurdly large numbers', () => {
    expect(Decimal.tryParse('9'.repeat(41))).toBeUndefined();
    expect(Decimal.tryParse('9'.repeat(40))).toBeDefined();
  });

  it('multiplies and divides exactly where the result fits, rounding explicitly otherwise', () => {
    expect(dec('0.1').mul(dec('3')).toString()).toBe('0.3');
    expect(dec('64123.45').mul(dec('0.00150000')).toString()).toBe('96.185175');
    expect(dec('1').div(dec('3')).toString()).toBe('0.333333333333333333');
    expect(dec('2').div(dec('3')).toString()).toBe('0.666666666666666667');
    expect(dec('2').div(dec('3'), 'down').toString()).toBe('0.666666666666666666');
    expect(() => dec('1').div(Decimal.ZERO)).toThrow(/division by zero/);
  });

  it('takes a float at any precision up to the scale', () => {
    expect(Decimal.fromNumber(0.1, 2).toString()).toBe('0.1');
    expect(Decimal.fromNumber(1 / 3, 17).toString()).toBe('0.33333333333333332');
    expect(Decimal.fromNumber(1 / 3, 18).toString()).toBe('0.333333333333333315');
    expect(() => Decimal.fromNumber(Number.NaN, 2)).toThrow(/finite/);
  });

  it('rounds to steps (ticks and lots)', () => {
    expect(dec('0.123456').roundToStep(dec('0.001')).toString()).toBe('0.123');
    expect(dec('0.123456').roundToStep(dec('0.001'), 'up').toString()).toBe('0.124');
    expect(dec('100.05').isMultipleOf(dec('0.01'))).toBe(true);
    expect(dec('100.055').isMultipleOf(dec('0.01'))).toBe(false);
    expect(dec('-0.125').roundToStep(dec('0.01'), 'half-even').toString()).toBe('-0.12');
  });

  it('round-trips through text for any value', () => {
    fc.assert(fc.property(decimals, (d) => Decimal.parse(d.toString()).eq(d)));
  });

  it('adds and subtracts as a group (exact, associative, with inverses)', () => {
    fc.assert(
      fc.property(decimals, decimals, decimals, (a, b, c) => {
        expect(
          a
            .add(b)
            .add(c)
            .eq(a.add(b.add(c))),
        ).toBe(true);
        expect(a.add(b).sub(b).eq(a)).toBe(true);
        expect(a.add(a.neg()).isZero()).toBe(true);
      }),
    );
  });

  it('rounds a product by at most half a unit in the last place', () => {
    fc.assert(
      fc.property(decimals, decimals, (a, b) => {
        const exact = a.units * b.units; // scale 36
        const rounded = a.mul(b).units * 10n ** 18n;
        const err = exact > rounded ? exact - rounded : rounded - exact;
        expect(err * 2n <= 10n ** 18n).toBe(true);
      }),
    );
  });

  it('divRound agrees with the definition of each rounding mode', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 10n }),
        (a, b) => {
          const floor = divRound(a, b, 'floor');
          expect(floor * b <= a && a < (floor + 1n) * b).toBe(true);
          const ceil = divRound(a, b, 'ceil');
          expect((ceil - 1n) * b < a && a <= ceil * b).toBe(true);
          const he = divRound(a, b, 'half-even');
          const dist = (he * b - a) * 2n;
          expect(dist <= b && dist >= -b).toBe(true);
        },
      ),
    );
  });
});
