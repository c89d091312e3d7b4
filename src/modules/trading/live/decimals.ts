import { Decimal, SCALE } from '../../../core/decimal.js';
import { validateInstrument, type Instrument } from '../../market/index.js';

/**
 * CCXT hands amounts over as JavaScript numbers, parsed from the exchange's decimal text.
 * Printing such a double with its shortest round-trip representation (what
 * `Number.prototype.toString` does) gives back that text exactly whenever it had at most 15
 * significant digits, which covers tick and lot sizes, limits, fee rates and ordinary prices
 * and quantities. Exponent forms (`1e-8`) are expanded before parsing. Where the exchange's
 * own string is at hand (`info`), the adapters read that instead.
 */
export function decimalFromCcxt(value: number | string | undefined | null): Decimal | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : parseLoose(value);
  if (!Number.isFinite(value)) return undefined;
  return parseLoose(expandExponent(String(value)));
}

/** Like `decimalFromCcxt`, for values that must be there. */
export function requireDecimal(value: number | string | undefined | null, what: string): Decimal {
  const d = decimalFromCcxt(value);
  if (d === undefined) throw new Error(`the exchange sent no ${what}`);
  return d;
}

/** Significant digits of a number's shortest form: above 15 its decimal text is not certain. */
export function significantDigits(value: number): number {
  const digits = expandExponent(String(Math.abs(value)))
    .replace('.', '')
    .replace(/^0+/, '');
  return digits.replace(/0+$/, '').length;
}

/**
 * The number CCXT should be given for an exact decimal. CCXT formats amounts through their
 * shortest string again (`numberToString`), so the wire carries our text unchanged as long
 * as the double reproduces it; a value that would not survive is refused rather than rounded.
 */
export function toCcxtNumber(d: Decimal, what: string): number {
  const n = Number(d.toString());
  const back = decimalFromCcxt(n);
  if (!back || !back.eq(d)) {
    throw new Error(`${what} ${d} cannot be sent exactly (more than 15 significant digits)`);
  }
  return n;
}

function expandExponent(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i.exec(text);
  if (!m) return text;
  const [, sign, int, frac = '', expText] = m;
  const exp = Number(expText);
  const digits = int! + frac;
  const point = int!.length + exp;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function parseLoose(text: string): Decimal {
  const [int, frac] = text.trim().split('.');
  // Digits beyond 18 places are below anything an exchange trades: cut rather than fail.
  return Decimal.parse(
    frac && frac.length > SCALE ? `${int}.${frac.slice(0, SCALE)}` : text.trim(),
  );
}

// ── instruments ───────────────────────────────────────────────────────────────────────────

/** The parts of a CCXT market the instrument rules come from. */
export interface MarketInfo {
  symbol: string;
  base: string;
  quote: string;
  spot?: boolean;
  active?: boolean | undefined;
  maker?: number | undefined;
  taker?: number | undefined;
  precision: { price?: number | undefined; amount?: number | undefined };
  limits: {
    amount?: { min?: number | undefined; max?: number | undefined };
    cost?: { min?: number | undefined; max?: number | undefined };
  };
}

export type PrecisionMode = 'tick_size' | 'decimal_places' | 'significant_digits';

/** A tick or lot from CCXT's precision field, which means a step or a count of places. */
function stepOf(value: number | undefined, mode: PrecisionMode): Decimal | undefined {
  if (value === undefined) return undefined;
  if (mode === 'tick_size') return decimalFromCcxt(value);
  if (mode === 'decimal_places' && Number.isInteger(value) && value >= 0 && value <= SCALE) {
    return Decimal.ONE.div(Decimal.fromInt(10n ** BigInt(value)));
  }
  return undefined;
}

const DEFAULT_MAX_QUANTITY = Decimal.parse('1000000000');

/**
 * Obscura's instrument rules from a CCXT spot market: tick = price precision, lot = amount
 * precision (as steps, or converted from decimal places), minimum and maximum quantity moved
 * onto the lot (up and down respectively), minimum notional from the cost limit, fees from
 * the market's maker and taker rates. Returns the problems instead when the market cannot be
 * traded under these rules (no precision, a non-spot symbol, significant-digit precision).
 */
export function instrumentFromMarket(
  venue: string,
  m: MarketInfo,
  mode: PrecisionMode,
): { ok: true; instrument: Instrument } | { ok: false; problems: string[] } {
  const tick = stepOf(m.precision.price, mode);
  const lot = stepOf(m.precision.amount, mode);
  if (!tick || !lot || !tick.isPositive() || !lot.isPositive()) {
    return { ok: false, problems: [`${m.symbol}: no usable price or amount precision (${mode})`] };
  }
  const minQ = decimalFromCcxt(m.limits.amount?.min);
  const maxQ = decimalFromCcxt(m.limits.amount?.max);
  const minQuantity = minQ && minQ.isPositive() ? minQ.roundToStep(lot, 'up') : lot;
  let maxQuantity =
    maxQ && maxQ.isPositive() ? maxQ.roundToStep(lot, 'down') : DEFAULT_MAX_QUANTITY;
  if (!maxQuantity.isMultipleOf(lot)) maxQuantity = maxQuantity.roundToStep(lot, 'down');
  const instrument: Instrument = {
    venue,
    symbol: m.symbol,
    base: m.base,
    quote: m.quote,
    tickSize: tick,
    lotSize: lot,
    minQuantity,
    maxQuantity,
    minNotional: decimalFromCcxt(m.limits.cost?.min) ?? Decimal.ZERO,
    pricePrecision: tick.places(),
    quantityPrecision: lot.places(),
    makerFee: decimalFromCcxt(m.maker) ?? Decimal.ZERO,
    takerFee: decimalFromCcxt(m.taker) ?? Decimal.ZERO,
    active: m.active !== false,
  };
  const issues = validateInstrument(instrument);
  if (issues.length) {
    return { ok: false, problems: issues.map((i) => `${m.symbol}${i.field} ${i.message}`) };
  }
  return { ok: true, instrument };
}
