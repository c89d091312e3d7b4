/**
 * Names of ledger accounts, built and parsed here only, so that a posting's counterparty is
 * never spelled by hand. A ledger account holds exactly one currency, named last:
 *
 * - `acct:<accountId>:<currency>`      a user's (or bot's, or assessment's) balance;
 * - `venue:<venue>:<currency>`         the other side of every trade on a venue;
 * - `fees:<collector>:<currency>`      fee income (a venue, or the platform);
 * - `equity:deposits:<currency>`       where deposits come from (paper funding included);
 * - `equity:withdrawals:<currency>`    where withdrawals go.
 *
 * Only `acct:` accounts belong to users and may never go below zero. The system accounts
 * absorb the other side, so their balances are usually negative: `venue:paper:BTC` at −2
 * means the venue has delivered two bitcoins more than it received.
 */
export type LedgerAccountType = 'acct' | 'venue' | 'fees' | 'equity';

export interface ParsedLedgerAccount {
  type: LedgerAccountType;
  /** Account id, venue, fee collector, or `deposits` / `withdrawals`. */
  owner: string;
  currency: string;
}

const TYPES: ReadonlySet<string> = new Set<LedgerAccountType>(['acct', 'venue', 'fees', 'equity']);
const EQUITY_OWNERS: ReadonlySet<string> = new Set(['deposits', 'withdrawals']);

function part(label: string, value: string): string {
  // A separator inside a part would make two different accounts print the same name.
  if (value === '' || value.includes(':')) {
    throw new RangeError(`${label} "${value}" must be non-empty and contain no ":"`);
  }
  return value;
}

export const userAccount = (accountId: string, currency: string): string =>
  `acct:${part('account id', accountId)}:${part('currency', currency)}`;

export const venueAccount = (venue: string, currency: string): string =>
  `venue:${part('venue', venue)}:${part('currency', currency)}`;

export const feesAccount = (collector: string, currency: string): string =>
  `fees:${part('fee collector', collector)}:${part('currency', currency)}`;

export const depositsAccount = (currency: string): string =>
  `equity:deposits:${part('currency', currency)}`;

export const withdrawalsAccount = (currency: string): string =>
  `equity:withdrawals:${part('currency', currency)}`;

/** Parses a ledger account name; undefined when it is not one this module builds. */
export function parseLedgerAccount(name: string): ParsedLedgerAccount | undefined {
  const bits = name.split(':');
  if (bits.length !== 3) return undefined;
  const [type, owner, currency] = bits as [string, string, string];
  if (!TYPES.has(type) || owner === '' || currency === '') return undefined;
  if (type === 'equity' && !EQUITY_OWNERS.has(owner)) return undefined;
  return { type: type as LedgerAccountType, owner, currency };
}

export const isUserAccount = (name: string): boolean => name.startsWith('acct:');
