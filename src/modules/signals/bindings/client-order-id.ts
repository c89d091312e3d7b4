/**
 * The client order id of a binding's order is derived from (signal event id, binding id), so a
 * redelivered decision, a recovery pass after a crash, or two processes racing on the same
 * action all name the same order, and the OMS returns the one already placed instead of
 * trading twice.
 *
 * Format: `sg` + the first 30 hex digits of SHA-256 over a versioned JSON encoding of the pair
 * (injective, so distinct pairs never hash the same input) — 32 characters of [a-z0-9], which
 * fits every venue we target (OKX, the strictest, takes 32 alphanumerics). 120 bits: among a
 * billion orders of one account the chance of any collision is below 10^-18.
 */
import { createHash } from 'node:crypto';

const PREFIX = 'sg';
const HEX_DIGITS = 30;
/** Bumping the version changes every id; only do it together with a change of format. */
const DOMAIN = 'obscura/signal-binding-order/v1';
const ID_RE = /^sg[0-9a-f]{30}$/;

/**
 * @example
 *   signalClientOrderId(signal.eventId, binding.id) // 'sg' + 30 hex digits, stable
 */
export function signalClientOrderId(signalEventId: string, bindingId: string): string {
  const digest = createHash('sha256')
    .update(DOMAIN)
    .update('\n')
    .update(JSON.stringify([signalEventId, bindingId]))
    .digest('hex');
  return PREFIX + digest.slice(0, HEX_DIGITS);
}

/** Whether an id has the shape of a binding order's (a hint for display, not proof). */
export function isSignalClientOrderId(id: string): boolean {
  return ID_RE.test(id);
}
