/**
 * How a live account's ledger follows the exchange it mirrors. The exchange is the truth for
 * what the account holds: the ledger is opened with its balances, and any later difference
 * (a deposit or withdrawal made on the exchange, a trade placed outside Obscura, a fee the
 * ledger did not know) is recorded as an `exchange_sync` transaction against the equity
 * accounts, so it counts as money paid in or out rather than as profit.
 */
import { Decimal } from '../../core/decimal.js';
import { depositsAccount, userAccount, withdrawalsAccount } from './domain/ledger-accounts.js';
import { fillPostings, type Posting, type SpotPair } from './domain/ledger-journal.js';
import type { Portfolio, SpotInstrument } from './domain/portfolio.js';
import type { Fill } from './domain/types.js';

export interface BalanceChange {
  currency: string;
  /** What the ledger held. */
  from: Decimal;
  /** What the exchange holds. */
  to: Decimal;
}

/** A currency a ledger account can be named after (exchanges' asset codes nearly always are). */
export const isLedgerCurrency = (c: string): boolean =>
  c.length > 0 && c.length <= 32 && !c.includes(':');

/** Every currency whose exchange total differs from the ledger's, sorted by currency. */
export function balanceChanges(
  exchange: ReadonlyMap<string, Decimal>,
  ledger: ReadonlyMap<string, Decimal>,
): BalanceChange[] {
  const out: BalanceChange[] = [];
  for (const currency of new Set([...exchange.keys(), ...ledger.keys()])) {
    if (!isLedgerCurrency(currency)) continue;
    const from = ledger.get(currency) ?? Decimal.ZERO;
    const to = exchange.get(currency) ?? Decimal.ZERO;
    if (!from.eq(to)) out.push({ currency, from, to });
  }
  return out.sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/**
 * The postings that move the account's balances by each change: an increase comes from
 * `equity:deposits`, a decrease goes to `equity:withdrawals`, as a deposit or withdrawal would.
 */
export function syncPostings(
  accountId: string,
  changes: ReadonlyArray<{ currency: string; delta: Decimal }>,
): Posting[] {
  const out: Posting[] = [];
  for (const { currency, delta } of changes) {
    if (delta.isZero()) continue;
    const outside = delta.isPositive() ? depositsAccount(currency) : withdrawalsAccount(currency);
    out.push(
      { ledgerAccount: userAccount(accountId, currency), currency, amount: delta },
      { ledgerAccount: outside, currency, amount: delta.neg() },
    );
  }
  return out;
}

/**
 * What a fill takes from the account beyond what the ledger has for it, by currency. The
 * exchange executed the fill, so the funds were there: a shortfall means the ledger is behind
 * the exchange (a deposit not synced yet), and is made up by a sync before the fill is applied.
 * `hold` is the order's reservation, which its own fills may draw on.
 */
export function fillShortfall(
  portfolio: Portfolio,
  fill: Fill,
  pair: SpotPair,
  hold: { currency: string; amount: Decimal } | undefined,
): Array<{ currency: string; delta: Decimal }> {
  const net = new Map<string, Decimal>();
  for (const p of fillPostings(fill, pair)) {
    if (p.ledgerAccount !== userAccount(fill.accountId, p.currency)) continue;
    net.set(p.currency, (net.get(p.currency) ?? Decimal.ZERO).add(p.amount));
  }
  const out: Array<{ currency: string; delta: Decimal }> = [];
  for (const [currency, change] of net) {
    if (!change.isNegative()) continue;
    let have = portfolio.ledger.balance(fill.accountId, currency).available;
    if (hold?.currency === currency) have = have.add(hold.amount);
    const short = change.neg().sub(have);
    if (short.isPositive()) out.push({ currency, delta: short });
  }
  return out;
}

/** A spot instrument from its unified symbol (`BTC/USDT`); undefined for anything else. */
export function spotInstrumentOf(venue: string, symbol: string): SpotInstrument | undefined {
  const m = /^([^/:]+)\/([^/:]+)$/.exec(symbol);
  return m ? { venue, symbol, base: m[1]!, quote: m[2]! } : undefined;
}

/**
 * Instruments traded by the journal's fills that `known` does not list: a live venue's
 * markets are not in the catalogue, and a process replaying an account's journal may never
 * have connected to that venue.
 */
export function fillInstruments(
  journal: Iterable<{ fill?: Fill | undefined }>,
  known: readonly SpotInstrument[],
): SpotInstrument[] {
  const seen = new Set(known.map((i) => `${i.venue}|${i.symbol}`));
  const out: SpotInstrument[] = [];
  for (const { fill } of journal) {
    if (!fill) continue;
    const key = `${fill.venue}|${fill.symbol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const i = spotInstrumentOf(fill.venue, fill.symbol);
    if (i) out.push(i);
  }
  return out;
}
