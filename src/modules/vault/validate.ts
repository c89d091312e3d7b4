import { AppError, type FieldIssue } from '../../core/errors.js';

/**
 * CCXT exchange ids the platform accepts credentials for. Ids are CCXT's own, so the execution
 * path can hand them to `new ccxt[exchange](...)` unchanged.
 */
export const SUPPORTED_EXCHANGES = [
  'binance',
  'binanceusdm',
  'binancecoinm',
  'bingx',
  'bitfinex',
  'bitget',
  'bitmex',
  'bitstamp',
  'bybit',
  'coinbase',
  'coinbaseexchange',
  'cryptocom',
  'deribit',
  'gate',
  'gateio',
  'gemini',
  'htx',
  'hyperliquid',
  'kraken',
  'krakenfutures',
  'kucoin',
  'kucoinfutures',
  'mexc',
  'okx',
  'phemex',
] as const;
export type ExchangeId = (typeof SUPPORTED_EXCHANGES)[number];

const SUPPORTED = new Set<string>(SUPPORTED_EXCHANGES);

/** Exchanges whose API refuses requests without the passphrase chosen when the key was made. */
const NEEDS_PASSPHRASE = new Set<string>([
  'okx',
  'kucoin',
  'kucoinfutures',
  'bitget',
  'coinbaseexchange',
]);

export const isSupportedExchange = (id: string): id is ExchangeId => SUPPORTED.has(id);

export interface CredentialInput {
  exchange: string;
  label?: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
}

export interface ValidCredential {
  exchange: ExchangeId;
  label: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
}

export const LIMITS = { label: 64, apiKey: 512, secret: 512, passphrase: 256 } as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Checks a secret-bearing field. Messages describe the rule, never the value, because they
 * travel back in problem+json bodies and into logs.
 */
function secretIssue(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters or line breaks';
  if (value.trim() !== value) return 'must not start or end with whitespace';
  return undefined;
}

/** Validates and normalises a credential; every problem is reported together, by field. */
export function validateCredentialInput(input: CredentialInput): ValidCredential {
  const issues: FieldIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });

  const exchange = typeof input.exchange === 'string' ? input.exchange.trim().toLowerCase() : '';
  if (!isSupportedExchange(exchange)) {
    add('/exchange', `is not a supported exchange id (one of ${SUPPORTED_EXCHANGES.join(', ')})`);
  }

  let label = exchange;
  if (input.label !== undefined) {
    label = typeof input.label === 'string' ? input.label.trim() : '';
    if (label.length < 1 || label.length > LIMITS.label)
      add('/label', `must be 1 to ${LIMITS.label} characters`);
    else if (CONTROL.test(label)) add('/label', 'must not contain control characters');
  }

  const keyIssue = secretIssue(input.apiKey, LIMITS.apiKey);
  if (keyIssue) add('/apiKey', keyIssue);
  const secretProblem = secretIssue(input.secret, LIMITS.secret);
  if (secretProblem) add('/secret', secretProblem);

  // An empty passphrase is what many forms send for "none".
  const passphrase = input.passphrase === '' ? undefined : input.passphrase;
  if (passphrase !== undefined) {
    const issue = secretIssue(passphrase, LIMITS.passphrase);
    if (issue) add('/passphrase', issue);
  } else if (NEEDS_PASSPHRASE.has(exchange)) {
    add('/passphrase', `is required for ${exchange}`);
  }

  if (issues.length) {
    const detail = issues.map((i) => `${i.field.slice(1)} ${i.message}`).join('; ');
    throw new AppError('validation', 'validation_failed', detail, { fields: issues });
  }
  return {
    exchange: exchange as ExchangeId,
    label,
    apiKey: input.apiKey,
    secret: input.secret,
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
}

/**
 * What a listing may show of the key. Short keys show nothing, so that four characters are
 * never a meaningful share of the key.
 */
// By code points, so a key ending in an emoji or other astral character is not cut in half.
export const keyLast4 = (apiKey: string): string => {
  const chars = Array.from(apiKey);
  return chars.length >= 12 ? chars.slice(-4).join('') : '';
};
