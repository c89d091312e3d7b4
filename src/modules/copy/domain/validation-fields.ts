/**
 * Field parsers of follow validation: each records a coded error and returns the value only
 * when the field is usable, so one pass reports every problem at once.
 */
import { Decimal } from '../../../core/decimal.js';

export const FOLLOW_VALIDATION_CODES = [
  'required',
  'not_a_string',
  'not_a_number',
  'not_an_integer',
  'invalid_flag',
  'not_a_list',
  'invalid_allocation_mode',
  'invalid_copy_mode',
  'not_positive',
  'too_large',
  'out_of_range',
  'percent_out_of_range',
  'not_allowed_for_mode',
  'requires_drawdown_stop',
  'fixed_amount_exceeds_allocation',
  'allocation_exceeds_equity',
  'invalid_symbol',
  'instrument_in_both_lists',
  'too_many_instruments',
  'unknown_leader',
  'cannot_follow_self',
  'account_not_owned',
  'leader_paused',
  'leader_stopped',
  'already_following',
  'too_many_leaders',
] as const;
export type FollowValidationCode = (typeof FOLLOW_VALIDATION_CODES)[number];

export interface FollowFieldError {
  field: string;
  code: FollowValidationCode;
  message: string;
}

export const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** A decimal string; numbers are refused because a float may already have lost digits. */
export function decimalField(
  field: string,
  value: unknown,
  errors: FollowFieldError[],
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
  const d = Decimal.tryParse(value);
  if (d === undefined) {
    const shown = value.length > 32 ? `${value.slice(0, 32)}…` : value;
    errors.push({ field, code: 'not_a_number', message: `"${shown}" is not a decimal number` });
  }
  return d;
}

/** An amount of money or a ratio: greater than zero and at most `max`. */
export function positiveField(
  field: string,
  value: unknown,
  max: Decimal,
  errors: FollowFieldError[],
): Decimal | undefined {
  const d = decimalField(field, value, errors);
  if (d === undefined) return undefined;
  if (!d.isPositive()) {
    errors.push({ field, code: 'not_positive', message: 'must be greater than 0' });
    return undefined;
  }
  if (d.gt(max)) {
    errors.push({ field, code: 'too_large', message: `must be at most ${max}` });
    return undefined;
  }
  return d;
}

/**
 * A percentage in [lo, hi]. The message restates the unit, because the usual mistake is a
 * fraction ("0.005" for half a percent) or a percent of the wrong field ("50").
 */
export function percentField(
  field: string,
  value: unknown,
  [lo, hi]: readonly [Decimal, Decimal],
  errors: FollowFieldError[],
): Decimal | undefined {
  const d = decimalField(field, value, errors);
  if (d === undefined) return undefined;
  if (d.lt(lo) || d.gt(hi)) {
    errors.push({
      field,
      code: 'percent_out_of_range',
      message: `must be between ${lo} and ${hi}, in percent ("0.5" means 0.5 %); got ${d}`,
    });
    return undefined;
  }
  return d;
}

export function integerField(
  field: string,
  value: unknown,
  [lo, hi]: readonly [number, number],
  errors: FollowFieldError[],
): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push({ field, code: 'not_an_integer', message: 'must be a whole number, e.g. 5' });
    return undefined;
  }
  if (value < lo || value > hi) {
    errors.push({ field, code: 'out_of_range', message: `must be between ${lo} and ${hi}` });
    return undefined;
  }
  return value;
}

export function flagField(field: string, value: unknown, errors: FollowFieldError[]): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  errors.push({ field, code: 'invalid_flag', message: 'must be true or false' });
  return false;
}

export function oneOfField<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
  code: FollowValidationCode,
  errors: FollowFieldError[],
): T | undefined {
  if (typeof value === 'string' && allowed.includes(value as T)) return value as T;
  errors.push({ field, code, message: `must be one of ${allowed.join(', ')}` });
  return undefined;
}

const SYMBOL_RE = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/;

/** `btc-usdt`, `BTC_USDT` and `BTC/USDT` are one symbol; the canonical form is kept. */
export function normalizeSymbol(text: string): string | undefined {
  const s = text.trim().toUpperCase().replace(/[-_]/g, '/');
  return SYMBOL_RE.test(s) ? s : undefined;
}

/** A list of symbols, normalized and without repeats. */
export function symbolListField(
  field: string,
  value: unknown,
  maxLength: number,
  errors: FollowFieldError[],
): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ field, code: 'not_a_list', message: 'must be a list of symbols like BTC/USDT' });
    return [];
  }
  const out = new Set<string>();
  value.forEach((item, i) => {
    const s = typeof item === 'string' ? normalizeSymbol(item) : undefined;
    if (s === undefined) {
      const shown = String(item).slice(0, 32);
      errors.push({
        field: `${field}/${i}`,
        code: 'invalid_symbol',
        message: `"${shown}" is not a symbol like BTC/USDT`,
      });
    } else out.add(s);
  });
  if (out.size > maxLength) {
    errors.push({ field, code: 'too_many_instruments', message: `at most ${maxLength} symbols` });
  }
  return [...out];
}
