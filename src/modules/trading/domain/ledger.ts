/**
 * Double-entry ledger. Every transaction is a set of postings that sums to zero in each
 * currency, so money is only ever moved, never made: the sum of all ledger accounts in any
 * currency stays exactly zero. User balances (`acct:`) can never go below zero; a transaction
 * that would do so is refused as a value, with nothing changed.
 *
 * Balances live in arrays indexed by an interned ledger-account number, as bigint units,
 * because the backtester applies millions of fills through here: the fill path does a few
 * integer additions and no string building or `Decimal` allocation.
 *
 * Pure and synchronous: timestamps come in with each transaction; nothing reads a clock.
 */
import { Decimal } from '../../../core/decimal.js';
import {
  feesAccount,
  isUserAccount,
  parseLedgerAccount,
  userAccount,
  venueAccount,
} from './ledger-accounts.js';
import {
  JournalEntry,
  type Posting,
  type SpotPair,
  type TransactionInput,
} from './ledger-journal.js';
import { APPLIED, NOOP, ledgerError, type Balance, type LedgerResult } from './ledger-results.js';
import { FillIdIndex } from './ledger-fill-ids.js';
import type { Fill } from './types.js';

/** Ledger-account numbers a spot fill moves, resolved once per (account, venue, pair). */
export interface SpotLegs extends SpotPair {
  readonly accountId: string;
  readonly venue: string;
  readonly userBase: number;
  readonly userQuote: number;
  readonly venueBase: number;
  readonly venueQuote: number;
  readonly feesQuote: number;
  readonly feesBase: number;
}

interface Hold {
  readonly index: number;
  remaining: bigint;
}

export class Ledger {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly currencyOf: string[] = [];
  private readonly total: bigint[] = [];
  private readonly held: bigint[] = [];
  /** Deposits minus withdrawals per user ledger account: returns must not count them as profit. */
  private readonly contributed: bigint[] = [];
  private readonly userIndices = new Map<string, number[]>();
  private readonly holds = new Map<string, Hold>();
  /** Every hold id ever placed, with its ledger account: placing is idempotent for good. */
  private readonly holdsPlaced = new Map<string, string>();
  /** Applied transactions in order; a fill is stored as itself (see `journal()`). */
  private readonly entries: Array<JournalEntry | Fill> = [];
  private readonly pairs = new Map<string, SpotPair>();
  /** Fills are keyed by fill id, other transactions by their own id: separate namespaces. */
  private readonly fillIds = new FillIdIndex(this.entries, (e) => !(e instanceof JournalEntry));
  private readonly otherIds = new Set<string>();

  // ── writes ────────────────────────────────────────────────────────────────────────────

  /** Posts a balanced transaction atomically: all postings apply, or none. */
  post(tx: TransactionInput): LedgerResult {
    if (this.otherIds.has(tx.id)) return NOOP;
    if (tx.id === '' || tx.postings.length === 0) {
      return ledgerError('invalid_transaction', 'a transaction needs an id and postings');
    }
    const sums = new Map<string, bigint>();
    const deltas = new Map<string, bigint>();
    for (const p of tx.postings) {
      const invalid = invalidPosting(p);
      if (invalid) return invalid;
      sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount.units);
      deltas.set(p.ledgerAccount, (deltas.get(p.ledgerAccount) ?? 0n) + p.amount.units);
    }
    for (const [currency, sum] of sums) {
      if (sum === 0n) continue;
      return ledgerError('unbalanced', `${currency} postings sum to ${Decimal.fromUnits(sum)}`);
    }
    for (const [name, delta] of deltas) {
      if (delta >= 0n || !isUserAccount(name)) continue;
      const i = this.index.get(name);
      const available = i === undefined ? 0n : this.total[i]! - this.held[i]!;
      if (available + delta < 0n) return this.insufficient(name, -delta, available);
    }
    // Accounts are interned only now, so a refused transaction leaves no trace at all.
    // Money arriving from or leaving to outside the ledger, which returns must not count as profit.
    const contribution =
      tx.kind === 'deposit' || tx.kind === 'withdrawal' || tx.kind === 'exchange_sync';
    for (const [name, delta] of deltas) {
      const i = this.intern(name);
      this.total[i] = this.total[i]! + delta;
      if (contribution && isUserAccount(name)) this.contributed[i] = this.contributed[i]! + delta;
    }
    this.otherIds.add(tx.id);
    const postings = Object.freeze(tx.postings.map((p) => Object.freeze({ ...p })));
    this.entries.push(
      new JournalEntry(tx.id, tx.ts, tx.kind, tx.reference ?? '', undefined, undefined, postings),
    );
    return APPLIED;
  }

  /**
   * Reserves funds for an open order (`holdId` is the order id, so the order's fills draw on
   * it). A hold id is placed at most once: repeating it — even after fills used it up or it
   * was released — is a no-op, so a redelivered command never reserves twice. The same id
   * on another ledger account is a conflict.
   */
  hold(holdId: string, accountId: string, currency: string, amount: Decimal): LedgerResult {
    if (!amount.isPositive()) return ledgerError('invalid_amount', 'a hold must be positive');
    const name = userAccount(accountId, currency);
    const placedOn = this.holdsPlaced.get(holdId);
    if (placedOn !== undefined) {
      if (placedOn === name) return NOOP;
      return ledgerError('hold_conflict', `hold ${holdId} is on ${placedOn}`, name);
    }
    const i = this.index.get(name);
    const available = i === undefined ? 0n : this.total[i]! - this.held[i]!;
    if (i === undefined || available < amount.units) {
      return this.insufficient(name, amount.units, available);
    }
    this.held[i] = this.held[i]! + amount.units;
    this.holds.set(holdId, { index: i, remaining: amount.units });
    this.holdsPlaced.set(holdId, name);
    return APPLIED;
  }

  /** Releases all of a hold, or `amount` of it. An unknown (or fully used) hold is a no-op. */
  release(holdId: string, amount?: Decimal): LedgerResult {
    const h = this.holds.get(holdId);
    if (!h) return NOOP;
    const units = amount === undefined ? h.remaining : amount.units;
    if (units <= 0n || units > h.remaining) {
      const held = Decimal.fromUnits(h.remaining);
      return ledgerError('invalid_amount', `release must be positive and within the ${held} held`);
    }
    this.held[h.index] = this.held[h.index]! - units;
    h.remaining -= units;
    if (h.remaining === 0n) this.holds.delete(holdId);
    return APPLIED;
  }

  /**
   * Resolves the ledger accounts of one (account, venue, pair). The portfolio caches the
   * result, so the fill path never builds a name.
   */
  spotLegs(
    accountId: string,
    venue: string,
    symbol: string,
    base: string,
    quote: string,
  ): SpotLegs {
    this.pairs.set(pairKey(venue, symbol), { base, quote });
    return {
      accountId,
      venue,
      base,
      quote,
      userBase: this.intern(userAccount(accountId, base)),
      userQuote: this.intern(userAccount(accountId, quote)),
      venueBase: this.intern(venueAccount(venue, base)),
      venueQuote: this.intern(venueAccount(venue, quote)),
      feesQuote: this.intern(feesAccount(venue, quote)),
      feesBase: this.intern(feesAccount(venue, base)),
    };
  }

  /**
   * Posts a spot fill with pre-computed unit amounts (`notional` = price × quantity, see
   * `mulUnits`). The fill id is the transaction id. Funds held under the fill's order id
   * count as available to it and are used up first. Each side is written out separately
   * because a negated bigint is one more allocation on the hottest path of a backtest.
   */
  postSpotFill(
    legs: SpotLegs,
    fill: Fill,
    qty: bigint,
    notional: bigint,
    fee: bigint,
  ): LedgerResult {
    if (this.fillIds.has(fill.id, fill.ts)) return NOOP;
    let quoteFee = 0n;
    let baseFee = 0n;
    let feeUser = -1;
    if (fee !== 0n) {
      if (fill.feeCurrency === legs.quote) quoteFee = fee;
      else if (fill.feeCurrency === legs.base) baseFee = fee;
      else {
        feeUser = this.intern(userAccount(fill.accountId, fill.feeCurrency));
        if (!this.covers(feeUser, fee, fill.orderId)) return this.shortOf(feeUser, fee);
      }
    }
    const T = this.total;
    const { userBase: ub, userQuote: uq } = legs;
    if (fill.side === 'buy') {
      const pay = quoteFee === 0n ? notional : notional + quoteFee;
      const got = baseFee === 0n ? qty : qty - baseFee;
      if (!this.covers(uq, pay, fill.orderId)) return this.shortOf(uq, pay);
      if (got < 0n && !this.covers(ub, -got, fill.orderId)) return this.shortOf(ub, -got);
      if (this.holds.size !== 0) this.consumeHold(fill.orderId, uq, pay);
      T[ub] = T[ub]! + got;
      T[legs.venueBase] = T[legs.venueBase]! - qty;
      T[uq] = T[uq]! - pay;
      T[legs.venueQuote] = T[legs.venueQuote]! + notional;
    } else {
      const give = baseFee === 0n ? qty : qty + baseFee;
      const got = quoteFee === 0n ? notional : notional - quoteFee;
      if (!this.covers(ub, give, fill.orderId)) return this.shortOf(ub, give);
      if (got < 0n && !this.covers(uq, -got, fill.orderId)) return this.shortOf(uq, -got);
      if (this.holds.size !== 0) this.consumeHold(fill.orderId, ub, give);
      T[ub] = T[ub]! - give;
      T[legs.venueBase] = T[legs.venueBase]! + qty;
      T[uq] = T[uq]! + got;
      T[legs.venueQuote] = T[legs.venueQuote]! - notional;
    }
    if (fee !== 0n) {
      const sys =
        feeUser >= 0
          ? this.intern(feesAccount(fill.venue, fill.feeCurrency))
          : quoteFee !== 0n
            ? legs.feesQuote
            : legs.feesBase;
      if (feeUser >= 0) T[feeUser] = T[feeUser]! - fee;
      T[sys] = T[sys]! + fee;
    }
    // The fill itself is the journal entry: wrapping it would allocate on every fill.
    this.entries.push(fill);
    this.fillIds.add(fill.id, fill.ts);
    return APPLIED;
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────

  /** Whether a transaction (or a fill, by fill id) with this id has been applied. */
  has(transactionId: string): boolean {
    return this.otherIds.has(transactionId) || this.fillIds.hasAny(transactionId);
  }

  /** Applied transactions in order (built on each call: it is for audit and replay). */
  journal(): JournalEntry[] {
    return this.entries.map((e) => {
      if (e instanceof JournalEntry) return e;
      const pair = this.pairs.get(pairKey(e.venue, e.symbol));
      return new JournalEntry(e.id, e.ts, 'fill', e.id, e, pair, undefined);
    });
  }

  balance(accountId: string, currency: string): Balance {
    const i = this.index.get(userAccount(accountId, currency));
    return i === undefined ? zeroBalance(currency) : this.view(i);
  }

  /** The account's non-zero balances (total or held), sorted by currency. */
  balances(accountId: string): Balance[] {
    const ids = this.userIndices.get(accountId) ?? [];
    return ids
      .filter((i) => this.total[i] !== 0n || this.held[i] !== 0n)
      .map((i) => this.view(i))
      .sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  }

  /** Calls `fn` with every currency the account holds and its total in units. */
  eachTotal(accountId: string, fn: (currency: string, units: bigint) => void): void {
    for (const i of this.userIndices.get(accountId) ?? []) fn(this.currencyOf[i]!, this.total[i]!);
  }

  /** Accounts (owners of `acct:` ledger accounts) in the order they were opened. */
  accountIds(): string[] {
    return [...this.userIndices.keys()];
  }

  /** Deposits minus withdrawals into the account in `currency`. */
  netContributions(accountId: string, currency: string): Decimal {
    const i = this.index.get(userAccount(accountId, currency));
    return Decimal.fromUnits(i === undefined ? 0n : this.contributed[i]!);
  }

  /** Balance of any ledger account by name (system accounts included). */
  ledgerBalance(name: string): Decimal {
    const i = this.index.get(name);
    return Decimal.fromUnits(i === undefined ? 0n : this.total[i]!);
  }

  /**
   * Ledger accounts with a non-zero balance, sorted by name. (A refused first fill opens its
   * accounts at zero; neither they nor the order they were opened in are visible here.)
   */
  ledgerAccounts(): Array<{ name: string; currency: string; balance: Decimal }> {
    const out: Array<{ name: string; currency: string; balance: Decimal }> = [];
    this.names.forEach((name, i) => {
      const units = this.total[i]!;
      if (units !== 0n)
        out.push({ name, currency: this.currencyOf[i]!, balance: Decimal.fromUnits(units) });
    });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Sum of all ledger accounts per currency; every value is zero in a sound ledger. */
  trialBalance(): Map<string, Decimal> {
    const sums = new Map<string, bigint>();
    this.names.forEach((_, i) =>
      sums.set(this.currencyOf[i]!, (sums.get(this.currencyOf[i]!) ?? 0n) + this.total[i]!),
    );
    return new Map([...sums].map(([c, u]) => [c, Decimal.fromUnits(u)]));
  }

  /** Remaining amount of a hold (zero when unknown or used up). */
  heldFor(holdId: string): Decimal {
    return Decimal.fromUnits(this.holds.get(holdId)?.remaining ?? 0n);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────

  private intern(name: string): number {
    const known = this.index.get(name);
    if (known !== undefined) return known;
    const parsed = parseLedgerAccount(name);
    if (!parsed) throw new RangeError(`"${name}" is not a ledger account`);
    const i = this.names.length;
    this.index.set(name, i);
    this.names.push(name);
    this.currencyOf.push(parsed.currency);
    this.total.push(0n);
    this.held.push(0n);
    this.contributed.push(0n);
    if (parsed.type === 'acct') {
      const list = this.userIndices.get(parsed.owner);
      if (list) list.push(i);
      else this.userIndices.set(parsed.owner, [i]);
    }
    return i;
  }

  /** Whether user ledger account `i` can pay `amount` from free funds plus the order's own hold. */
  private covers(i: number, amount: bigint, holdId: string): boolean {
    const held = this.held[i]!;
    const free = held === 0n ? this.total[i]! : this.total[i]! - held; // skip a bigint when nothing is held
    if (free >= amount) return true;
    const h = this.holds.get(holdId);
    return h !== undefined && h.index === i && free + h.remaining >= amount;
  }

  /** Draws a fill's debit on ledger account `i` from its order's hold, if the hold is there. */
  private consumeHold(holdId: string, i: number, debit: bigint): void {
    const h = this.holds.get(holdId);
    if (!h || h.index !== i) return;
    const used = debit < h.remaining ? debit : h.remaining;
    this.held[i] = this.held[i]! - used;
    h.remaining -= used;
    if (h.remaining === 0n) this.holds.delete(holdId);
  }

  private view(i: number): Balance {
    const total = this.total[i]!;
    const held = this.held[i]!;
    return {
      currency: this.currencyOf[i]!,
      total: Decimal.fromUnits(total),
      held: Decimal.fromUnits(held),
      available: Decimal.fromUnits(total - held),
    };
  }

  private shortOf(i: number, required: bigint): LedgerResult {
    return this.insufficient(this.names[i]!, required, this.total[i]! - this.held[i]!);
  }

  private insufficient(name: string, required: bigint, available: bigint): LedgerResult {
    return ledgerError(
      'insufficient_funds',
      `${name} needs ${Decimal.fromUnits(required)} but has ${Decimal.fromUnits(available)} available`,
      name,
    );
  }
}

const pairKey = (venue: string, symbol: string): string => `${symbol}@${venue}`;

function invalidPosting(p: Posting): LedgerResult | undefined {
  const parsed = parseLedgerAccount(p.ledgerAccount);
  const name = p.ledgerAccount;
  if (!parsed) return ledgerError('invalid_account', `"${name}" is not a ledger account`, name);
  if (parsed.currency !== p.currency) {
    return ledgerError(
      'currency_mismatch',
      `${name} holds ${parsed.currency}, not ${p.currency}`,
      name,
    );
  }
  if (p.amount.isZero()) return ledgerError('invalid_amount', 'a posting must not be zero', name);
  return undefined;
}

const zeroBalance = (currency: string): Balance => ({
  currency,
  total: Decimal.ZERO,
  held: Decimal.ZERO,
  available: Decimal.ZERO,
});
