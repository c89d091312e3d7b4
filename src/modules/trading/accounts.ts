import type { Clock } from '../../core/clock.js';
import { Decimal, SCALE } from '../../core/decimal.js';
import { AppError, validationError } from '../../core/errors.js';
import { topics } from '../../core/topics.js';
import type { NewEvent, Outbox } from '../../platform/bus/index.js';
import type { Database, Executor } from '../../platform/db/index.js';
import { auditEvent } from '../identity/index.js';
import type { TradingConfig } from './config.js';
import type { RiskLimits, TradingState } from './domain/risk.js';
import * as E from './errors.js';
import type { AccountRow, RiskLimitRow } from './store.js';
import * as SA from './store-accounts.js';

/**
 * Account settings: risk-limit overrides, trading state and name, and the stored equity
 * series. Each change commits with its `trading.accounts` event and an audit record in one
 * transaction. The order path reads limits and state from the database per order, so a
 * change applies from the next order on, in whichever process runs the venue.
 */

/** Who made a change, for the audit log. */
export interface Actor {
  userId: string;
  ip?: string | null;
  keyId?: string | undefined;
}

/** Risk-limit overrides as they travel: decimal strings (and a count), null for none. */
export interface RiskLimitsInput {
  maxOrderNotional?: string | null;
  maxPosition?: string | null;
  maxOpenOrders?: number | null;
  maxDailyLoss?: string | null;
  priceBandPct?: string | null;
}

type DecimalField = Exclude<keyof RiskLimitsInput, 'maxOpenOrders'>;
type DecimalColumn = Exclude<keyof RiskLimitRow, 'max_open_orders'>;

const BIG = Decimal.parse('1000000000000000'); // 10^15: beyond any real account, below any overflow
const DECIMAL_FIELDS: Record<DecimalField, { column: DecimalColumn; max: Decimal }> = {
  maxOrderNotional: { column: 'max_order_notional', max: BIG },
  maxPosition: { column: 'max_position', max: BIG },
  maxDailyLoss: { column: 'max_daily_loss', max: BIG },
  // Past ±100 % a band no longer bounds a sell price from below.
  priceBandPct: { column: 'price_band_pct', max: Decimal.fromInt(100) },
};
export const MAX_OPEN_ORDERS_LIMIT = 100_000;
const KNOWN = new Set<string>([...Object.keys(DECIMAL_FIELDS), 'maxOpenOrders']);
const DECIMAL_TEXT = /^-?\d+(?:\.(\d+))?$/;

/** The change a request asks for: only the columns it names, each parsed or null. */
export type RiskLimitsChange = Partial<RiskLimitRow>;

export interface LimitError {
  field: string;
  code: string;
  message: string;
}

/**
 * Checks every named field at once. Amounts must be positive decimal strings with at most 18
 * places and no larger than their maximum; nothing is rounded on the user's behalf.
 */
export function parseRiskLimits(
  input: Record<string, unknown>,
): { ok: true; change: RiskLimitsChange } | { ok: false; errors: LimitError[] } {
  const errors: LimitError[] = [];
  const change: RiskLimitsChange = {};
  const fail = (field: string, code: string, message: string) =>
    errors.push({ field: `/${field}`, code, message });
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) fail(key, 'unknown_field', 'is not a known field');
  }
  for (const [field, spec] of Object.entries(DECIMAL_FIELDS) as Array<
    [DecimalField, (typeof DECIMAL_FIELDS)[DecimalField]]
  >) {
    if (!(field in input)) continue;
    const v = input[field];
    if (v === null) {
      change[spec.column] = null;
      continue;
    }
    const m = typeof v === 'string' && v.length <= 64 ? DECIMAL_TEXT.exec(v) : null;
    if (!m) {
      fail(field, 'not_a_decimal', 'must be a decimal string such as "2500.5", or null');
      continue;
    }
    if ((m[1]?.length ?? 0) > SCALE) {
      fail(field, 'too_many_decimals', `has more than ${SCALE} decimal places`);
      continue;
    }
    const d = Decimal.tryParse(v as string);
    if (!d || d.gt(spec.max)) fail(field, 'above_maximum', `must be at most ${spec.max}`);
    else if (!d.isPositive()) fail(field, 'not_positive', 'must be greater than 0');
    else change[spec.column] = d.toString();
  }
  if ('maxOpenOrders' in input) {
    const v = input.maxOpenOrders;
    if (v === null) change.max_open_orders = null;
    else if (typeof v !== 'number' || !Number.isInteger(v))
      fail('maxOpenOrders', 'not_an_integer', 'must be a whole number, or null');
    else if (v < 1) fail('maxOpenOrders', 'not_positive', 'must be at least 1');
    else if (v > MAX_OPEN_ORDERS_LIMIT)
      fail('maxOpenOrders', 'above_maximum', `must be at most ${MAX_OPEN_ORDERS_LIMIT}`);
    else change.max_open_orders = v;
  }
  return errors.length ? { ok: false, errors } : { ok: true, change };
}

/** One 400 naming every offending field, in the form order validation uses. */
const problem = (errors: LimitError[]) =>
  new AppError(
    'validation',
    errors.length === 1 ? errors[0]!.code : 'invalid_risk_limits',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    { fields: errors.map((e) => ({ field: e.field, message: `${e.code}: ${e.message}` })) },
  );

const NO_LIMITS: RiskLimitRow = {
  max_order_notional: null,
  max_position: null,
  max_open_orders: null,
  max_daily_loss: null,
  price_band_pct: null,
};

const decimalOrUndefined = (v: string | null | undefined) =>
  v === null || v === undefined ? undefined : Decimal.parse(v);

/**
 * The limits an order is checked against: the account's overrides over the configured
 * defaults (only the open-order count has one; every other limit is off unless set).
 */
export function riskLimitsFrom(
  row: RiskLimitRow | undefined,
  config: Pick<TradingConfig, 'riskMaxOpenOrders'>,
): RiskLimits {
  const limits: RiskLimits = { maxOpenOrders: row?.max_open_orders ?? config.riskMaxOpenOrders };
  const notional = decimalOrUndefined(row?.max_order_notional);
  const position = decimalOrUndefined(row?.max_position);
  const dailyLoss = decimalOrUndefined(row?.max_daily_loss);
  const band = decimalOrUndefined(row?.price_band_pct);
  if (notional) limits.maxOrderNotional = notional;
  if (position) limits.maxPosition = position;
  if (dailyLoss) limits.maxDailyLoss = dailyLoss;
  if (band) limits.priceBandPct = band;
  return limits;
}

const canonical = (v: string | null) => (v === null ? null : Decimal.parse(v).toString());

function limitsOf(row: RiskLimitRow) {
  return {
    maxOrderNotional: canonical(row.max_order_notional),
    maxPosition: canonical(row.max_position),
    maxOpenOrders: row.max_open_orders === null ? null : Number(row.max_open_orders),
    maxDailyLoss: canonical(row.max_daily_loss),
    priceBandPct: canonical(row.price_band_pct),
  };
}

export function riskLimitsView(
  accountId: string,
  rec: SA.RiskLimitsRecord | undefined,
  config: Pick<TradingConfig, 'riskMaxOpenOrders'>,
) {
  return {
    accountId,
    ...limitsOf(rec ?? NO_LIMITS),
    updatedAt: rec ? new Date(rec.updated_at).toISOString() : null,
    defaults: { maxOpenOrders: config.riskMaxOpenOrders },
  };
}
export type RiskLimitsView = ReturnType<typeof riskLimitsView>;

export const accountSettingsView = (a: AccountRow) => ({
  id: a.id,
  venue: a.venue,
  name: a.name,
  isDefault: a.is_default,
  tradingState: a.trading_state,
  createdAt: new Date(a.created_at).toISOString(),
});

const equityPointView = (r: SA.EquitySnapshotRow) => ({
  ts: new Date(r.ts).toISOString(),
  equity: canonical(r.equity)!,
  cash: canonical(r.cash)!,
  positionsValue: canonical(r.positions_value)!,
  realizedPnl: canonical(r.realized_pnl)!,
  unrealizedPnl: canonical(r.unrealized_pnl)!,
  netContributions: canonical(r.net_contributions)!,
  complete: r.complete,
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Letters, marks, digits, punctuation, symbols and plain spaces; no control or format characters.
const NAME_RE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;

export class AccountSettings {
  constructor(
    private readonly deps: {
      database: Database;
      outbox: Outbox;
      clock: Clock;
      config: Pick<TradingConfig, 'riskMaxOpenOrders' | 'snapshotIntervalMs'>;
    },
  ) {}

  /** The account if it is the user's; 404 otherwise, so other users' ids reveal nothing. */
  private async owned(db: Executor, userId: string, id: string, lock = false) {
    const account = UUID_RE.test(id)
      ? lock
        ? await SA.lockAccount(db, id.toLowerCase())
        : await SA.accountById(db, id.toLowerCase())
      : undefined;
    if (!account || account.user_id !== userId) throw E.accountNotFound();
    return account;
  }

  async riskLimits(userId: string, accountId: string): Promise<RiskLimitsView> {
    const db = this.deps.database.db;
    const a = await this.owned(db, userId, accountId);
    return riskLimitsView(a.id, await SA.riskLimitsRecord(db, a.id), this.deps.config);
  }

  /** Sets the named limits (null clears one); fields left out keep their value. */
  async setRiskLimits(
    actor: Actor,
    accountId: string,
    input: RiskLimitsInput | Record<string, unknown>,
  ): Promise<RiskLimitsView> {
    const parsed = parseRiskLimits(input as Record<string, unknown>);
    return this.deps.outbox.transaction(async (tx, emit) => {
      const a = await this.owned(tx, actor.userId, accountId, true);
      if (!parsed.ok) throw problem(parsed.errors);
      const before = await SA.riskLimitsRecord(tx, a.id);
      const previous = limitsOf(before ?? NO_LIMITS);
      const next: RiskLimitRow = { ...NO_LIMITS, ...before, ...parsed.change };
      const limits = limitsOf(next);
      if (JSON.stringify(limits) === JSON.stringify(previous)) {
        return riskLimitsView(a.id, before, this.deps.config);
      }
      const rec = await SA.upsertRiskLimits(tx, a.id, next, this.deps.clock.date());
      await emit(
        this.event(a, 'RiskLimitsChanged', { limits, previous, changedBy: actor.userId }),
        this.audit(actor, 'trading.risk_limits_changed', a, { limits, previous }),
      );
      return riskLimitsView(a.id, rec, this.deps.config);
    });
  }

  /** Changes the trading state and/or the name. */
  async update(
    actor: Actor,
    accountId: string,
    input: { tradingState?: TradingState; name?: string },
  ): Promise<ReturnType<typeof accountSettingsView>> {
    const name = input.name?.trim();
    return this.deps.outbox.transaction(async (tx, emit) => {
      const a = await this.owned(tx, actor.userId, accountId, true);
      if (input.tradingState === undefined && input.name === undefined)
        throw validationError('/', 'must name tradingState, name or both', 'nothing_to_change');
      if (name !== undefined && (name.length === 0 || name.length > 64 || !NAME_RE.test(name)))
        throw validationError('/name', 'must be 1 to 64 printable characters', 'invalid_name');
      const events: NewEvent[] = [];
      const patch: { trading_state?: TradingState; name?: string } = {};
      if (input.tradingState !== undefined && input.tradingState !== a.trading_state) {
        patch.trading_state = input.tradingState;
        const change = { from: a.trading_state, to: input.tradingState };
        events.push(
          this.event(a, 'TradingStateChanged', { ...change, changedBy: actor.userId }),
          this.audit(actor, 'trading.state_changed', a, change),
        );
      }
      if (name !== undefined && name !== a.name) {
        patch.name = name;
        const change = { from: a.name, to: name };
        events.push(
          this.event(a, 'AccountRenamed', { ...change, changedBy: actor.userId }),
          this.audit(actor, 'trading.account_renamed', a, change),
        );
      }
      if (!events.length) return accountSettingsView(a);
      const updated = await SA.updateAccount(tx, a.id, patch);
      await emit(...events);
      return accountSettingsView(updated);
    });
  }

  /**
   * Stored equity points, oldest first: the first `limit` from `from` when it is given,
   * otherwise the latest `limit` up to `to`.
   */
  async equity(
    userId: string,
    accountId: string,
    q: { from?: string; to?: string; limit?: number },
  ) {
    const db = this.deps.database.db;
    const a = await this.owned(db, userId, accountId);
    const from = q.from === undefined ? undefined : new Date(q.from);
    const to = q.to === undefined ? undefined : new Date(q.to);
    for (const [name, at] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (at && Number.isNaN(at.getTime()))
        throw validationError(`querystring:/${name}`, 'must be an ISO 8601 date-time');
    }
    if (from && to && to < from)
      throw validationError('querystring:/to', 'must not be before from');
    const rows = await SA.equitySnapshots(db, {
      accountId: a.id,
      limit: q.limit ?? 1000,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
    return {
      accountId: a.id,
      currency: rows[0]?.currency ?? null,
      intervalMs: this.deps.config.snapshotIntervalMs,
      points: rows.map(equityPointView),
    };
  }

  private event(a: AccountRow, type: string, payload: Record<string, unknown>): NewEvent {
    return {
      topic: topics.tradingAccounts,
      type,
      key: a.id,
      payload: { accountId: a.id, userId: a.user_id, ...payload },
      tsEvent: this.deps.clock.now(),
    };
  }

  private audit(actor: Actor, action: string, a: AccountRow, details: Record<string, unknown>) {
    return auditEvent({
      action,
      userId: a.user_id,
      actorId: actor.userId,
      ip: actor.ip ?? null,
      details: { accountId: a.id, ...details, ...(actor.keyId ? { keyId: actor.keyId } : {}) },
    });
  }
}
