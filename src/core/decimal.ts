/**
 * Exact decimal arithmetic for money, prices and quantities. A value is a bigint count of
 * 10^-18 units (the finest precision any crypto asset uses), so addition and comparison are
 * plain integer operations and nothing ever passes through binary floating point. Products
 * and quotients round explicitly.
 */
export const SCALE = 18;
const ONE_UNITS = 10n ** BigInt(SCALE);
const MAX_DIGITS = 40; // integer digits accepted when parsing: far beyond any real amount

export type Rounding = 'down' | 'up' | 'half-even' | 'floor' | 'ceil';

export class DecimalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecimalError';
  }
}

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Digits a part may have for the fast path: below 2^53, so a float holds it exactly. */
const FAST_DIGITS = 15;
/** 10^(SCALE - k): the units of one in the k-th place after the point. */
const PLACE_UNITS = Array.from({ length: SCALE + 1 }, (_, k) => 10n ** BigInt(SCALE - k));

/**
 * The units of `text` when it is plain (a sign, up to 15 integer digits, up to 15 decimals, no
 * spaces); undefined for anything else, which `Decimal.parse` then reads the general way. Every
 * amount read from the database or an order passes here: a scan with no regular expression,
 * substring or padding, which is most of what parsing allocated.
 */
function fastUnits(text: string): bigint | undefined {
  const n = text.length;
  let i = 0;
  let c = n ? text.charCodeAt(0) : 0;
  const negative = c === 45; // '-'
  if (negative || c === 43) i = 1; // '+'
  let int = 0;
  const intFrom = i;
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    int = int * 10 + (c - 48);
  }
  const intDigits = i - intFrom;
  if (intDigits === 0 || intDigits > FAST_DIGITS) return undefined;
  let frac = 0;
  let places = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 46) return undefined; // '.'
    for (i++; i < n; i++, places++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      frac = frac * 10 + (c - 48);
    }
    if (places === 0 || places > FAST_DIGITS) return undefined;
  }
  const units = BigInt(int) * ONE_UNITS + (places ? BigInt(frac) * PLACE_UNITS[places]! : 0n);
  return negative ? -units : units;
}

export class Decimal {
  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(ONE_UNITS);

  /** Use the static constructors; `units` is the value times 10^18. */
  private constructor(readonly units: bigint) {}

  static fromUnits(units: bigint): Decimal {
    return units === 0n ? Decimal.ZERO : new Decimal(units);
  }

  /** Parses a decimal string such as "-12.5"; rejects exponents, NaN, Infinity and > 18 places. */
  static parse(text: string): Decimal {
    const fast = fastUnits(text);
    if (fast !== undefined) return Decimal.fromUnits(fast);
    const m = DECIMAL_RE.exec(text.trim());
    if (!m)
      throw new DecimalError(
        `"${text.length > 40 ? text.slice(0, 40) + '…' : text}" is not a decimal number`,
      );
    const [, sign, int, frac = ''] = m;
    if (frac.length > SCALE)
      throw new DecimalError(`"${text}" has more than ${SCALE} decimal places`);
    const intDigits = int!.replace(/^0+/, '');
    if (intDigits.length > MAX_DIGITS)
      throw new DecimalError(`"${text.slice(0, 40)}…" is too large`);
    const units = BigInt(int!) * ONE_UNITS + BigInt(frac.padEnd(SCALE, '0') || '0');
    return Decimal.fromUnits(sign === '-' ? -units : units);
  }

  /** Parses, returning undefined instead of throwing (for validation). */
  static tryParse(text: string): Decimal | undefined {
    try {
      return Decimal.parse(text);
    } catch {
      return undefined;
    }
  }

  static fromInt(n: number | bigint): Decimal {
    if (typeof n === 'number' && !Number.isSafeInteger(n))
      throw new DecimalError(`${n} is not a safe integer`);
    return Decimal.fromUnits(BigInt(n) * ONE_UNITS);
  }

  /**
   * From a float, rounded to `places` decimals. Only for values that were floats to begin
   * with (model outputs, statistics), never for money read from users or the database.
   */
  static fromNumber(n: number, places: number, rounding: Rounding = 'half-even'): Decimal {
    if (!Number.isFinite(n)) throw new DecimalError(`${n} is not a finite number`);
    return Decimal.parse(n.toFixed(Math.min(places + 2, 18))).round(places, rounding);
  }

  add(o: Decimal): Decimal {
    return Decimal.fromUnits(this.units + o.units);
  }
  sub(o: Decimal): Decimal {
    return Decimal.fromUnits(this.units - o.units);
  }
  neg(): Decimal {
    return Decimal.fromUnits(-this.units);
  }
  abs(): Decimal {
    return this.units < 0n ? this.neg() : this;
  }
  /** Exact product rounded to 18 places. */
  mul(o: Decimal, rounding: Rounding = 'half-even'): Decimal {
    return Decimal.fromUnits(divRound(this.units * o.units, ONE_UNITS, rounding));
  }
  /** Multiply by a whole number (exact). */
  mulInt(n: bigint | number): Decimal {
    return Decimal.fromUnits(this.units * BigInt(n));
  }
  div(o: Decimal, rounding: Rounding = 'half-even'): Decimal {
    if (o.units === 0n) throw new DecimalError('division by zero');
    return Decimal.fromUnits(divRound(this.units * ONE_UNITS, o.units, rounding));
  }

  /** Rounds to `places` decimals (0–18). */
  round(places: number, rounding: Rounding = 'half-even'): Decimal {
    if (places >= SCALE) return this;
    const step = 10n ** BigInt(SCALE - places);
    return Decimal.fromUnits(divRound(this.units, step, rounding) * step);
  }

  /** Rounds to a multiple of `step` (a tick or lot size). */
  roundToStep(step: Decimal, rounding: Rounding = 'down'): Decimal {
    if (step.units <= 0n) throw new DecimalError('step must be positive');
    return Decimal.fromUnits(divRound(this.units, step.units, rounding) * step.units);
  }

  isMultipleOf(step: Decimal): boolean {
    return step.units > 0n && this.units % step.units === 0n;
  }

  /** Decimal places actually used (trailing zeros ignored). */
  places(): number {
    if (this.units % ONE_UNITS === 0n) return 0;
    let u = this.units < 0n ? -this.units : this.units;
    let p = SCALE;
    while (u % 10n === 0n) {
      u /= 10n;
      p--;
    }
    return p;
  }

  cmp(o: Decimal): -1 | 0 | 1 {
    return this.units < o.units ? -1 : this.units > o.units ? 1 : 0;
  }
  eq(o: Decimal): boolean {
    return this.units === o.units;
  }
  lt(o: Decimal): boolean {
    return this.units < o.units;
  }
  lte(o: Decimal): boolean {
    return this.units <= o.units;
  }
  gt(o: Decimal): boolean {
    return this.units > o.units;
  }
  gte(o: Decimal): boolean {
    return this.units >= o.units;
  }
  isZero(): boolean {
    return this.units === 0n;
  }
  isNegative(): boolean {
    return this.units < 0n;
  }
  isPositive(): boolean {
    return this.units > 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }
  static min(a: Decimal, b: Decimal): Decimal {
    return a.units <= b.units ? a : b;
  }
  static max(a: Decimal, b: Decimal): Decimal {
    return a.units >= b.units ? a : b;
  }

  /** Canonical text: no exponent, no trailing zeros ("1.5", "-0.000001", "42"). */
  toString(): string {
    // One bigint-to-text conversion, the point placed by position: every amount written to
    // the database or the wire passes here, and division plus padding cost three times more.
    if (this.units === 0n) return '0';
    const neg = this.units < 0n;
    const digits = (neg ? -this.units : this.units).toString();
    const point = digits.length - SCALE;
    let end = digits.length;
    while (end > point && digits.charCodeAt(end - 1) === 48) end--;
    const text =
      point <= 0
        ? `0.${'0'.repeat(-point)}${digits.slice(0, end)}`
        : end > point
          ? `${digits.slice(0, point)}.${digits.slice(point, end)}`
          : digits.slice(0, point);
    return neg ? `-${text}` : text;
  }

  /** Text with exactly `places` decimals (rounded half-even), e.g. for display at an instrument's precision. */
  toFixed(places: number): string {
    const r = this.round(places);
    if (places === 0) return r.toString();
    const [i, f = ''] = r.toString().split('.');
    return `${i}.${f.padEnd(places, '0')}`;
  }

  /** A float approximation, for statistics and charts only. */
  toNumber(): number {
    return Number(this.units) / 1e18;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Integer division of a by b (b > 0 or < 0) with the given rounding. */
export function divRound(a: bigint, b: bigint, rounding: Rounding): bigint {
  if (b < 0n) return divRound(-a, -b, rounding);
  const q = a / b; // truncates toward zero
  const r = a % b;
  if (r === 0n) return q;
  const positive = a > 0n;
  switch (rounding) {
    case 'down':
      return q;
    case 'up':
      return positive ? q + 1n : q - 1n;
    case 'floor':
      return positive ? q : q - 1n;
    case 'ceil':
      return positive ? q + 1n : q;
    case 'half-even': {
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice < b) return q;
      if (twice > b || q % 2n !== 0n) return positive ? q + 1n : q - 1n;
      return q;
    }
  }
}

export const dec = (text: string | number | bigint): Decimal =>
  typeof text === 'string' ? Decimal.parse(text) : Decimal.fromInt(text);
