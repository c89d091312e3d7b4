import ccxt from 'ccxt';
import { AppError } from '../../../core/errors.js';
import { CircuitOpenError } from './circuit-breaker.js';

/**
 * What became of an order whose placement failed:
 * - `rejected`: the exchange answered no (invalid, insufficient funds, bad key);
 * - `not_placed`: the request never reached the matching engine and nothing was found by its
 *   client order id afterwards, so placing it again is safe;
 * - `unknown`: the answer was lost and the exchange could not be asked; the order stays
 *   tracked and later updates (or a `rejected` with reason `not_found_on_venue`) settle it.
 */
export type PlacementOutcome = 'rejected' | 'not_placed' | 'unknown';

/** A refusal or failure from a live venue, with nothing secret in its message. */
export class VenueError extends AppError {
  constructor(
    kind: AppError['kind'],
    code: string,
    message: string,
    readonly exchange: string,
    readonly outcome?: PlacementOutcome,
    opts: { retryAfter?: number } = {},
  ) {
    super(kind, code, message, opts);
    this.name = 'VenueError';
  }
}

/**
 * Whether an error is the exchange's or the network's doing (worth retrying later, and
 * counted by the circuit breaker) rather than the caller's. CCXT's OperationFailed family is
 * exactly that: network errors, timeouts, rate limits, unavailability, unusable responses.
 * InvalidNonce (our clock against theirs) is left out: waiting does not fix it.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof ccxt.OperationFailed && !(err instanceof ccxt.InvalidNonce);
}

/** A rate limit refusal: the request was turned away before it was processed. */
export const isRateLimit = (err: unknown): boolean =>
  err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded;

/** Removes query strings (signatures, keys) and any literal secret from a message. */
export function scrub(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message.replace(/(https?|wss?):\/\/[^\s?]+\?\S*/g, (url) => url.split('?')[0]! + '?…');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}

/** The exchange's own message inside CCXT's (`binance {"code":-1022,"msg":"…"}`), if any. */
export function exchangeMessage(message: string): { code?: string; msg: string } {
  const brace = message.indexOf('{');
  if (brace >= 0) {
    try {
      const body = JSON.parse(message.slice(brace)) as Record<string, unknown>;
      const msg = body.msg ?? body.retMsg ?? body.message ?? body.error;
      const code = body.code ?? body.retCode;
      if (typeof msg === 'string') {
        return { msg, ...(code !== undefined ? { code: String(code) } : {}) };
      }
    } catch {
      // not JSON: keep the text
    }
  }
  return { msg: message.replace(/^\S+\s/, '') };
}

const AUTH_HINTS: Record<string, string> = {
  '-1022': 'the request signature did not verify: the API secret is wrong',
  '-2014': 'the API key is malformed',
  '-2015': 'the API key is unknown, not allowed from this IP address, or lacks the permission',
  '10003': 'the API key is unknown',
  '10004': 'the request signature did not verify: the API secret is wrong',
  '50113': 'the request signature did not verify: the API secret is wrong',
  '50111': 'the API key is unknown',
  '50105': 'the passphrase is wrong',
};

/**
 * Turns whatever a CCXT call threw into an AppError that can go to a user: the kind says who
 * is at fault, the code is stable, and the message names the exchange and its reason without
 * URLs' query strings or any credential.
 */
export function toVenueError(
  err: unknown,
  exchange: string,
  secrets: readonly (string | undefined)[],
  outcome?: PlacementOutcome,
): AppError {
  if (err instanceof VenueError || err instanceof CircuitOpenError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const text = scrub(raw, secrets);
  const { code, msg } = exchangeMessage(text);
  const said = code ? `${msg} (code ${code})` : msg;
  const v = (kind: AppError['kind'], c: string, m: string, retryAfter?: number) =>
    new VenueError(kind, c, m, exchange, outcome, retryAfter ? { retryAfter } : {});
  if (err instanceof ccxt.AuthenticationError) {
    const hint = (code && AUTH_HINTS[code]) ?? 'the exchange refused the credentials';
    return v('forbidden', 'venue_auth_failed', `${exchange} refused the API key: ${hint}. ${said}`);
  }
  if (err instanceof ccxt.InsufficientFunds)
    return v('conflict', 'insufficient_funds', `${exchange}: insufficient funds. ${said}`);
  if (err instanceof ccxt.OrderNotFound)
    return v('not_found', 'venue_order_not_found', `${exchange}: order not found. ${said}`);
  if (err instanceof ccxt.InvalidOrder || err instanceof ccxt.BadRequest)
    return v('validation', 'venue_rejected', `${exchange} rejected the order: ${said}`);
  if (err instanceof ccxt.NotSupported)
    return v('validation', 'venue_not_supported', `${exchange}: ${said}`);
  if (isRateLimit(err))
    return v('rate_limited', 'venue_rate_limited', `${exchange} is rate limiting us: ${said}`, 1);
  if (err instanceof ccxt.InvalidNonce)
    return v(
      'unavailable',
      'venue_clock_skew',
      `${exchange}: request time refused (${said}); check the server clock`,
    );
  if (isRetryable(err))
    return v('unavailable', 'venue_unavailable', `${exchange} is unavailable: ${said}`);
  if (err instanceof ccxt.ExchangeError)
    return v('conflict', 'venue_rejected', `${exchange} refused the request: ${said}`);
  return v('internal', 'venue_error', `${exchange}: ${said}`);
}
