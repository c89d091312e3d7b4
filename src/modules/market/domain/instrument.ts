import { Decimal } from '../../../core/decimal.js';
import { AppError, type FieldIssue } from '../../../core/errors.js';

/** `BTC/USDT@paper`: a symbol is only meaningful on a venue. */
export interface InstrumentId {
  venue: string;
  symbol: string;
}

export const instrumentKey = (id: InstrumentId) => `${id.symbol}@${id.venue}`;

/**
 * What a venue trades and the rules every order on it must satisfy. All amounts exact.
 * Spot instruments: `base` is bought and sold, `quote` pays for it.
 */
export interface Instrument {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  /** Smallest price increment. */
  tickSize: Decimal;
  /** Smallest quantity increment. */
  lotSize: Decimal;
  minQuantity: Decimal;
  maxQuantity: Decimal;
  /** Smallest price × quantity accepted. */
  minNotional: Decimal;
  /** Decimal places of prices and quantities (derived from tick and lot sizes). */
  pricePrecision: number;
  quantityPrecision: number;
  /** Fee rates as fractions, e.g. 0.001 for 0.1 %. */
  makerFee: Decimal;
  takerFee: Decimal;
  active: boolean;
}

export function makeInstrument(i: {
  venue: string;
  symbol: string;
  tickSize: string;
  lotSize: string;
  minQuantity?: string;
  maxQuantity?: string;
  minNotional: string;
  makerFee: string;
  takerFee: string;
}): Instrument {
  const [base, quote] = i.symbol.split('/');
  if (!base || !quote) throw new Error(`symbol ${i.symbol} must look like BASE/QUOTE`);
  const tickSize = Decimal.parse(i.tickSize);
  const lotSize = Decimal.parse(i.lotSize);
  return {
    venue: i.venue,
    symbol: i.symbol,
    base,
    quote,
    tickSize,
    lotSize,
    minQuantity: Decimal.parse(i.minQuantity ?? i.lotSize),
    maxQuantity: Decimal.parse(i.maxQuantity ?? '1000000000'),
    minNotional: Decimal.parse(i.minNotional),
    pricePrecision: tickSize.places(),
    quantityPrecision: lotSize.places(),
    makerFee: Decimal.parse(i.makerFee),
    takerFee: Decimal.parse(i.takerFee),
    active: true,
  };
}

/**
 * Everything wrong with an instrument, as field issues (empty when it is usable). Catalogues,
 * venue adapters and admin edits all pass through here, so a bad tick size is caught before an
 * order or a generator divides by it.
 */
export function validateInstrument(i: Instrument): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const bad = (field: string, message: string) => issues.push({ field: `/${field}`, message });
  if (!i.venue.trim()) bad('venue', 'must not be empty');
  if (i.symbol !== `${i.base}/${i.quote}` || !i.base || !i.quote) {
    bad('symbol', 'must be BASE/QUOTE and agree with base and quote');
  }
  if (!i.tickSize.isPositive()) bad('tickSize', 'must be positive');
  if (!i.lotSize.isPositive()) bad('lotSize', 'must be positive');
  if (i.lotSize.isPositive()) {
    if (!i.minQuantity.isPositive() || !i.minQuantity.isMultipleOf(i.lotSize)) {
      bad('minQuantity', 'must be a positive multiple of lotSize');
    }
    if (i.maxQuantity.lt(i.minQuantity) || !i.maxQuantity.isMultipleOf(i.lotSize)) {
      bad('maxQuantity', 'must be a multiple of lotSize and at least minQuantity');
    }
  }
  if (i.minNotional.isNegative()) bad('minNotional', 'must not be negative');
  // A maker rebate is a negative fee; anything at or beyond 100 % is a typo.
  if (i.makerFee.lte(Decimal.ONE.neg()) || i.makerFee.gte(Decimal.ONE))
    bad('makerFee', 'must be between -1 and 1');
  if (i.takerFee.isNegative() || i.takerFee.gte(Decimal.ONE)) bad('takerFee', 'must be in [0, 1)');
  if (i.pricePrecision !== i.tickSize.places()) bad('pricePrecision', 'must match tickSize');
  if (i.quantityPrecision !== i.lotSize.places()) bad('quantityPrecision', 'must match lotSize');
  return issues;
}

/** Throws a validation error listing every issue, for code paths that must not continue. */
export function assertValidInstrument(i: Instrument): Instrument {
  const fields = validateInstrument(i);
  if (fields.length > 0) {
    throw new AppError(
      'validation',
      'invalid_instrument',
      `instrument ${instrumentKey(i)}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
      { fields },
    );
  }
  return i;
}
