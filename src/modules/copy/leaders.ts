/**
 * Leader profiles: a trader publishes which of their accounts are copied and on what fee
 * terms, and pauses, resumes or stops copying. Followers accept the terms in force when they
 * follow; later changes apply to new follows only.
 */
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import { auditEvent } from '../identity/index.js';
import type { TradingService } from '../trading/index.js';
import { DAY_MS, leaderTransition, type LeaderCommand } from './domain/index.js';
import type { LeaderDirectory } from './directory.js';
import * as E from './errors.js';
import * as S from './store.js';
import { settlementsOf } from './store-fees.js';
import { settlementView } from './views.js';

/** A leader profile as sent: everything unchecked until `parseLeaderInput`. */
export interface LeaderInput {
  displayName?: unknown;
  description?: unknown;
  accountId?: unknown;
  accountIds?: unknown;
  payoutAccountId?: unknown;
  performanceFeePct?: unknown;
  subscription?: unknown;
}

const MAX_FEE_PCT = Decimal.fromInt(50);
const MAX_AMOUNT = Decimal.fromInt(1_000_000_000_000);
const MAX_ACCOUNTS = 10;

interface ParsedLeader {
  displayName?: string;
  description?: string | null;
  accountIds?: string[];
  payoutAccountId?: string;
  performanceFeePct?: Decimal;
  subscription?: { amount: Decimal; periodMs: number } | null;
}

/** Checks every field given; `creating` makes the display name required. */
export function parseLeaderInput(
  input: LeaderInput,
  creating: boolean,
): { ok: true; value: ParsedLeader } | { ok: false; errors: E.FieldProblem[] } {
  const errors: E.FieldProblem[] = [];
  const out: ParsedLeader = {};
  const fail = (field: string, code: string, message: string) =>
    errors.push({ field, code, message });
  if (input.displayName !== undefined || creating) {
    const name = typeof input.displayName === 'string' ? input.displayName.trim() : '';
    if (name.length < 1 || name.length > 64) {
      fail('displayName', 'invalid_display_name', 'must be 1 to 64 characters');
    } else out.displayName = name;
  }
  if (input.description !== undefined) {
    if (input.description === null) out.description = null;
    else if (typeof input.description !== 'string' || input.description.length > 2000) {
      fail('description', 'invalid_description', 'must be text of at most 2000 characters');
    } else out.description = input.description;
  }
  if (input.accountId !== undefined && input.accountIds !== undefined) {
    fail('accountIds', 'conflicting_fields', 'give accountIds or accountId, not both');
  } else if (input.accountId !== undefined || input.accountIds !== undefined) {
    const field = input.accountIds !== undefined ? 'accountIds' : 'accountId';
    const list = input.accountIds !== undefined ? input.accountIds : [input.accountId];
    if (!Array.isArray(list) || list.length < 1 || list.length > MAX_ACCOUNTS) {
      fail(field, 'invalid_accounts', `must list 1 to ${MAX_ACCOUNTS} account ids`);
    } else {
      const ids: string[] = [];
      list.forEach((v, i) => {
        if (typeof v === 'string' && isUuid(v)) ids.push(v.toLowerCase());
        else fail(field === 'accountId' ? field : `${field}/${i}`, 'invalid_id', 'is not an id');
      });
      out.accountIds = [...new Set(ids)];
    }
  }
  if (input.payoutAccountId !== undefined) {
    const v = input.payoutAccountId;
    if (typeof v === 'string' && isUuid(v)) out.payoutAccountId = v.toLowerCase();
    else fail('payoutAccountId', 'invalid_id', 'is not an id');
  }
  if (input.performanceFeePct !== undefined) {
    const v = input.performanceFeePct;
    const d = typeof v === 'string' ? Decimal.tryParse(v) : undefined;
    if (d === undefined) {
      fail('performanceFeePct', 'not_a_number', 'must be a decimal string in percent, e.g. "20"');
    } else if (d.isNegative() || d.gt(MAX_FEE_PCT)) {
      fail(
        'performanceFeePct',
        'percent_out_of_range',
        `must be between 0 and ${MAX_FEE_PCT}, in percent ("20" means 20 %); got ${d}`,
      );
    } else out.performanceFeePct = d;
  }
  if (input.subscription !== undefined)
    out.subscription = parseSubscription(input.subscription, fail);
  return errors.length ? { ok: false, errors } : { ok: true, value: out };
}

function parseSubscription(
  v: unknown,
  fail: (field: string, code: string, message: string) => void,
): { amount: Decimal; periodMs: number } | null | undefined {
  if (v === null) return null;
  const s = v as { amount?: unknown; periodDays?: unknown };
  const amount = typeof s?.amount === 'string' ? Decimal.tryParse(s.amount) : undefined;
  const days = s?.periodDays;
  let ok = true;
  if (!amount || !amount.isPositive() || amount.gt(MAX_AMOUNT)) {
    fail(
      'subscription/amount',
      'not_positive',
      `must be a decimal string above 0, at most ${MAX_AMOUNT}`,
    );
    ok = false;
  }
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 366) {
    fail('subscription/periodDays', 'out_of_range', 'must be a whole number of days from 1 to 366');
    ok = false;
  }
  return ok ? { amount: amount!, periodMs: (days as number) * DAY_MS } : undefined;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** What anyone may read of a profile; its owner also sees where fees are paid. */
export function leaderView(
  r: S.LeaderRecord,
  stats?: { followers: number; amount: Decimal },
  owner = false,
) {
  const terms = S.feeTermsOf(r);
  return {
    id: r.id,
    displayName: r.display_name,
    description: r.description,
    status: r.status,
    accountIds: r.account_ids,
    ...(owner ? { payoutAccountId: r.payout_account_id } : {}),
    fees: {
      performanceFeePct: terms.performanceFeePct.toString(),
      subscription: terms.subscription
        ? {
            amount: terms.subscription.amount.toString(),
            periodDays: terms.subscription.periodMs / DAY_MS,
          }
        : null,
    },
    followers: stats?.followers ?? 0,
    amountCopying: (stats?.amount ?? Decimal.ZERO).toString(),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}
export type LeaderView = ReturnType<typeof leaderView>;

export class LeaderService {
  constructor(
    private readonly deps: {
      database: Database;
      outbox: Outbox;
      trading: TradingService;
      clock: Clock;
      directory: LeaderDirectory;
    },
  ) {}

  private get db() {
    return this.deps.database.db;
  }

  /** Accounts the user owns, and checks that `ids` are among them and led by nobody else. */
  private async checkAccounts(
    userId: string,
    ids: string[],
    payout: string | undefined,
    leaderId: string | undefined,
  ): Promise<void> {
    const owned = new Set((await this.deps.trading.accounts(userId)).map((a) => a.id));
    const errors: E.FieldProblem[] = [];
    ids.forEach((id, i) => {
      if (!owned.has(id)) {
        errors.push({
          field: `accountIds/${i}`,
          code: 'account_not_owned',
          message: 'is not your account',
        });
      }
    });
    if (payout !== undefined && !owned.has(payout)) {
      errors.push({
        field: 'payoutAccountId',
        code: 'account_not_owned',
        message: 'is not your account',
      });
    }
    for (const id of await S.accountsLedElsewhere(this.db, ids, leaderId)) {
      errors.push({
        field: `accountIds/${ids.indexOf(id)}`,
        code: 'account_already_led',
        message: 'another of your profiles copies this account',
      });
    }
    if (errors.length) throw E.fieldsProblem(errors, 'invalid_leader');
  }

  async create(userId: string, input: LeaderInput): Promise<LeaderView> {
    const parsed = parseLeaderInput(input, true);
    if (!parsed.ok) throw E.fieldsProblem(parsed.errors, 'invalid_leader');
    const p = parsed.value;
    if (await S.liveLeaderOfUser(this.db, userId)) throw E.alreadyLeader();
    const accountIds = p.accountIds ?? [(await this.deps.trading.account(userId)).id];
    const payout = p.payoutAccountId ?? accountIds[0]!;
    await this.checkAccounts(userId, accountIds, payout, undefined);
    const now = this.deps.clock.date();
    const row: S.LeaderRow = {
      id: newId(),
      user_id: userId,
      status: 'active',
      display_name: p.displayName!,
      description: p.description ?? null,
      payout_account_id: payout,
      performance_fee_pct: (p.performanceFeePct ?? Decimal.ZERO).toString(),
      subscription_amount: p.subscription?.amount.toString() ?? null,
      subscription_period_ms: p.subscription ? String(p.subscription.periodMs) : null,
      created_at: now,
      updated_at: now,
    };
    await this.deps.outbox.transaction(async (tx, emit) => {
      if (await S.liveLeaderOfUser(tx, userId, true)) throw E.alreadyLeader();
      try {
        await S.insertLeader(tx, row, accountIds);
      } catch (err) {
        // Two requests at once: the unique index lets one profile through.
        if (/leaders_live_user|duplicate key/.test(String(err))) throw E.alreadyLeader();
        throw err;
      }
      await emit(
        auditEvent({ action: 'copy.leader_created', userId, details: { leaderId: row.id } }),
      );
    });
    await this.deps.directory.changed();
    return leaderView({ ...row, account_ids: accountIds }, undefined, true);
  }

  async mine(userId: string): Promise<LeaderView> {
    const r = await S.liveLeaderOfUser(this.db, userId);
    if (!r) throw E.notALeader();
    return leaderView(r, (await S.followerCounts(this.db)).get(r.id), true);
  }

  async update(userId: string, input: LeaderInput): Promise<LeaderView> {
    const parsed = parseLeaderInput(input, false);
    if (!parsed.ok) throw E.fieldsProblem(parsed.errors, 'invalid_leader');
    const p = parsed.value;
    const current = await S.liveLeaderOfUser(this.db, userId);
    if (!current) throw E.notALeader();
    if (p.accountIds || p.payoutAccountId) {
      await this.checkAccounts(userId, p.accountIds ?? [], p.payoutAccountId, current.id);
    }
    const now = this.deps.clock.date();
    await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await S.liveLeaderOfUser(tx, userId, true);
      if (!r || r.id !== current.id) throw E.notALeader();
      await S.updateLeader(tx, r.id, {
        ...(p.displayName !== undefined ? { display_name: p.displayName } : {}),
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.payoutAccountId ? { payout_account_id: p.payoutAccountId } : {}),
        ...(p.performanceFeePct ? { performance_fee_pct: p.performanceFeePct.toString() } : {}),
        ...(p.subscription !== undefined
          ? {
              subscription_amount: p.subscription?.amount.toString() ?? null,
              subscription_period_ms: p.subscription ? String(p.subscription.periodMs) : null,
            }
          : {}),
        updated_at: now,
      });
      if (p.accountIds) await S.setLeaderAccounts(tx, r.id, p.accountIds);
      await emit(
        auditEvent({ action: 'copy.leader_updated', userId, details: { leaderId: r.id } }),
      );
    });
    if (p.accountIds) await this.deps.directory.changed();
    return this.mine(userId);
  }

  async transition(userId: string, command: LeaderCommand): Promise<LeaderView> {
    const current = await S.liveLeaderOfUser(this.db, userId);
    if (!current) throw E.notALeader();
    const now = this.deps.clock.date();
    await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await S.liveLeaderOfUser(tx, userId, true);
      if (!r) throw E.notALeader();
      const t = leaderTransition(r.status, command);
      if (!t.ok) throw E.invalidTransition(t.message);
      await S.updateLeader(tx, r.id, { status: t.status, updated_at: now });
      await emit(
        auditEvent({ action: `copy.leader_${command}`, userId, details: { leaderId: r.id } }),
      );
    });
    await this.deps.directory.changed();
    const r = (await S.findLeader(this.db, current.id))!;
    return leaderView(r, (await S.followerCounts(this.db)).get(r.id), true);
  }

  /** Fees the user's profile was paid, newest first. */
  async fees(userId: string, limit: number) {
    const r = await S.liveLeaderOfUser(this.db, userId);
    if (!r) throw E.notALeader();
    return (await settlementsOf(this.db, { leaderId: r.id, limit })).map(settlementView);
  }

  async get(id: string): Promise<LeaderView> {
    const r = isUuid(id) ? await S.findLeader(this.db, id.toLowerCase()) : undefined;
    if (!r) throw E.leaderNotFound();
    return leaderView(r, (await S.followerCounts(this.db)).get(r.id));
  }

  /** Profiles taking followers (active) or paused, in creation order. */
  async list(q: { limit: number; after?: string }): Promise<LeaderView[]> {
    const rows = await S.listLeaders(this.db, {
      statuses: ['active', 'paused'],
      limit: q.limit,
      ...(q.after && isUuid(q.after) ? { afterId: q.after.toLowerCase() } : {}),
    });
    const counts = await S.followerCounts(this.db);
    return rows.map((r) => leaderView(r, counts.get(r.id)));
  }
}
