/**
 * Many funded paper traders and their follows, written set-at-a-time: the same rows sign-up
 * and `provisionPaperAccount` write (a user, a default paper account, a `paper-funding`
 * deposit journaled against `equity:deposits`), without hashing a password per user. For
 * suites and benchmarks that need thousands of followers.
 */
import { randomBytes } from 'node:crypto';
import { Decimal } from '../../src/core/decimal.js';
import { newId } from '../../src/core/ids.js';
import type { FollowSettings } from '../../src/modules/copy/domain/index.js';
import { insertFollows, settingsColumns, type NewFollowRow } from '../../src/modules/copy/store.js';
import { jsonInsert, type Executor } from '../../src/platform/db/index.js';

export interface Funded {
  userId: string;
  accountId: string;
}

const CHUNK = 2000;

export async function insertFundedUsers(
  db: Executor,
  n: number,
  opts: { amount?: string; role?: 'trader' | 'follower'; now?: Date } = {},
): Promise<Funded[]> {
  const amount = Decimal.parse(opts.amount ?? '10000').toString();
  const now = (opts.now ?? new Date()).toISOString();
  const tag = randomBytes(4).toString('hex');
  const out: Funded[] = Array.from({ length: n }, () => ({ userId: newId(), accountId: newId() }));
  for (let i = 0; i < n; i += CHUNK) {
    const part = out.slice(i, i + CHUNK);
    await jsonInsert(
      'users',
      ['id', 'email', 'display_name', 'password_hash', 'role'],
      part.map((u, j) => ({
        id: u.userId,
        email: `bulk-${tag}-${i + j}@obscura.local`,
        display_name: `bulk ${i + j}`,
        password_hash: 'x',
        role: opts.role ?? 'follower',
      })),
    ).execute(db);
    await jsonInsert(
      'trading_accounts',
      ['id', 'user_id', 'venue', 'name', 'is_default', 'journal_seq', 'created_at'],
      part.map((u) => ({
        id: u.accountId,
        user_id: u.userId,
        venue: 'paper',
        name: 'Paper',
        is_default: true,
        journal_seq: 1,
        created_at: now,
      })),
    ).execute(db);
    await jsonInsert(
      'ledger_entries',
      ['id', 'account_id', 'kind', 'reference', 'currency', 'amount', 'postings', 'ts'],
      part.map((u) => ({
        id: `paper-funding:${u.accountId}`,
        account_id: u.accountId,
        kind: 'deposit',
        reference: 'paper-funding',
        currency: 'USDT',
        amount,
        postings: [
          { ledgerAccount: `acct:${u.accountId}:USDT`, currency: 'USDT', amount },
          { ledgerAccount: 'equity:deposits:USDT', currency: 'USDT', amount: `-${amount}` },
        ],
        ts: now,
      })),
    ).execute(db);
  }
  return out;
}

/** One active follow of `leaderId` per follower, with the given settings and no fees. */
export async function insertBulkFollows(
  db: Executor,
  leaderId: string,
  followers: readonly Funded[],
  settings: FollowSettings,
  now = new Date(),
): Promise<string[]> {
  const rows: NewFollowRow[] = followers.map((f) => ({
    id: newId(),
    leader_id: leaderId,
    follower_user_id: f.userId,
    account_id: f.accountId,
    venue: 'paper',
    currency: 'USDT',
    status: 'active',
    ...settingsColumns(settings),
    performance_fee_pct: '0',
    subscription_amount: null,
    subscription_period_ms: null,
    fee_subscription_paid_through: now,
    started_at: now,
    updated_at: now,
  }));
  await insertFollows(db, rows);
  return rows.map((r) => r.id);
}
