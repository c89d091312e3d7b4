/**
 * Rows of signal_bindings and signal_binding_actions (migrations/0012_signal_bindings.sql).
 * Thin: every function takes the executor it runs on, so callers choose the transaction.
 * Accounts are read from trading_accounts for their owner and venue only.
 */
import { sql } from 'kysely';
import { jsonInsert, type Executor } from '../../../platform/db/index.js';
import type { Direction } from '../domain/types.js';
import type { RulesWire } from './rules.js';

export type StoredStatus = 'active' | 'paused' | 'deleted';

export interface BindingRow {
  id: string;
  user_id: string;
  source: string;
  account_id: string;
  status: StoredStatus;
  rules: RulesWire;
  created_at: string | Date;
  updated_at: string | Date;
}

/** A binding with the owner and venue of its account, as the order step needs it. */
export interface BoundRow extends BindingRow {
  account_user_id: string;
  account_venue: string;
}

export type ActionStatus = 'pending' | 'placed' | 'skipped' | 'failed';

export interface ActionRow {
  signal_event_id: string;
  binding_id: string;
  /** The signal's owner: the only user an order is ever placed for. */
  user_id: string;
  account_id: string;
  symbol: string;
  direction: Direction;
  entry: string | null;
  consensus_action: 'long' | 'short' | 'close' | 'hold';
  confidence: number;
  agreeing: number;
  suggested_size_pct: number | null;
  status: ActionStatus;
  reason: string | null;
  message: string | null;
  client_order_id: string | null;
  order_id: string | null;
  side: 'buy' | 'sell' | null;
  order_type: 'market' | 'limit' | null;
  quantity: string | null;
  limit_price: string | null;
  reference_price: string | null;
  notional: string | null;
  capped_by: string | null;
  order_status: string | null;
  decided_at: string | Date;
  created_at: string | Date;
  updated_at: string | Date;
}

/** The outcome columns the order step writes. */
export type ActionOutcome = Pick<
  ActionRow,
  | 'signal_event_id'
  | 'binding_id'
  | 'status'
  | 'reason'
  | 'message'
  | 'client_order_id'
  | 'order_id'
  | 'side'
  | 'order_type'
  | 'quantity'
  | 'limit_price'
  | 'reference_price'
  | 'notional'
  | 'capped_by'
  | 'order_status'
  | 'updated_at'
>;

const parseRules = (r: BindingRow): BindingRow =>
  typeof r.rules === 'string' ? { ...r, rules: JSON.parse(r.rules) as RulesWire } : r;

// ── bindings ────────────────────────────────────────────────────────────────────────────────

export async function accountById(
  db: Executor,
  id: string,
): Promise<{ id: string; user_id: string; venue: string } | undefined> {
  return (await db
    .selectFrom('trading_accounts')
    .select(['id', 'user_id', 'venue'])
    .where('id', '=', id)
    .executeTakeFirst()) as { id: string; user_id: string; venue: string } | undefined;
}

export async function countLive(db: Executor, userId: string): Promise<number> {
  const r = (await db
    .selectFrom('signal_bindings')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('status', '<>', 'deleted')
    .executeTakeFirstOrThrow()) as { n: string | number };
  return Number(r.n);
}

export async function liveBindingFor(
  db: Executor,
  userId: string,
  source: string,
  accountId: string,
): Promise<string | undefined> {
  const r = (await db
    .selectFrom('signal_bindings')
    .select('id')
    .where('user_id', '=', userId)
    .where('source', '=', source)
    .where('account_id', '=', accountId)
    .where('status', '<>', 'deleted')
    .executeTakeFirst()) as { id: string } | undefined;
  return r?.id;
}

export async function insertBinding(tx: Executor, row: BindingRow): Promise<void> {
  await tx
    .insertInto('signal_bindings')
    .values({ ...row, rules: JSON.stringify(row.rules) })
    .execute();
}

/** One of the user's bindings that is not deleted; `lock` holds it for the transaction. */
export async function bindingOfUser(
  db: Executor,
  userId: string,
  id: string,
  lock = false,
): Promise<BindingRow | undefined> {
  let q = db
    .selectFrom('signal_bindings')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('status', '<>', 'deleted');
  if (lock) q = q.forUpdate();
  const r = (await q.executeTakeFirst()) as BindingRow | undefined;
  return r && parseRules(r);
}

export async function bindingsOfUser(db: Executor, userId: string): Promise<BindingRow[]> {
  const rows = (await db
    .selectFrom('signal_bindings')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '<>', 'deleted')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()) as BindingRow[];
  return rows.map(parseRules);
}

export async function updateBinding(
  tx: Executor,
  id: string,
  change: { status?: StoredStatus; rules?: RulesWire; updated_at: Date },
): Promise<void> {
  await tx
    .updateTable('signal_bindings')
    .set({
      updated_at: change.updated_at,
      ...(change.status ? { status: change.status } : {}),
      ...(change.rules ? { rules: JSON.stringify(change.rules) } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Every (user, source) with an active binding: what the consumer accepts. */
export async function activeKeys(
  db: Executor,
): Promise<Array<{ user_id: string; source: string }>> {
  return (await db
    .selectFrom('signal_bindings')
    .select(['user_id', 'source'])
    .distinct()
    .where('status', '=', 'active')
    .execute()) as Array<{ user_id: string; source: string }>;
}

const bound = (db: Executor) =>
  db
    .selectFrom('signal_bindings as b')
    .innerJoin('trading_accounts as a', 'a.id', 'b.account_id')
    .selectAll('b')
    .select(['a.user_id as account_user_id', 'a.venue as account_venue']);

/** The active bindings of a user's source, with their accounts' owners. */
export async function activeBindingsFor(
  db: Executor,
  userId: string,
  source: string,
): Promise<BoundRow[]> {
  const rows = (await bound(db)
    .where('b.user_id', '=', userId)
    .where('b.source', '=', source)
    .where('b.status', '=', 'active')
    .orderBy('b.id')
    .execute()) as BoundRow[];
  return rows.map((r) => parseRules(r) as BoundRow);
}

export async function boundById(
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, BoundRow>> {
  if (!ids.length) return new Map();
  const rows = (await bound(db)
    .where('b.id', 'in', [...new Set(ids)])
    .execute()) as BoundRow[];
  return new Map(rows.map((r) => [r.id, parseRules(r) as BoundRow]));
}

// ── actions ─────────────────────────────────────────────────────────────────────────────────

const ACTION_COLUMNS: ReadonlyArray<keyof ActionRow> = [
  'signal_event_id',
  'binding_id',
  'user_id',
  'account_id',
  'symbol',
  'direction',
  'entry',
  'consensus_action',
  'confidence',
  'agreeing',
  'suggested_size_pct',
  'status',
  'reason',
  'message',
  'client_order_id',
  'order_id',
  'side',
  'order_type',
  'quantity',
  'limit_price',
  'reference_price',
  'notional',
  'capped_by',
  'order_status',
  'decided_at',
  'created_at',
  'updated_at',
];

/** Inserts the rows not recorded yet (one per signal and binding); returns those inserted. */
export async function insertActions(
  tx: Executor,
  rows: readonly ActionRow[],
): Promise<ActionRow[]> {
  if (!rows.length) return [];
  const r = await sql<{ signal_event_id: string; binding_id: string }>`${jsonInsert(
    'signal_binding_actions',
    ACTION_COLUMNS,
    rows as unknown as Array<Record<string, unknown>>,
  )} on conflict do nothing returning signal_event_id, binding_id`.execute(tx);
  const fresh = new Set(r.rows.map((x) => `${x.signal_event_id}|${x.binding_id}`));
  return rows.filter((x) => fresh.has(`${x.signal_event_id}|${x.binding_id}`));
}

const OUTCOME_COLUMNS: ReadonlyArray<keyof ActionOutcome> = [
  'signal_event_id',
  'binding_id',
  'status',
  'reason',
  'message',
  'client_order_id',
  'order_id',
  'side',
  'order_type',
  'quantity',
  'limit_price',
  'reference_price',
  'notional',
  'capped_by',
  'order_status',
  'updated_at',
];

/**
 * Writes outcomes onto rows that are still pending, in one statement: a row another process
 * finished first keeps its outcome. Returns how many rows changed.
 */
export async function finishActions(
  db: Executor,
  outcomes: readonly ActionOutcome[],
): Promise<number> {
  if (!outcomes.length) return 0;
  const set = OUTCOME_COLUMNS.filter((c) => c !== 'signal_event_id' && c !== 'binding_id').map(
    (c) => sql`${sql.ref(c)} = o.${sql.ref(c)}`,
  );
  const r = await sql`
    update signal_binding_actions a set ${sql.join(set)}, attempted_at = now()
    from json_populate_recordset(null::signal_binding_actions, ${JSON.stringify(outcomes)}::json) o
    where a.signal_event_id = o.signal_event_id and a.binding_id = o.binding_id
      and a.status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Takes pending rows no one has tried to finish for `idleMs` (their process died, or the venue
 * was unreachable): stamps them as attempted now, so a concurrent pass leaves them alone.
 */
export async function claimStalled(
  db: Executor,
  idleMs: number,
  limit: number,
): Promise<ActionRow[]> {
  const r = await sql<ActionRow>`
    update signal_binding_actions set attempted_at = now()
    where (signal_event_id, binding_id) in (
      select signal_event_id, binding_id from signal_binding_actions
      where status = 'pending'
        and attempted_at <= now() - ${idleMs}::bigint * interval '1 millisecond'
      order by attempted_at limit ${limit}
      for update skip locked)
    returning *`.execute(db);
  return r.rows;
}

/** An action with the current state of its order, if it placed one. */
export interface ActionWithOrder extends ActionRow {
  current_status: string | null;
  filled_quantity: string | null;
  average_price: string | null;
  fees: string | null;
}

/** A binding's actions, newest first; `before` is the signal event id of the page's last row. */
export async function actionsOf(
  db: Executor,
  bindingId: string,
  q: { limit: number; before?: string },
): Promise<ActionWithOrder[]> {
  const r = await sql<ActionWithOrder>`
    select a.*, o.status as current_status, o.filled_quantity::text as filled_quantity,
      o.average_price::text as average_price, o.fees::text as fees
    from signal_binding_actions a left join orders o on o.id = a.order_id
    where a.binding_id = ${bindingId}::uuid
      ${
        q.before
          ? sql`and (a.created_at, a.signal_event_id) < (select created_at, signal_event_id
              from signal_binding_actions where binding_id = ${bindingId}::uuid
              and signal_event_id = ${q.before}::uuid)`
          : sql``
      }
    order by a.created_at desc, a.signal_event_id desc
    limit ${q.limit}`.execute(db);
  return r.rows;
}
