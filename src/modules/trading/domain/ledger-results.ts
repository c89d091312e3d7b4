/**
 * What ledger operations return. A refusal (insufficient funds, an unbalanced transaction) is
 * a value with a reason code, as risk rejections are; exceptions are kept for broken
 * invariants such as a malformed ledger-account name built by our own code.
 */
import type { Decimal } from '../../../core/decimal.js';

export type LedgerErrorCode =
  | 'unbalanced'
  | 'insufficient_funds'
  | 'currency_mismatch'
  | 'invalid_account'
  | 'invalid_amount'
  | 'invalid_transaction'
  | 'unknown_instrument'
  | 'hold_conflict';

export interface LedgerError {
  code: LedgerErrorCode;
  message: string;
  ledgerAccount?: string;
}

/** `applied: false` means a no-op: the transaction id was already applied, or nothing to release. */
export type LedgerResult =
  | { readonly ok: true; readonly applied: boolean }
  | { readonly ok: false; readonly error: LedgerError };

export const APPLIED: LedgerResult = Object.freeze({ ok: true, applied: true });
export const NOOP: LedgerResult = Object.freeze({ ok: true, applied: false });

export const ledgerError = (
  code: LedgerErrorCode,
  message: string,
  ledgerAccount?: string,
): LedgerResult => ({
  ok: false,
  error: ledgerAccount === undefined ? { code, message } : { code, message, ledgerAccount },
});

export interface Balance {
  currency: string;
  total: Decimal;
  /** Reserved for open orders. */
  held: Decimal;
  available: Decimal;
}
