/**
 * The named transactions other modules post: deposits (paper funding on sign-up included),
 * withdrawals, transfers between accounts (copy-trading performance fees) and fees charged
 * outside a fill. Each is a two-posting transaction built here, so that callers never
 * spell a counterparty or a sign by hand.
 */
import type { Decimal } from '../../../core/decimal.js';
import {
  depositsAccount,
  feesAccount,
  userAccount,
  withdrawalsAccount,
} from './ledger-accounts.js';
import type { TransactionInput, TransactionKind } from './ledger-journal.js';
import type { Ledger } from './ledger.js';
import { ledgerError, type LedgerResult } from './ledger-results.js';

interface Movement {
  /** Transaction id, the idempotency key. */
  id: string;
  ts: number;
  currency: string;
  amount: Decimal;
  reference?: string;
}

/** Funds an account from outside `equity:deposits:<currency>`. */
export function deposit(ledger: Ledger, d: Movement & { accountId: string }): LedgerResult {
  return post(
    ledger,
    d,
    'deposit',
    userAccount(d.accountId, d.currency),
    depositsAccount(d.currency),
  );
}

/** Pays out of an account; held funds cannot be withdrawn. */
export function withdraw(ledger: Ledger, w: Movement & { accountId: string }): LedgerResult {
  return post(
    ledger,
    w,
    'withdrawal',
    withdrawalsAccount(w.currency),
    userAccount(w.accountId, w.currency),
  );
}

/**
 * Moves funds between two user accounts. A follower's performance fee to a leader is a
 * transfer of `kind: 'fee'`, so the journal tells fees from other movements.
 */
export function transfer(
  ledger: Ledger,
  t: Movement & { from: string; to: string; kind?: 'transfer' | 'fee' },
): LedgerResult {
  return post(
    ledger,
    t,
    t.kind ?? 'transfer',
    userAccount(t.to, t.currency),
    userAccount(t.from, t.currency),
  );
}

/** Charges a fee outside any fill (a platform fee) into `fees:<collector>:<currency>`. */
export function chargeFee(
  ledger: Ledger,
  f: Movement & { accountId: string; collector: string },
): LedgerResult {
  return post(
    ledger,
    f,
    'fee',
    feesAccount(f.collector, f.currency),
    userAccount(f.accountId, f.currency),
  );
}

function post(
  ledger: Ledger,
  m: Movement,
  kind: TransactionKind,
  credit: string,
  debit: string,
): LedgerResult {
  // A negative amount would silently reverse the direction: a "deposit" that pays out.
  if (!m.amount.isPositive()) return ledgerError('invalid_amount', `a ${kind} must be positive`);
  const tx: TransactionInput = {
    id: m.id,
    ts: m.ts,
    kind,
    postings: [
      { ledgerAccount: credit, currency: m.currency, amount: m.amount },
      { ledgerAccount: debit, currency: m.currency, amount: m.amount.neg() },
    ],
  };
  return ledger.post(m.reference === undefined ? tx : { ...tx, reference: m.reference });
}
