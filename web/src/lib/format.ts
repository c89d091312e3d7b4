/**
 * Display of the API's decimal strings. Everything here moves digits around; nothing turns a
 * price or an amount into a floating-point number, so what is shown is exactly what the server
 * said, rounded only where a column asks for fewer places.
 */

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?$/;

interface Parts {
  negative: boolean;
  int: string;
  frac: string;
}

function parts(value: string): Parts | undefined {
  const m = DECIMAL.exec(value.trim());
  if (!m) return undefined;
  const int = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  return { negative: m[1] === '-', int, frac: m[3] ?? '' };
}

const isZeroDigits = (p: Parts) => /^0*$/.test(p.int) && /^0*$/.test(p.frac);

/** Adds one to a string of digits. */
function increment(digits: string): string {
  const d = digits.split('');
  for (let i = d.length - 1; i >= 0; i--) {
    if (d[i] === '9') d[i] = '0';
    else {
      d[i] = String(Number(d[i]) + 1);
      return d.join('');
    }
  }
  return `1${d.join('')}`;
}

/** Rounds half away from zero to `places` decimals, on the digits. */
function round(p: Parts, places: number): Parts {
  if (p.frac.length <= places) return { ...p, frac: p.frac.padEnd(places, '0') };
  const kept = p.int + p.frac.slice(0, places);
  const digits = (p.frac[places] ?? '0') >= '5' ? increment(kept) : kept;
  const split = digits.length - places;
  return { negative: p.negative, int: digits.slice(0, split) || '0', frac: digits.slice(split) };
}

const group = (int: string) => int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export interface FormatOptions {
  /** Exactly this many decimals (rounded or padded). */
  places?: number;
  /** At most this many decimals, trailing zeros dropped down to `minPlaces`. */
  maxPlaces?: number;
  minPlaces?: number;
  /** Show + in front of positive values (changes, PnL). */
  plus?: boolean;
  /** Thousands separators (default on). */
  group?: boolean;
}

/**
 * @example fmt('96995.6912', { places: 2 }) === '96,995.69'
 * @example fmt('-0.004', { places: 2 }) === '0.00'
 * @example fmt('0.10000', { maxPlaces: 8 }) === '0.1'
 */
export function fmt(value: string | null | undefined, o: FormatOptions = {}): string {
  if (value === null || value === undefined || value === '') return '—';
  const p0 = parts(value);
  if (!p0) return value;
  let p = p0;
  if (o.places !== undefined) p = round(p, o.places);
  else if (o.maxPlaces !== undefined) {
    p = round(p, Math.min(o.maxPlaces, p.frac.length));
    let frac = p.frac.replace(/0+$/, '');
    if (frac.length < (o.minPlaces ?? 0)) frac = frac.padEnd(o.minPlaces ?? 0, '0');
    p = { ...p, frac };
  }
  const zero = isZeroDigits(p);
  const sign = p.negative && !zero ? '-' : o.plus && !zero ? '+' : '';
  const int = o.group === false ? p.int : group(p.int);
  return `${sign}${int}${p.frac ? `.${p.frac}` : ''}`;
}

/** -1, 0 or 1: the sign of a decimal string. */
export function signOf(value: string | null | undefined): -1 | 0 | 1 {
  const p = value ? parts(value) : undefined;
  if (!p || isZeroDigits(p)) return 0;
  return p.negative ? -1 : 1;
}

/** Compares two decimal strings exactly. */
export function compare(a: string, b: string): -1 | 0 | 1 {
  const pa = parts(a);
  const pb = parts(b);
  if (!pa || !pb) return 0;
  const sa = signOf(a);
  const sb = signOf(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  const width = Math.max(pa.frac.length, pb.frac.length);
  const da = pa.int.padStart(pb.int.length, '0') + pa.frac.padEnd(width, '0');
  const db = pb.int.padStart(pa.int.length, '0') + pb.frac.padEnd(width, '0');
  const magnitude = da === db ? 0 : da < db ? -1 : 1;
  return (sa < 0 ? -magnitude : magnitude) as -1 | 0 | 1;
}

/** CSS class for a value that is good when positive (PnL, change). */
export const tone = (value: string | null | undefined) =>
  ({ [-1]: 'down', 0: '', 1: 'up' })[signOf(value)];

/** Decimals of a step such as a tick size (0.01 → 2). */
export function placesOf(step: string): number {
  const p = parts(step);
  return p ? p.frac.replace(/0+$/, '').length : 0;
}

export const fmtPercent = (value: string | null | undefined) =>
  value === null || value === undefined ? '—' : `${fmt(value, { places: 2, plus: true })}%`;

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time of an epoch-ms or ISO timestamp. */
export function fmtTime(at: number | string): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDateTime(at: number | string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const d = new Date(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtTime(at)}`;
}

/** BTC/USDT ⇄ BTC-USDT: a slash cannot stand in a path segment. */
export const symbolToPath = (symbol: string) => symbol.replace('/', '-');
export const symbolFromPath = (segment: string) => decodeURIComponent(segment).replace('-', '/');
