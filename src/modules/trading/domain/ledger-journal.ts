/**
 * The ledger's journal: every applied transaction in order, for audit and replay. A fill's
 * entry keeps a reference to the fill instead of its postings, because the fill path must
 * not build six posting objects per fill; `postings()` derives them on demand, with the
 * same arithmetic the ledger used, so what an auditor reads is what was posted.
 */
import { Decimal } from '../../../core/decimal.js';
import { mulUnits } from './accounting.js';
import { feesAccount, userAccount, venueAccount } from './ledger-accounts.js';
import type { Fill } from './types.js';

/**
 * `exchange_sync` brings a live account's ledger in line with the exchange it mirrors: its
 * opening balances, and later differences (deposits, withdrawals or trades made outside).
 */
export type TransactionKind =
  'deposit' | 'withdrawal' | 'fill' | 'fee' | 'transfer' | 'exchange_sync';

export interface Posting {
  ledgerAccount: string;
  currency: string;
  /** Signed: positive increases the ledger account's balance. */
  amount: Decimal;
}

export interface TransactionInput {
  /** Idempotency key: a second transaction with an id already applied is a no-op. */
  id: string;
  ts: number;
  kind: TransactionKind;
  /** What caused it (fill id, order id, payment id, follow id…), for audit. */
  reference?: string;
  postings: readonly Posting[];
}

/** The currencies of the two sides of a spot instrument. */
export interface SpotPair {
  readonly base: string;
  readonly quote: string;
}

export class JournalEntry {
  constructor(
    readonly id: string,
    readonly ts: number,
    readonly kind: TransactionKind,
    readonly reference: string,
    /** Set on fill entries: replay re-applies the fill so that positions rebuild too. */
    readonly fill: Fill | undefined,
    private readonly pair: SpotPair | undefined,
    private readonly explicit: readonly Posting[] | undefined,
  ) {}

  postings(): Posting[] {
    if (this.explicit) return [...this.explicit];
    if (!this.fill || !this.pair) return [];
    return fillPostings(this.fill, this.pair);
  }

  /** The entry as a transaction to post elsewhere; fills go through `Portfolio.applyFill`. */
  toInput(): TransactionInput {
    return {
      id: this.id,
      ts: this.ts,
      kind: this.kind,
      reference: this.reference,
      postings: this.postings(),
    };
  }
}

/**
 * The postings of a spot fill. A buy moves BASE from the venue to the account and QUOTE
 * (price × quantity) from the account to the venue; a sell the reverse. The fee moves from
 * the account's balance in the fee currency to the venue's fee account.
 */
export function fillPostings(fill: Fill, pair: SpotPair): Posting[] {
  const qty = fill.quantity.units;
  const notional = mulUnits(fill.price.units, qty);
  const sign = fill.side === 'buy' ? 1n : -1n;
  const out: Posting[] = [];
  const push = (ledgerAccount: string, currency: string, units: bigint) => {
    if (units !== 0n) out.push({ ledgerAccount, currency, amount: Decimal.fromUnits(units) });
  };
  push(userAccount(fill.accountId, pair.base), pair.base, sign * qty);
  push(venueAccount(fill.venue, pair.base), pair.base, -sign * qty);
  push(userAccount(fill.accountId, pair.quote), pair.quote, -sign * notional);
  push(venueAccount(fill.venue, pair.quote), pair.quote, sign * notional);
  push(userAccount(fill.accountId, fill.feeCurrency), fill.feeCurrency, -fill.fee.units);
  push(feesAccount(fill.venue, fill.feeCurrency), fill.feeCurrency, fill.fee.units);
  return out;
}
