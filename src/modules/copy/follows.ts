/**
 * Follows: a follower copies a leader from one of their accounts with settings the domain's
 * `validateFollowSettings` checks, pauses and resumes, changes settings, and unfollows (with
 * the copied positions closed if asked, and the fees settled one last time).
 */
import { Decimal } from '../../core/decimal.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import { auditEvent } from '../identity/index.js';
import {
  followTransition,
  validateFollowSettings,
  type FollowCommand,
  type RawFollowInput,
} from './domain/index.js';
import { closeCopiedPositions, type CloseDeps } from './closes.js';
import type { Pricing } from './context.js';
import * as E from './errors.js';
import type { Lanes } from './fanout.js';
import type { FeeSettler } from './fees.js';
import * as S from './store.js';
import { copyTradesOf, positionsOf } from './store-fanout.js';
import { settlementsOf } from './store-fees.js';
import {
  copyTradeView,
  followView,
  settingsView,
  settlementView,
  type FollowView,
} from './views.js';

/** Names the shared API shape uses for two of the domain's inputs. */
const MODE_ALIASES: Readonly<Record<string, string>> = { equity_proportional: 'proportional' };

/**
 * The domain's raw input from a request body: `amount` is taken for `amountPerTrade` and
 * `equity_proportional` for `proportional`; errors then name the field the caller sent.
 */
function rawInput(body: Record<string, unknown>): {
  raw: RawFollowInput;
  rename: Map<string, string>;
} {
  const raw = { ...body } as RawFollowInput & { amount?: unknown };
  const rename = new Map<string, string>();
  if (raw.amount !== undefined && raw.amountPerTrade === undefined) {
    raw.amountPerTrade = raw.amount;
    rename.set('amountPerTrade', 'amount');
  }
  delete raw.amount;
  if (typeof raw.mode === 'string' && MODE_ALIASES[raw.mode]) raw.mode = MODE_ALIASES[raw.mode];
  return { raw, rename };
}

export class FollowService {
  constructor(
    private readonly deps: CloseDeps & {
      outbox: Outbox;
      logger: Logger;
      lanes: Lanes;
      fees: FeeSettler;
      maxLeaders: number;
      pricing: () => Pricing;
    },
  ) {}

  private get db() {
    return this.deps.database.db;
  }

  /** Settings checked against the caller's accounts, the leader and the caller's other follows. */
  private validate(
    raw: RawFollowInput,
    rename: Map<string, string>,
    ctx: {
      userId: string;
      accounts: Awaited<ReturnType<CloseDeps['trading']['accounts']>>;
      leader: S.LeaderRecord | undefined;
      follows: S.FollowRow[];
      accountId: unknown;
      editingFollowId?: string;
    },
  ) {
    const account = ctx.accounts.find((a) => a.id === ctx.accountId);
    const v = validateFollowSettings(raw, {
      userId: ctx.userId,
      ownedAccountIds: ctx.accounts.map((a) => a.id),
      leader: ctx.leader && {
        id: ctx.leader.id,
        userId: ctx.leader.user_id,
        status: ctx.leader.status,
        accountIds: ctx.leader.account_ids,
      },
      follows: ctx.follows.map((f) => ({
        id: f.id,
        leaderId: f.leader_id,
        accountId: f.account_id,
        status: f.status,
      })),
      ...(ctx.editingFollowId ? { editingFollowId: ctx.editingFollowId } : {}),
      maxLeaders: this.deps.maxLeaders,
      ...(account ? { accountEquity: Decimal.parse(account.equity) } : {}),
    });
    if (!v.ok) {
      throw E.followProblem(v.errors.map((e) => ({ ...e, field: rename.get(e.field) ?? e.field })));
    }
    return v;
  }

  private async owned(userId: string, followId: string, lock = false, tx = this.db) {
    const r = isUuid(followId) ? await S.findFollow(tx, followId.toLowerCase(), lock) : undefined;
    if (!r || r.follower_user_id !== userId) throw E.followNotFound();
    return r;
  }

  private async view(row: S.FollowRow): Promise<FollowView> {
    const positions = (await positionsOf(this.db, [row.id])).get(row.id) ?? [];
    return followView(row, positions, this.deps.pricing());
  }

  async follow(userId: string, body: Record<string, unknown>): Promise<FollowView> {
    const { raw, rename } = rawInput(body);
    const accounts = await this.deps.trading.accounts(userId);
    if (raw.accountId === undefined) raw.accountId = accounts.find((a) => a.isDefault)?.id;
    const leaderId = typeof raw.leaderId === 'string' ? raw.leaderId.toLowerCase() : undefined;
    const leader = leaderId && isUuid(leaderId) ? await S.findLeader(this.db, leaderId) : undefined;
    if (typeof raw.accountId === 'string') raw.accountId = raw.accountId.toLowerCase();
    if (leaderId) raw.leaderId = leaderId;
    const follows = await S.followsOfUser(this.db, userId);
    const account = accounts.find((a) => a.id === raw.accountId);
    const v = this.validate(raw, rename, {
      userId,
      accounts,
      leader,
      follows,
      accountId: raw.accountId,
    });
    const now = this.deps.clock.date();
    const terms = S.feeTermsOf(leader!);
    const row: S.NewFollowRow = {
      id: newId(),
      leader_id: v.leaderId,
      follower_user_id: userId,
      account_id: v.accountId,
      venue: account!.venue,
      currency: account!.currency,
      status: 'active',
      ...S.settingsColumns(v.settings),
      performance_fee_pct: terms.performanceFeePct.toString(),
      subscription_amount: terms.subscription?.amount.toString() ?? null,
      subscription_period_ms: terms.subscription?.periodMs ?? null,
      fee_subscription_paid_through: now,
      started_at: now,
      updated_at: now,
    };
    await this.deps.outbox.transaction(async (tx, emit) => {
      try {
        await S.insertFollows(tx, [row]);
      } catch (err) {
        if (!/follows_live|duplicate key/.test(String(err))) throw err;
        throw E.followProblem([
          {
            field: 'leaderId',
            code: 'already_following',
            message: 'this account already follows this leader',
          },
        ]);
      }
      await emit(
        auditEvent({
          action: 'copy.follow_started',
          userId,
          details: { followId: row.id, leaderId: row.leader_id, accountId: row.account_id },
        }),
      );
    });
    return this.view((await S.findFollow(this.db, row.id))!);
  }

  /** Changes settings; the leader and the account stay, fields left out keep their value. */
  async update(
    userId: string,
    followId: string,
    body: Record<string, unknown>,
  ): Promise<FollowView> {
    const current = await this.owned(userId, followId);
    if (current.status === 'ended') throw E.invalidTransition('an ended follow cannot change');
    const kept: Record<string, unknown> = settingsView(current);
    // A new mode drops the old mode's own field (ratio, amountPerTrade, equityCapPct).
    if (body.mode !== undefined && body.mode !== kept.mode) {
      for (const k of ['ratio', 'amountPerTrade', 'equityCapPct']) delete kept[k];
    }
    if (body.amount !== undefined) delete kept.amountPerTrade;
    const { raw, rename } = rawInput({ ...kept, ...body });
    for (const k of ['leaderId', 'accountId'] as const) {
      if (
        body[k] !== undefined &&
        body[k] !== current[k === 'leaderId' ? 'leader_id' : 'account_id']
      ) {
        throw E.fieldsProblem(
          [{ field: k, code: 'immutable', message: 'cannot change; unfollow and follow again' }],
          'immutable',
        );
      }
    }
    raw.leaderId = current.leader_id;
    raw.accountId = current.account_id;
    const [accounts, leader, follows] = await Promise.all([
      this.deps.trading.accounts(userId),
      S.findLeader(this.db, current.leader_id),
      S.followsOfUser(this.db, userId),
    ]);
    const v = this.validate(raw, rename, {
      userId,
      accounts,
      leader,
      follows,
      accountId: current.account_id,
      editingFollowId: current.id,
    });
    const now = this.deps.clock.date();
    const row = await this.deps.outbox.transaction(async (tx, emit) => {
      const locked = await this.owned(userId, followId, true, tx);
      if (locked.status === 'ended') throw E.invalidTransition('an ended follow cannot change');
      const r = await S.updateFollow(tx, locked.id, {
        ...S.settingsColumns(v.settings),
        updated_at: now,
      });
      await emit(
        auditEvent({ action: 'copy.follow_updated', userId, details: { followId: r.id } }),
      );
      return r;
    });
    return this.view(row);
  }

  async transition(userId: string, followId: string, command: FollowCommand): Promise<FollowView> {
    const now = this.deps.clock.date();
    const row = await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await this.owned(userId, followId, true, tx);
      const t = followTransition(r.status, command);
      if (!t.ok) throw E.invalidTransition(t.message);
      const moved = await S.updateFollow(tx, r.id, { status: t.status, updated_at: now });
      await emit(
        auditEvent({ action: `copy.follow_${command}`, userId, details: { followId: r.id } }),
      );
      return moved;
    });
    return this.view(row);
  }

  /**
   * Ends the follow: nothing more is copied. With `closePositions` its copied positions are
   * sold (behind any fan-out of the leader in progress here), then the fees are settled a last
   * time, here when this process runs the venue, else by the process that does.
   */
  async unfollow(
    userId: string,
    followId: string,
    opts: { closePositions: boolean },
  ): Promise<FollowView> {
    const now = this.deps.clock.date();
    const row = await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await this.owned(userId, followId, true, tx);
      const t = followTransition(r.status, 'end');
      if (!t.ok) throw E.invalidTransition(t.message);
      const ended = await S.updateFollow(tx, r.id, {
        status: t.status,
        ended_at: now,
        close_on_end: opts.closePositions,
        updated_at: now,
      });
      await emit(
        auditEvent({
          action: 'copy.follow_ended',
          userId,
          details: { followId: r.id, closePositions: opts.closePositions },
        }),
      );
      return ended;
    });
    if (opts.closePositions) {
      await this.deps.lanes.run(row.leader_id, () =>
        closeCopiedPositions(this.deps, row, 'unfollow_close'),
      );
    }
    if (this.deps.trading.leadsVenue()) {
      const fresh = (await S.findFollow(this.db, row.id))!;
      await this.deps.fees
        .settle(fresh, true)
        .catch((err: unknown) =>
          this.deps.logger.warn(
            { at: 'copy#unfollow', err, follow: row.id },
            'final fee settlement failed; retried by the schedule',
          ),
        );
    }
    return this.view((await S.findFollow(this.db, row.id))!);
  }

  async mine(userId: string): Promise<FollowView[]> {
    const rows = await S.followsOfUser(this.db, userId);
    const positions = await positionsOf(
      this.db,
      rows.map((r) => r.id),
    );
    const pricing = this.deps.pricing();
    return rows.map((r) => followView(r, positions.get(r.id) ?? [], pricing));
  }

  async get(userId: string, followId: string): Promise<FollowView> {
    return this.view(await this.owned(userId, followId));
  }

  async trades(userId: string, followId: string, q: { limit: number; before?: string }) {
    const r = await this.owned(userId, followId);
    const rows = await copyTradesOf(this.db, r.id, {
      limit: q.limit,
      ...(q.before && isUuid(q.before) ? { before: q.before.toLowerCase() } : {}),
    });
    return rows.map(copyTradeView);
  }

  async fees(userId: string, followId: string, limit: number) {
    const r = await this.owned(userId, followId);
    return (await settlementsOf(this.db, { followId: r.id, limit })).map(settlementView);
  }
}
