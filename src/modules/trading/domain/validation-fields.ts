import { Decimal, SCALE } from '../../../core/decimal.js';
import type { InstrumentRules } from './types.js';

/**
 * Field-level checks shared by order and amendment validation: each records a coded error
 * and returns the parsed value only when the field is usable.
 */

export const VALIDATION_CODES = [
  'required',
  'not_a_string',
  'not_a_number',
  'too_many_decimals',
  'quantity_not_positive',
  'quantity_off_lot',
  'quantity_below_minimum',
  'quantity_above_maximum',
  'price_not_positive',
  'price_off_tick',
  'notional_below_minimum',
  'price_required',
  'price_not_allowed',
  'stop_price_required',
  'stop_price_not_allowed',
  'invalid_side',
  'invalid_order_type',
  'invalid_time_in_force',
  'tif_not_allowed',
  'invalid_flag',
  'post_only_requires_limit',
  'fok_post_only_conflict',
  'ioc_post_only_conflict',
  'invalid_client_order_id',
  'unknown_instrument',
  'instrument_mismatch',
  'instrument_inactive',
  'nothing_to_amend',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

export interface FieldError {
  field: string;
  code: ValidationCode;
  message: string;
}

const FRACTION_RE = /^\s*[+-]?\d+\.(\d+)\s*$/;

export type Kind = 'quantity' | 'price';

/**
 * Parses one amount. Returns undefined (after recording why) unless the text is a finite
 * decimal within the instrument's precision; sign and step are checked by the caller.
 */
export function parseAmount(
  field: string,
  value: unknown,
  places: number,
  errors: FieldError[],
): Decimal | undefined {
  if (typeof value === 'number') {
    errors.push(
      Number.isFinite(value)
        ? { field, code: 'not_a_string', message: 'send amounts as decimal strings, e.g. "0.5"' }
        : { field, code: 'not_a_number', message: `${value} is not a finite number` },
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push({ field, code: 'not_a_string', message: 'must be a decimal string' });
    return undefined;
  }
  const frac = FRACTION_RE.exec(value)?.[1];
  if (frac !== undefined && frac.length > SCALE) {
    errors.push({ field, code: 'too_many_decimals', message: `at most ${places} decimal places` });
    return undefined;
  }
  const d = Decimal.tryParse(value);
  if (d === undefined) {
    const shown = value.length > 32 ? `${value.slice(0, 32)}…` : value;
    errors.push({ field, code: 'not_a_number', message: `"${shown}" is not a decimal number` });
    return undefined;
  }
  if (d.places() > places) {
    errors.push({ field, code: 'too_many_decimals', message: `at most ${places} decimal places` });
    return undefined;
  }
  return d;
}

/** Sign, step and bounds of a parsed amount; returns it only if all hold. */
function checkAmount(
  field: string,
  kind: Kind,
  d: Decimal,
  inst: InstrumentRules,
  errors: FieldError[],
): Decimal | undefined {
  const before = errors.length;
  if (!d.isPositive()) {
    errors.push({ field, code: `${kind}_not_positive`, message: `must be greater than 0` });
    return undefined;
  }
  if (kind === 'quantity') {
    if (!d.isMultipleOf(inst.lotSize)) {
      errors.push({
        field,
        code: 'quantity_off_lot',
        message: `must be a multiple of ${inst.lotSize}`,
      });
    }
    if (d.lt(inst.minQuantity)) {
      errors.push({
        field,
        code: 'quantity_below_minimum',
        message: `minimum is ${inst.minQuantity}`,
      });
    }
    if (d.gt(inst.maxQuantity)) {
      errors.push({
        field,
        code: 'quantity_above_maximum',
        message: `maximum is ${inst.maxQuantity}`,
      });
    }
  } else if (!d.isMultipleOf(inst.tickSize)) {
    errors.push({
      field,
      code: 'price_off_tick',
      message: `must be a multiple of ${inst.tickSize}`,
    });
  }
  return errors.length === before ? d : undefined;
}

export function amount(
  field: string,
  kind: Kind,
  value: unknown,
  inst: InstrumentRules,
  errors: FieldError[],
): Decimal | undefined {
  const places = kind === 'quantity' ? inst.quantityPrecision : inst.pricePrecision;
  const d = parseAmount(field, value, places, errors);
  return d && checkAmount(field, kind, d, inst, errors);
}

export function oneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
  code: ValidationCode,
  errors: FieldError[],
  normalize: (s: string) => string = (s) => s,
): T | undefined {
  const v = typeof value === 'string' ? normalize(value) : value;
  if (allowed.includes(v as T)) return v as T;
  errors.push({ field, code, message: `must be one of ${allowed.join(', ')}` });
  return undefined;
}

export function flag(field: string, value: unknown, errors: FieldError[]): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  errors.push({ field, code: 'invalid_flag', message: 'must be true or false' });
  return false;
}

export const present = (v: unknown) => v !== undefined && v !== null && v !== '';

export function checkNotional(
  quantity: Decimal,
  price: Decimal | undefined,
  inst: InstrumentRules,
  errors: FieldError[],
): void {
  if (price === undefined) return;
  const notional = quantity.mul(price);
  if (notional.lt(inst.minNotional)) {
    errors.push({
      field: 'quantity',
      code: 'notional_below_minimum',
      message: `${quantity} × ${price} = ${notional} ${inst.quote} is below the minimum of ${inst.minNotional}`,
    });
  }
}
