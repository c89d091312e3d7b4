/**
 * The client order id of a copy is derived from (leader fill id, follow id), so a redelivered
 * fill event produces the same id and the venue (or our OMS) refuses the duplicate instead of
 * trading twice.
 *
 * Format: `cp` + the first 30 hex digits of SHA-256 over a versioned, unambiguous encoding of
 * the pair — 32 characters of [a-z0-9]. That fits every venue we target: Binance and Bybit
 * take up to 36 characters of [A-Za-z0-9_-], OKX only 32 alphanumerics, and our own OMS
 * 64 of [A-Za-z0-9._:-].
 *
 * Collisions: 30 hex digits are 120 bits. Among n ids the chance that any two coincide is at
 * most n² / 2^121; a venue only needs ids unique within one account, so n is one follower
 * account's copy orders. At a billion of them the bound is about 4 × 10^-19. The pair is
 * encoded as a JSON array, which is injective (lone surrogates are escaped, separators inside
 * ids are quoted), so distinct pairs never hash the same input.
 */
import { createHash } from 'node:crypto';

const PREFIX = 'cp';
const HEX_DIGITS = 30;
/** Bumping the version changes every id; only do it together with a change of format. */
const DOMAIN = 'obscura/copy-order/v1';
const COPY_ID_RE = /^cp[0-9a-f]{30}$/;

export const COPY_CLIENT_ORDER_ID_LENGTH = PREFIX.length + HEX_DIGITS;

/**
 * @example
 *   copyClientOrderId('fill-1', 'follow-1') // 'cp' + 30 hex digits, the same on every call
 */
export function copyClientOrderId(leaderFillId: string, followId: string): string {
  const digest = createHash('sha256')
    .update(DOMAIN)
    .update('\n')
    .update(JSON.stringify([leaderFillId, followId]))
    .digest('hex');
  return PREFIX + digest.slice(0, HEX_DIGITS);
}

/**
 * Whether an id has the shape of a copy's. A person could choose such an id by hand, so this
 * is a hint for display and routing, not proof of where an order came from.
 */
export function isCopyClientOrderId(id: string): boolean {
  return COPY_ID_RE.test(id);
}
