import type { Executor } from '../../platform/db/index.js';
import {
  OPEN_STATUSES,
  toStored,
  type AccountRow,
  type OrderRow,
  type StoredOrder,
} from './store.js';
import { PAPER } from './venue.js';

/**
 * Persistence of live (exchange) accounts: thin, no rules, the transaction comes from the
 * caller. Orders, fills and ledger entries go through `store-batch.ts` like the paper venue's.
 */

export async function insertLiveAccount(
  tx: Executor,
  a: { id: string; userId: string; venue: string; name: string; credentialId: string; now: Date },
): Promise<AccountRow> {
  return (await tx
    .insertInto('trading_accounts')
    .values({
      id: a.id,
      user_id: a.userId,
      venue: a.venue,
      name: a.name,
      is_default: false,
      credential_id: a.credentialId,
      created_at: a.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as AccountRow;
}

export const accountOfCredential = async (
  db: Executor,
  credentialId: string,
): Promise<AccountRow | undefined> =>
  (await db
    .selectFrom('trading_accounts')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .executeTakeFirst()) as AccountRow | undefined;

/** Every live account that can still reach its exchange (its credential exists). */
export const linkedAccounts = async (db: Executor): Promise<AccountRow[]> =>
  (await db
    .selectFrom('trading_accounts')
    .selectAll()
    .where('venue', '<>', PAPER)
    .where('credential_id', 'is not', null)
    .orderBy('id')
    .execute()) as AccountRow[];

/** Of these accounts, those whose credential was deleted since they connected. */
export async function accountsWithoutCredential(db: Executor, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await db
    .selectFrom('trading_accounts')
    .select('id')
    .where('id', 'in', ids)
    .where('credential_id', 'is', null)
    .execute();
  return rows.map((r: { id: string }) => r.id);
}

/** Orders on live venues the exchange may still be working, with placements of unknown fate ('new'). */
const LIVE_OPEN = [...OPEN_STATUSES, 'new'];

/** Live accounts with an order that may still be working (read per account: they are few). */
export async function accountsWithLiveOrders(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('trading_accounts as a')
    .select('a.id')
    .where('a.venue', '<>', PAPER)
    // Without a credential nothing can be asked of the exchange (and the partial index applies).
    .where('a.credential_id', 'is not', null)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('orders as o')
          .select('o.id')
          .whereRef('o.account_id', '=', 'a.id')
          .where('o.status', 'in', LIVE_OPEN),
      ),
    )
    .orderBy('a.id')
    .execute();
  return rows.map((r: { id: string }) => r.id);
}

/** The account's orders that may still be working, each with the ids of its fills applied so far. */
export async function liveOpenOrders(
  db: Executor,
  accountId: string,
): Promise<Array<StoredOrder & { fillIds: string[] }>> {
  const rows = (await db
    .selectFrom('orders')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', 'in', LIVE_OPEN)
    .orderBy('id')
    .execute()) as OrderRow[];
  if (!rows.length) return [];
  const fills = await db
    .selectFrom('fills')
    .select(['id', 'order_id'])
    .where(
      'order_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const byOrder = new Map<string, string[]>();
  for (const f of fills as Array<{ id: string; order_id: string }>) {
    const list = byOrder.get(f.order_id) ?? [];
    list.push(f.id);
    byOrder.set(f.order_id, list);
  }
  return rows.map((r) => ({ ...toStored(r), fillIds: byOrder.get(r.id) ?? [] }));
}

export async function upsertConnections(
  tx: Executor,
  rows: ReadonlyArray<{ accountId: string; status: unknown; at: Date }>,
): Promise<void> {
  for (const r of rows) {
    const values = { status: JSON.stringify(r.status), updated_at: r.at };
    await tx
      .insertInto('live_connections')
      .values({ account_id: r.accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }
}

export async function connectionsOf(
  db: Executor,
  accountIds: readonly string[],
): Promise<Map<string, { status: unknown; updatedAt: Date }>> {
  const out = new Map<string, { status: unknown; updatedAt: Date }>();
  if (!accountIds.length) return out;
  const rows = await db
    .selectFrom('live_connections')
    .select(['account_id', 'status', 'updated_at'])
    .where('account_id', 'in', [...accountIds])
    .execute();
  for (const r of rows as Array<{ account_id: string; status: unknown; updated_at: Date }>) {
    const status = typeof r.status === 'string' ? JSON.parse(r.status) : r.status;
    out.set(r.account_id, { status, updatedAt: new Date(r.updated_at) });
  }
  return out;
}

/** True for a unique-index violation (a second link of one credential racing the first). */
export const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: unknown } | null)?.code === '23505' ||
  /duplicate key value violates unique constraint/.test(String((err as Error)?.message));
