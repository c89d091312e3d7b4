import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type { TransactionKind } from './domain/ledger-journal.js';
import { deposit } from './domain/ledger-transactions.js';
import { Portfolio, type SpotInstrument } from './domain/portfolio.js';
import { fillInstruments } from './live-ledger.js';
import * as S from './store.js';

interface Book {
  portfolio: Portfolio;
  userId: string;
  /** `journal_seq` of the account when this copy was built or last written by this process. */
  seq: number;
}

/**
 * Each account's balances, holds and positions, rebuilt from the ledger journal and the open
 * orders' holds. A process keeps its copy while the account's `journal_seq` says nobody else
 * has written (sign-up funding may come from a worker), so the order path replays nothing.
 */
export class Books {
  private readonly books = new Map<string, Book>();

  constructor(private readonly instruments: readonly SpotInstrument[]) {}

  /** The account's portfolio, current as of `account.journal_seq`. */
  async load(db: Executor, account: S.AccountRow): Promise<Portfolio> {
    const seq = Number(account.journal_seq);
    const known = this.books.get(account.id);
    if (known && known.seq === seq) return known.portfolio;
    const portfolio = new Portfolio(this.instruments);
    const journal = await S.journalOf(db, account.id);
    for (const i of fillInstruments(journal, this.instruments)) portfolio.addInstrument(i);
    for (const e of journal) {
      const ts = new Date(e.ts).getTime();
      const r = e.fill
        ? portfolio.applyFill(e.fill)
        : e.kind === 'deposit' && e.currency !== null && e.amount !== null
          ? deposit(portfolio.ledger, {
              id: e.id,
              ts,
              accountId: account.id,
              currency: e.currency,
              amount: Decimal.parse(e.amount),
            })
          : // Transfers and fees replay as the postings they were journaled with.
            portfolio.ledger.post({
              id: e.id,
              ts,
              kind: e.kind as TransactionKind,
              ...(e.reference === null ? {} : { reference: e.reference }),
              postings: e.postings.map((p) => ({ ...p, amount: Decimal.parse(p.amount) })),
            });
      if (!r.ok) throw new Error(`journal entry ${e.id} does not replay: ${r.error.message}`);
    }
    for (const s of await S.openOrders(db, { accountId: account.id })) {
      if (!s.hold) continue;
      const r = portfolio.ledger.hold(s.order.id, account.id, s.hold.currency, s.hold.remaining);
      if (!r.ok) throw new Error(`hold of order ${s.order.id} does not replay: ${r.error.message}`);
    }
    this.books.set(account.id, { portfolio, userId: account.user_id, seq });
    return portfolio;
  }

  cached(accountId: string): Portfolio | undefined {
    return this.books.get(accountId)?.portfolio;
  }

  userOf(accountId: string): string | undefined {
    return this.books.get(accountId)?.userId;
  }

  /**
   * Records that this process wrote the journal up to `seq`. A gap means another process wrote
   * in between, so the copy is dropped and the next use replays.
   */
  wrote(accountId: string, from: number, to: number): void {
    const b = this.books.get(accountId);
    if (!b) return;
    if (b.seq === from) b.seq = to;
    // Rebuilt from the database after these writes committed: already current.
    else if (b.seq !== to) this.books.delete(accountId);
  }

  seqOf(accountId: string): number | undefined {
    return this.books.get(accountId)?.seq;
  }

  /** Forgets a copy that may hold changes a failed transaction never wrote. */
  forget(accountId: string): void {
    this.books.delete(accountId);
  }
}
