/**
 * Validation of a submitted signal, field by field: every problem is reported at once, each
 * naming its field with a stable code, and nothing is accepted half-checked. Pure: the
 * instrument catalogue and the limits come in as arguments.
 */
import { Decimal } from '../../../core/decimal.js';
import { FEATURE_PROFILES, type Direction, type FeatureProfile, type Signal } from './types.js';

export const SIGNAL_VALIDATION_CODES = [
  'required',
  'not_a_string',
  'not_an_object',
  'too_long',
  'invalid_decimal',
  'not_positive',
  'invalid_direction',
  'invalid_timeframe',
  'invalid_profile',
  'invalid_source',
  'invalid_venue',
  'unknown_venue',
  'unknown_instrument',
  'invalid_time',
  'stale_signal',
  'sent_in_future',
  'stop_wrong_side',
  'take_profit_wrong_side',
  'not_applicable',
  'payload_too_large',
] as const;
export type SignalValidationCode = (typeof SIGNAL_VALIDATION_CODES)[number];

export interface SignalFieldError {
  /** JSON pointer of the field, e.g. `/sentAt`. */
  field: string;
  code: SignalValidationCode;
  message: string;
}

/** What a validated submission holds: a `Signal` without the ids and times the gateway adds. */
export type SignalFields = Omit<Signal, 'eventId' | 'userId' | 'keyId' | 'receivedAt' | 'seq'>;

export const DEFAULT_VENUE = 'paper';
export const DEFAULT_PROFILE: FeatureProfile = 'trend_follow_v1';
/** Source names appear in metrics labels and URLs, so they are short and plain. */
export const SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const VENUE_PATTERN = /^[a-z0-9][a-z0-9_:-]{0,31}$/;
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const MAX_DECIMAL_LENGTH = 64;
const MAX_TEXT = 64;

export interface ValidationContext {
  /** Receipt time (ms): the reference for staleness and for times in the future. */
  now: number;
  /** Timeframes candles exist for (the market module's). */
  timeframes: readonly string[];
  /** The canonical symbol of `symbol` on `venue`, or why there is none. */
  resolveSymbol(venue: string, symbol: string): string | 'unknown_venue' | 'unknown_instrument';
  /** The staleness limit of a source (its own setting, or the default). */
  maxLagMs(source: string): number;
  /** How far ahead of our clock a sender's clock may run. */
  maxFutureMs: number;
  /** Largest `payload`, as JSON text in bytes. */
  maxPayloadBytes: number;
}

export type ValidationResult =
  { ok: true; value: SignalFields } | { ok: false; errors: SignalFieldError[] };

const present = (v: unknown) => v !== undefined && v !== null;

/**
 * Checks a submission. Prices are decimal strings (a JSON number may already have lost digits
 * and is refused); `sentAt` is an ISO-8601 time with a zone or epoch milliseconds; stop and
 * take-profit must sit on the right side of the entry for the direction (for a long, stop below
 * entry below take-profit; mirrored for a short) and make no sense on a close.
 *
 * @example
 * validateSignal({ symbol: 'BTCUSDT', direction: 'long', source: 'tv', sentAt: Date.now() }, ctx)
 */
export function validateSignal(
  raw: Record<string, unknown>,
  ctx: ValidationContext,
): ValidationResult {
  const errors: SignalFieldError[] = [];
  const fail = (field: string, code: SignalValidationCode, message: string) => {
    errors.push({ field: `/${field}`, code, message });
    return undefined;
  };

  const text = (field: string, required: boolean): string | undefined => {
    const v = raw[field];
    if (!present(v)) return required ? fail(field, 'required', 'is required') : undefined;
    if (typeof v !== 'string') return fail(field, 'not_a_string', 'must be a string');
    if (v.length > MAX_TEXT)
      return fail(field, 'too_long', `must be at most ${MAX_TEXT} characters`);
    if (required && v.trim() === '') return fail(field, 'required', 'must not be empty');
    return v;
  };

  const source = text('source', true);
  if (source !== undefined && !SOURCE_PATTERN.test(source))
    fail(
      'source',
      'invalid_source',
      'must be 1–64 letters, digits or . _ : - (starting with a letter or digit)',
    );

  const venueText = text('venue', false) ?? DEFAULT_VENUE;
  const venueOk = VENUE_PATTERN.test(venueText);
  if (!venueOk) fail('venue', 'invalid_venue', 'must look like "paper" or "ccxt:binance"');

  let symbol: string | undefined;
  const symbolText = text('symbol', true);
  if (symbolText !== undefined && venueOk) {
    const resolved = ctx.resolveSymbol(venueText, symbolText);
    if (resolved === 'unknown_venue') fail('venue', 'unknown_venue', `no venue "${venueText}"`);
    else if (resolved === 'unknown_instrument')
      fail('symbol', 'unknown_instrument', `is not an instrument of venue ${venueText}`);
    else symbol = resolved;
  }

  let direction: Direction | undefined;
  const dir = raw.direction;
  if (!present(dir)) fail('direction', 'required', 'is required');
  else if (dir !== 'long' && dir !== 'short' && dir !== 'close')
    fail('direction', 'invalid_direction', 'must be one of long, short, close');
  else direction = dir;

  let timeframe: string | null = null;
  const tf = text('timeframe', false);
  if (tf !== undefined) {
    if (ctx.timeframes.includes(tf)) timeframe = tf;
    else fail('timeframe', 'invalid_timeframe', `must be one of ${ctx.timeframes.join(', ')}`);
  }

  let profile: FeatureProfile = DEFAULT_PROFILE;
  const pr = text('profile', false);
  if (pr !== undefined) {
    if ((FEATURE_PROFILES as readonly string[]).includes(pr)) profile = pr as FeatureProfile;
    else fail('profile', 'invalid_profile', `must be one of ${FEATURE_PROFILES.join(', ')}`);
  }

  const strategy = text('strategy', false) ?? null;

  const price = (field: string): Decimal | null | undefined => {
    const v = raw[field];
    if (!present(v)) return null;
    if (typeof v === 'number')
      return fail(
        field,
        Number.isFinite(v) ? 'not_a_string' : 'invalid_decimal',
        Number.isFinite(v)
          ? 'send prices as decimal strings, e.g. "64250.5"'
          : `${v} is not a finite number`,
      );
    if (typeof v !== 'string') return fail(field, 'not_a_string', 'must be a decimal string');
    if (v.length > MAX_DECIMAL_LENGTH)
      return fail(field, 'too_long', `must be at most ${MAX_DECIMAL_LENGTH} characters`);
    const d = Decimal.tryParse(v);
    if (!d)
      return fail(
        field,
        'invalid_decimal',
        'must be a plain decimal number such as "64250.5" (no exponent, at most 18 decimals)',
      );
    if (!d.isPositive()) return fail(field, 'not_positive', 'must be greater than 0');
    return d;
  };
  const entry = price('entry');
  const stop = price('stop');
  const takeProfit = price('takeProfit');

  if (direction === 'close') {
    if (stop) fail('stop', 'not_applicable', 'a close has no stop');
    if (takeProfit) fail('takeProfit', 'not_applicable', 'a close has no take-profit');
  } else if (direction) {
    const long = direction === 'long';
    const below = long ? 'below' : 'above';
    const above = long ? 'above' : 'below';
    // For a long the stop is under the entry and the target over it; a short mirrors that.
    const wrong = (a: Decimal, b: Decimal) => (long ? a.gte(b) : a.lte(b));
    if (stop && entry && wrong(stop, entry))
      fail('stop', 'stop_wrong_side', `must be ${below} the entry for a ${direction}`);
    if (takeProfit && entry && wrong(entry, takeProfit))
      fail('takeProfit', 'take_profit_wrong_side', `must be ${above} the entry for a ${direction}`);
    if (stop && takeProfit && !entry && wrong(stop, takeProfit))
      fail('stop', 'stop_wrong_side', `must be ${below} the take-profit for a ${direction}`);
  }

  let sentAt: number | undefined;
  const sent = raw.sentAt;
  if (!present(sent)) fail('sentAt', 'required', 'is required');
  else {
    const ms = parseTime(sent);
    if (ms === undefined)
      fail(
        'sentAt',
        'invalid_time',
        'must be an ISO-8601 time with a zone (2024-03-01T12:00:00Z) or epoch milliseconds',
      );
    else if (ms > ctx.now + ctx.maxFutureMs)
      fail(
        'sentAt',
        'sent_in_future',
        `is ${ms - ctx.now} ms ahead of the server's clock (at most ${ctx.maxFutureMs} ms allowed)`,
      );
    else if (source !== undefined && ctx.now - ms > ctx.maxLagMs(source))
      fail(
        'sentAt',
        'stale_signal',
        `is ${ctx.now - ms} ms old, over the ${ctx.maxLagMs(source)} ms allowed for source ${source}`,
      );
    else sentAt = ms;
  }

  let payload: Record<string, unknown> | null = null;
  const p = raw.payload;
  if (present(p)) {
    if (typeof p !== 'object' || Array.isArray(p))
      fail('payload', 'not_an_object', 'must be a JSON object');
    else {
      const size = Buffer.byteLength(JSON.stringify(p));
      if (size > ctx.maxPayloadBytes)
        fail(
          'payload',
          'payload_too_large',
          `is ${size} bytes as JSON, over the ${ctx.maxPayloadBytes} allowed`,
        );
      else payload = p as Record<string, unknown>;
    }
  }

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      source: source!,
      venue: venueText,
      symbol: symbol!,
      direction: direction!,
      timeframe,
      entry: entry ? entry.toString() : null,
      stop: stop ? stop.toString() : null,
      takeProfit: takeProfit ? takeProfit.toString() : null,
      strategy,
      profile,
      sentAt: sentAt!,
      payload,
    },
  };
}

/** Epoch milliseconds from an ISO-8601 time with a zone, or from a whole number of ms. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string' || !ISO_8601.test(v)) return undefined;
  const ms = Date.parse(v.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}
