import { sql, type Kysely } from 'kysely';
import type { Executor } from '../../platform/db/index.js';

/** Table `credentials` (migrations/0003_vault.sql). */
export interface CredentialRow {
  id: string;
  user_id: string;
  exchange: string;
  label: string;
  key_last4: string;
  master_kid: string;
  wrapped_key: string;
  sealed: string;
  created_at: Date;
  updated_at: Date;
}

interface VaultTables {
  credentials: CredentialRow;
}

const q = (ex: Executor) => ex as unknown as Kysely<VaultTables>;

export type CredentialListing = Pick<
  CredentialRow,
  'id' | 'exchange' | 'label' | 'key_last4' | 'created_at'
>;
export type SealedRow = Pick<
  CredentialRow,
  'id' | 'user_id' | 'exchange' | 'master_kid' | 'wrapped_key' | 'sealed'
>;

const UNIQUE_VIOLATION = '23505';
export const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === UNIQUE_VIOLATION;

export async function insertCredential(ex: Executor, row: CredentialRow): Promise<void> {
  await q(ex).insertInto('credentials').values(row).execute();
}

export async function listByUser(ex: Executor, userId: string): Promise<CredentialListing[]> {
  return q(ex)
    .selectFrom('credentials')
    .select(['id', 'exchange', 'label', 'key_last4', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function findSealed(
  ex: Executor,
  id: string,
  userId: string,
): Promise<SealedRow | undefined> {
  return q(ex)
    .selectFrom('credentials')
    .select(['id', 'user_id', 'exchange', 'master_kid', 'wrapped_key', 'sealed'])
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Many records by id in one query; the caller checks ownership per record. */
export async function findSealedMany(ex: Executor, ids: readonly string[]): Promise<SealedRow[]> {
  if (!ids.length) return [];
  return q(ex)
    .selectFrom('credentials')
    .select(['id', 'user_id', 'exchange', 'master_kid', 'wrapped_key', 'sealed'])
    .where('id', 'in', ids)
    .execute();
}

export async function deleteForUser(
  ex: Executor,
  id: string,
  userId: string,
): Promise<Pick<CredentialRow, 'exchange' | 'label'> | undefined> {
  return q(ex)
    .deleteFrom('credentials')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .returning(['exchange', 'label'])
    .executeTakeFirst();
}

export async function countByKid(ex: Executor): Promise<Array<{ kid: string; count: number }>> {
  const rows = await q(ex)
    .selectFrom('credentials')
    .select(['master_kid', sql<string>`count(*)`.as('n')])
    .groupBy('master_kid')
    .execute();
  return rows.map((r) => ({ kid: r.master_kid, count: Number(r.n) }));
}

export async function newestWithKid(ex: Executor, kid: string): Promise<SealedRow | undefined> {
  return q(ex)
    .selectFrom('credentials')
    .select(['id', 'user_id', 'exchange', 'master_kid', 'wrapped_key', 'sealed'])
    .where('master_kid', '=', kid)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A page of records not yet under `kid`, in id order after `afterId` (keyset pagination). */
export async function pageNotUnderKid(
  ex: Executor,
  kid: string,
  afterId: string | undefined,
  limit: number,
): Promise<Array<Pick<CredentialRow, 'id' | 'master_kid' | 'wrapped_key'>>> {
  let query = q(ex)
    .selectFrom('credentials')
    .select(['id', 'master_kid', 'wrapped_key'])
    .where('master_kid', '<>', kid);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(limit).execute();
}

export async function countNotUnderKid(ex: Executor, kid: string): Promise<number> {
  const row = await q(ex)
    .selectFrom('credentials')
    .select(sql<string>`count(*)`.as('n'))
    .where('master_kid', '<>', kid)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Swaps a record's wrapped data key only if the record still holds the one that was read, so a
 * concurrent delete or rewrite wins and the rotation simply skips that record.
 */
export async function swapWrappedKey(
  ex: Executor,
  a: {
    id: string;
    fromKid: string;
    fromWrapped: string;
    toKid: string;
    toWrapped: string;
    at: Date;
  },
): Promise<boolean> {
  const res = await q(ex)
    .updateTable('credentials')
    .set({ master_kid: a.toKid, wrapped_key: a.toWrapped, updated_at: a.at })
    .where('id', '=', a.id)
    .where('master_kid', '=', a.fromKid)
    .where('wrapped_key', '=', a.fromWrapped)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
