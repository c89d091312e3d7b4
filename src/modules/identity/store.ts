import { sql, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Executor } from '../../platform/db/index.js';
import type { Role, Scope } from './model.js';

interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  password_hash: string;
  role: Role;
  disabled_at: Date | null;
  login_count: Generated<string>;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
interface SessionsTable {
  id: string;
  user_id: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}
interface RefreshTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  created_at: Date;
  spent_at: Date | null;
  revoked_at: Date | null;
}
interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: Scope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}
interface AuditTable {
  id: string;
  user_id: string | null;
  actor_id: string | null;
  action: string;
  ip: string | null;
  details: unknown;
  created_at: Date;
}
export interface IdentityDB {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTable;
  api_keys: ApiKeysTable;
  audit_log: AuditTable;
}
export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = ApiKeysTable;
export type AuditRow = AuditTable;

type Ex = Kysely<IdentityDB> | Transaction<IdentityDB>;
const q = (ex: Executor) => ex as unknown as Ex;

export const findUserByEmail = (ex: Executor, email: string) =>
  q(ex).selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

export const findUserById = (ex: Executor, id: string) =>
  q(ex).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export async function insertUser(
  ex: Executor,
  u: {
    id: string;
    email: string;
    displayName: string;
    passwordHash: string;
    role: Role;
    now: Date;
  },
): Promise<boolean> {
  const r = await q(ex)
    .insertInto('users')
    .values({
      id: u.id,
      email: u.email,
      display_name: u.displayName,
      password_hash: u.passwordHash,
      role: u.role,
      created_at: u.now,
      updated_at: u.now,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export const updateUser = (
  ex: Executor,
  id: string,
  patch: Partial<Pick<UsersTable, 'role' | 'disabled_at' | 'password_hash'>>,
  now: Date,
) =>
  q(ex)
    .updateTable('users')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();

export async function listUsers(
  ex: Executor,
  o: {
    limit: number;
    after?: string | undefined;
    email?: string | undefined;
    role?: Role | undefined;
  },
) {
  let query = q(ex).selectFrom('users').selectAll().orderBy('id').limit(o.limit);
  if (o.after) query = query.where('id', '>', o.after);
  if (o.email)
    query = query.where('email', 'like', `%${o.email.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
  if (o.role) query = query.where('role', '=', o.role);
  return query.execute();
}

export const countAdmins = async (ex: Executor) =>
  Number(
    (
      await q(ex)
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const recordLogin = (ex: Executor, userId: string, at: Date) =>
  q(ex)
    .updateTable('users')
    .set({
      login_count: sql`login_count + 1`,
      last_login_at: sql`greatest(last_login_at, ${at})`,
    })
    .where('id', '=', userId)
    .execute();

export const insertSession = (ex: Executor, s: { id: string; userId: string; now: Date }) =>
  q(ex).insertInto('sessions').values({ id: s.id, user_id: s.userId, created_at: s.now }).execute();

export const revokeSession = (ex: Executor, id: string, reason: string, now: Date) =>
  q(ex)
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();

export const revokeUserSessions = (ex: Executor, userId: string, reason: string, now: Date) =>
  q(ex)
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();

/** One read answers "may this access token still act": its session and its user. */
export const sessionStatus = (ex: Executor, sessionId: string) =>
  q(ex)
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.user_id', 's.revoked_at', 'u.role', 'u.disabled_at'])
    .where('s.id', '=', sessionId)
    .executeTakeFirst();

export const insertRefreshToken = (
  ex: Executor,
  t: { id: string; userId: string; familyId: string; hash: string; expiresAt: Date; now: Date },
) =>
  q(ex)
    .insertInto('refresh_tokens')
    .values({
      id: t.id,
      user_id: t.userId,
      family_id: t.familyId,
      token_hash: t.hash,
      expires_at: t.expiresAt,
      created_at: t.now,
    })
    .execute();

export const findRefreshToken = (ex: Executor, hash: string) =>
  q(ex)
    .selectFrom('refresh_tokens as r')
    .innerJoin('sessions as s', 's.id', 'r.family_id')
    .select(['r.id', 'r.user_id', 'r.family_id', 'r.expires_at', 'r.spent_at', 's.revoked_at'])
    .where('r.token_hash', '=', hash)
    .executeTakeFirst();

/** Spends a token only if nobody spent it first; false means it was reused. */
export async function spendRefreshToken(ex: Executor, id: string, now: Date): Promise<boolean> {
  const r = await q(ex)
    .updateTable('refresh_tokens')
    .set({ spent_at: now })
    .where('id', '=', id)
    .where('spent_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export const insertApiKey = (
  ex: Executor,
  k: {
    id: string;
    userId: string;
    name: string;
    prefix: string;
    hash: string;
    scopes: Scope[];
    expiresAt: Date | null;
    now: Date;
  },
) =>
  q(ex)
    .insertInto('api_keys')
    .values({
      id: k.id,
      user_id: k.userId,
      name: k.name,
      prefix: k.prefix,
      key_hash: k.hash,
      scopes: sql`${sql.val(k.scopes)}::text[]` as unknown as Scope[],
      expires_at: k.expiresAt,
      created_at: k.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

export const listApiKeys = (ex: Executor, userId: string) =>
  q(ex)
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .execute();

export const revokeApiKey = (ex: Executor, userId: string, id: string, now: Date) =>
  q(ex)
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

export const findApiKey = (ex: Executor, userId: string, id: string) =>
  q(ex)
    .selectFrom('api_keys')
    .select(['id', 'prefix'])
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();

export const apiKeyByPrefix = (ex: Executor, prefix: string) =>
  q(ex)
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .select([
      'k.id',
      'k.user_id',
      'k.key_hash',
      'k.scopes',
      'k.expires_at',
      'k.revoked_at',
      'k.last_used_at',
      'u.role',
      'u.disabled_at',
    ])
    .where('k.prefix', '=', prefix)
    .executeTakeFirst();

export const touchApiKey = (ex: Executor, id: string, at: Date) =>
  q(ex).updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();

export const insertAudit = (ex: Executor, a: AuditTable) =>
  q(ex)
    .insertInto('audit_log')
    .values({ ...a, details: JSON.stringify(a.details ?? {}) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();

export async function listAudit(
  ex: Executor,
  o: {
    userId?: string | undefined;
    action?: string | undefined;
    limit: number;
    before?: string | undefined;
  },
) {
  let query = q(ex).selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(o.limit);
  if (o.userId) query = query.where('user_id', '=', o.userId);
  if (o.action) query = query.where('action', '=', o.action);
  if (o.before) query = query.where('id', '<', o.before);
  return query.execute();
}
