/**
 * Creating, changing and reading bindings. Every request is checked whole before anything is
 * written (rules by the domain, the account against its owner), and each change commits with
 * its audit record: a binding lets a signal source trade an account, which is worth a trace.
 */
import type { Clock } from '../../../core/clock.js';
import { newId, parseId } from '../../../core/ids.js';
import type { Outbox } from '../../../platform/bus/index.js';
import type { Database } from '../../../platform/db/index.js';
import { auditEvent } from '../../identity/index.js';
import type { BindingDirectory } from './directory.js';
import * as E from './errors.js';
import type { BindingMarket } from './executor.js';
import { mergeRules, parseRules, rulesToWire, type RulesInput, type RulesWire } from './rules.js';
import * as S from './store.js';

export interface BindingView {
  id: string;
  source: string;
  accountId: string;
  status: 'active' | 'paused';
  rules: RulesWire;
  createdAt: string;
  updatedAt: string;
}

const iso = (t: string | Date) => new Date(t).toISOString();

export const bindingView = (r: S.BindingRow): BindingView => ({
  id: r.id,
  source: r.source,
  accountId: r.account_id,
  status: r.status === 'paused' ? 'paused' : 'active',
  rules: r.rules,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/** What one decided signal did through a binding, as the API shows it. */
export function actionView(r: S.ActionWithOrder) {
  return {
    signalEventId: r.signal_event_id,
    symbol: r.symbol,
    direction: r.direction,
    ...(r.entry !== null ? { entry: r.entry } : {}),
    consensus: { action: r.consensus_action, confidence: r.confidence, agreeing: r.agreeing },
    status: r.status,
    ...(r.reason !== null ? { reason: r.reason, message: r.message } : {}),
    order:
      r.order_id === null
        ? null
        : {
            id: r.order_id,
            clientOrderId: r.client_order_id,
            side: r.side,
            type: r.order_type,
            quantity: r.quantity,
            ...(r.limit_price !== null ? { price: r.limit_price } : {}),
            ...(r.reference_price !== null
              ? { referencePrice: r.reference_price, notional: r.notional }
              : {}),
            ...(r.capped_by !== null ? { cappedBy: r.capped_by } : {}),
            statusAtPlacement: r.order_status,
            // The order as it stands now: a resting limit order fills after its placement.
            status: r.current_status ?? r.order_status,
            filledQuantity: r.filled_quantity ?? '0',
            averagePrice: r.average_price ?? '0',
            fees: r.fees ?? '0',
          },
    decidedAt: iso(r.decided_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export interface CreateBody {
  source: string;
  accountId: string;
  rules: RulesInput;
  status?: 'active' | 'paused';
}

export interface PatchBody {
  rules?: RulesInput;
  status?: 'active' | 'paused';
}

export class BindingService {
  constructor(
    private readonly deps: {
      database: Database;
      outbox: Outbox;
      clock: Clock;
      market: BindingMarket;
      directory: BindingDirectory;
      maxPerUser: number;
    },
  ) {}

  private get db() {
    return this.deps.database.db;
  }

  private knownSymbol = (symbol: string): boolean =>
    this.deps.market.instruments().some((i) => i.symbol === symbol);

  async create(userId: string, body: CreateBody): Promise<BindingView> {
    const parsed = parseRules(body.rules, this.knownSymbol);
    if (!parsed.ok) throw E.rulesProblem(parsed.errors);
    const accountId = parseId(body.accountId);
    const account = accountId && (await S.accountById(this.db, accountId));
    if (!account) throw E.accountNotFound();
    if (account.user_id !== userId) throw E.accountNotOwned();
    const now = this.deps.clock.date();
    const row: S.BindingRow = {
      id: newId(),
      user_id: userId,
      source: body.source,
      account_id: account.id,
      status: body.status ?? 'active',
      rules: rulesToWire(parsed.rules),
      created_at: now,
      updated_at: now,
    };
    await this.deps.outbox.transaction(async (tx, emit) => {
      // Counted and checked under the user's lock, so two concurrent requests cannot both pass.
      await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
      const existing = await S.liveBindingFor(tx, userId, body.source, account.id);
      if (existing) throw E.bindingExists(existing);
      if ((await S.countLive(tx, userId)) >= this.deps.maxPerUser) {
        throw E.tooManyBindings(this.deps.maxPerUser);
      }
      await S.insertBinding(tx, row);
      await emit(
        auditEvent({
          action: 'signals.binding_created',
          userId,
          details: { bindingId: row.id, source: row.source, accountId: row.account_id },
        }),
      );
    });
    await this.deps.directory.refresh();
    return bindingView(row);
  }

  async list(userId: string): Promise<BindingView[]> {
    return (await S.bindingsOfUser(this.db, userId)).map(bindingView);
  }

  async get(userId: string, id: string): Promise<BindingView> {
    return bindingView(await this.owned(userId, id));
  }

  async update(userId: string, id: string, body: PatchBody): Promise<BindingView> {
    const bindingId = parseId(id);
    if (!bindingId) throw E.bindingNotFound();
    const view = await this.deps.outbox.transaction(async (tx, emit) => {
      const row = await S.bindingOfUser(tx, userId, bindingId, true);
      if (!row) throw E.bindingNotFound();
      let rules = row.rules;
      if (body.rules) {
        const parsed = parseRules(mergeRules(row.rules, body.rules), this.knownSymbol);
        if (!parsed.ok) throw E.rulesProblem(parsed.errors);
        rules = rulesToWire(parsed.rules);
      }
      const status = body.status ?? (row.status === 'paused' ? 'paused' : 'active');
      const now = this.deps.clock.date();
      await S.updateBinding(tx, row.id, { status, rules, updated_at: now });
      await emit(
        auditEvent({
          action: 'signals.binding_changed',
          userId,
          details: {
            bindingId: row.id,
            ...(status !== row.status ? { status: { from: row.status, to: status } } : {}),
            ...(body.rules ? { rules: { from: row.rules, to: rules } } : {}),
          },
        }),
      );
      return bindingView({ ...row, status, rules, updated_at: now });
    });
    await this.deps.directory.refresh();
    return view;
  }

  async remove(userId: string, id: string): Promise<void> {
    const bindingId = parseId(id);
    if (!bindingId) throw E.bindingNotFound();
    await this.deps.outbox.transaction(async (tx, emit) => {
      const row = await S.bindingOfUser(tx, userId, bindingId, true);
      if (!row) throw E.bindingNotFound();
      await S.updateBinding(tx, row.id, { status: 'deleted', updated_at: this.deps.clock.date() });
      await emit(
        auditEvent({
          action: 'signals.binding_deleted',
          userId,
          details: { bindingId: row.id, source: row.source, accountId: row.account_id },
        }),
      );
    });
    await this.deps.directory.refresh();
  }

  async actions(
    userId: string,
    id: string,
    q: { limit: number; before?: string },
  ): Promise<Array<ReturnType<typeof actionView>>> {
    const row = await this.owned(userId, id);
    const before = q.before === undefined ? undefined : parseId(q.before);
    const rows = await S.actionsOf(this.db, row.id, {
      limit: q.limit,
      ...(before ? { before } : {}),
    });
    return rows.map(actionView);
  }

  private async owned(userId: string, id: string): Promise<S.BindingRow> {
    const bindingId = parseId(id);
    const row = bindingId && (await S.bindingOfUser(this.db, userId, bindingId));
    if (!row) throw E.bindingNotFound();
    return row;
  }
}
