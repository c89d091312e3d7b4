/**
 * The order step of binding actions, run after the consumer's transaction commits: each
 * pending action is planned against its binding's current rules and its account's balances,
 * its order placed through `TradingService.place`, and its outcome written onto the row.
 *
 * Idempotency: an action's client order id is `signalClientOrderId(signal, binding)`, so any
 * second placement of it returns the order already placed. Crash safety: the action was
 * recorded as pending with the consumed decision; one still pending after the recovery delay
 * is claimed by the recovery pass, which first looks its order up by that client order id and
 * records it as it is (placed, then the process died), and only plans and places those that
 * have none. Outcomes are written onto rows that are still pending, so whichever of two racing
 * passes writes first is kept.
 */
import type { Clock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import { AppError } from '../../../core/errors.js';
import type { Database } from '../../../platform/db/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import { PAPER_VENUE } from '../../market/index.js';
import type {
  AccountState,
  InstrumentRules,
  OrderView,
  PlaceInput,
  TradingService,
} from '../../trading/index.js';
import { signalClientOrderId } from './client-order-id.js';
import { planOrder, type Plan, type PlanContext } from './domain.js';
import { rulesFromWire } from './rules.js';
import {
  boundById,
  claimStalled,
  finishActions,
  type ActionOutcome,
  type ActionRow,
  type BoundRow,
} from './store.js';

/** What the order step needs of the market: instruments and, where known, prices. */
export interface BindingMarket {
  instruments(): readonly InstrumentRules[];
  instrument(venue: string, symbol: string): InstrumentRules | undefined;
  lastPrice?(venue: string, symbol: string): Decimal | undefined;
  bookTop?(venue: string, symbol: string): { bidPrice: Decimal; askPrice: Decimal } | undefined;
}

export interface ExecutorDeps {
  database: Database;
  trading: TradingService;
  market: BindingMarket;
  clock: Clock;
  logger: Logger;
}

/** Refusals that will not change on retry; anything else (a lost venue, a failed commit) may. */
const FINAL_KINDS = new Set(['validation', 'conflict', 'forbidden', 'not_found']);
/** Stalled actions taken per recovery query. */
const RECOVERY_BATCH = 500;
const USDT = 'USDT';

const keyOf = (r: Pick<ActionRow, 'signal_event_id' | 'binding_id'>) =>
  `${r.signal_event_id}|${r.binding_id}`;

type OrderPlan = Extract<Plan, { kind: 'order' }>;

const blank = (r: ActionRow, at: Date): ActionOutcome => ({
  signal_event_id: r.signal_event_id,
  binding_id: r.binding_id,
  status: 'skipped',
  reason: null,
  message: null,
  client_order_id: null,
  order_id: null,
  side: null,
  order_type: null,
  quantity: null,
  limit_price: null,
  reference_price: null,
  notional: null,
  capped_by: null,
  order_status: null,
  updated_at: at,
});

export const skippedOutcome = (
  r: ActionRow,
  s: { reason: string; message: string },
  at: Date,
): ActionOutcome => ({ ...blank(r, at), status: 'skipped', reason: s.reason, message: s.message });

/** The venue took the order: placed, whatever became of it, unless the risk check refused it. */
function placedOutcome(r: ActionRow, o: OrderView, plan: OrderPlan | undefined, at: Date) {
  const refused = o.status === 'rejected';
  return {
    ...blank(r, at),
    status: refused ? 'failed' : 'placed',
    reason: refused ? (o.reason ?? 'rejected') : null,
    message: refused ? (o.reasonMessage ?? 'the venue rejected the order') : null,
    client_order_id: o.clientOrderId,
    order_id: o.id,
    side: o.side as 'buy' | 'sell',
    order_type: o.type === 'limit' ? 'limit' : 'market',
    quantity: o.quantity,
    limit_price: o.price ?? null,
    reference_price: plan?.referencePrice.toString() ?? null,
    notional: plan?.notional.toString() ?? null,
    capped_by: plan?.cappedBy ?? null,
    order_status: o.status,
  } satisfies ActionOutcome;
}

export class ActionExecutor {
  private readonly running = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly deps: ExecutorDeps) {}

  /** Plans, places and records the actions; resolves when their outcomes are written. */
  submit(rows: readonly ActionRow[], resumed = false): Promise<void> {
    const mine = rows.filter((r) => !this.running.has(keyOf(r)));
    for (const r of mine) this.running.add(keyOf(r));
    const task: Promise<void> = this.run(mine, resumed)
      .catch((err: unknown) => {
        this.deps.logger.error(
          { at: 'signals#bindings', err, actions: mine.length },
          'binding orders left unfinished; the recovery pass finishes them',
        );
      })
      .finally(() => {
        for (const r of mine) this.running.delete(keyOf(r));
        this.tasks.delete(task);
      });
    this.tasks.add(task);
    return task;
  }

  /** Resolves when every action submitted so far has been handled. */
  async idle(): Promise<void> {
    while (this.tasks.size) await Promise.all([...this.tasks]);
  }

  /** Finishes actions left pending for `idleMs` or more; returns how many it took. */
  async recover(idleMs: number): Promise<number> {
    const seen = new Set<string>();
    for (;;) {
      const rows = await claimStalled(this.deps.database.db, idleMs, RECOVERY_BATCH);
      // An action whose outcome stays unknown (the venue still away) is claimed again at once
      // when idleMs is 0: one attempt per pass.
      const mine = rows.filter((r) => !this.running.has(keyOf(r)) && !seen.has(keyOf(r)));
      for (const r of mine) seen.add(keyOf(r));
      if (mine.length) await this.submit(mine, true);
      if (rows.length < RECOVERY_BATCH || !mine.length) return seen.size;
    }
  }

  private async run(rows: readonly ActionRow[], resumed: boolean): Promise<void> {
    if (!rows.length) return;
    const { trading, database, clock } = this.deps;
    const at = clock.date();
    const outcomes: ActionOutcome[] = [];
    let unplaced = rows;
    if (resumed) {
      // Placed before a crash but not recorded: record the order as it is, never plan it again.
      const found = await this.lookup(rows);
      unplaced = rows.filter((r) => {
        const o = found.get(keyOf(r));
        if (o) outcomes.push(placedOutcome(r, o, undefined, at));
        return !o;
      });
    }
    const bindings = await boundById(
      database.db,
      unplaced.map((r) => r.binding_id),
    );
    const owned = unplaced.filter((r) => this.owns(r, bindings.get(r.binding_id)));
    const states = await trading.accountStates(owned.map((r) => r.account_id));
    const marks = trading.markPrices();
    const planned: Array<{ row: ActionRow; plan: OrderPlan; input: PlaceInput }> = [];
    for (const r of unplaced) {
      const plan = this.plan(r, bindings.get(r.binding_id), states.get(r.account_id), marks);
      if (plan.kind === 'skip') {
        outcomes.push(skippedOutcome(r, plan, at));
        continue;
      }
      const i = plan.intent;
      planned.push({
        row: r,
        plan,
        input: {
          accountId: r.account_id,
          symbol: i.symbol,
          side: i.side,
          type: i.type,
          quantity: i.quantity.toString(),
          ...(i.price ? { price: i.price.toString() } : {}),
          timeInForce: i.timeInForce,
          reduceOnly: i.reduceOnly,
          clientOrderId: signalClientOrderId(r.signal_event_id, r.binding_id),
        },
      });
    }
    // Placed together, so the venue group-commits them.
    const results = await Promise.allSettled(
      planned.map((p) => trading.place(p.row.user_id, p.input)),
    );
    const reused: ActionRow[] = [];
    results.forEach((res, i) => {
      const { row, plan } = planned[i]!;
      if (res.status === 'fulfilled') {
        outcomes.push(placedOutcome(row, res.value.order, plan, at));
        return;
      }
      const err: unknown = res.reason;
      if (err instanceof AppError && err.code === 'client_order_id_reused') reused.push(row);
      else if (err instanceof AppError && FINAL_KINDS.has(err.kind)) {
        outcomes.push({
          ...skippedOutcome(row, { reason: err.code, message: err.message }, at),
          status: 'failed',
        });
      } else {
        this.deps.logger.warn(
          { at: 'signals#bindings', err, signal: row.signal_event_id, binding: row.binding_id },
          'binding order outcome unknown; the recovery pass retries it',
        );
      }
    });
    if (reused.length) {
      // Another pass placed it first (with the balances it saw): that order is the action's.
      const found = await this.lookup(reused);
      for (const r of reused) {
        const o = found.get(keyOf(r));
        if (o) outcomes.push(placedOutcome(r, o, undefined, at));
      }
    }
    await finishActions(database.db, outcomes);
  }

  /** Orders already placed for the actions, by action. */
  private async lookup(rows: readonly ActionRow[]): Promise<Map<string, OrderView>> {
    const pairs = rows.map(
      (r) => [r.account_id, signalClientOrderId(r.signal_event_id, r.binding_id)] as const,
    );
    const found = await this.deps.trading.ordersByClientIds(pairs);
    const out = new Map<string, OrderView>();
    rows.forEach((r, i) => {
      const o = found.get(`${pairs[i]![0]}|${pairs[i]![1]}`);
      if (o) out.set(keyOf(r), o.order);
    });
    return out;
  }

  /** Only the signal's owner's own account is ever traded, whatever a binding row says. */
  private owns(r: ActionRow, b: BoundRow | undefined): b is BoundRow {
    return (
      b !== undefined &&
      b.user_id === r.user_id &&
      b.account_user_id === r.user_id &&
      b.account_id === r.account_id
    );
  }

  private plan(
    r: ActionRow,
    b: BoundRow | undefined,
    state: AccountState | undefined,
    marks: ReadonlyMap<string, Decimal>,
  ): Plan {
    if (!b || b.status === 'deleted') {
      return { kind: 'skip', reason: 'binding_deleted', message: 'the binding was deleted' };
    }
    if (!this.owns(r, b)) {
      return {
        kind: 'skip',
        reason: 'account_not_owned',
        message: "the bound account is not the signal owner's",
      };
    }
    const rules = rulesFromWire(b.rules);
    if (!rules) {
      return {
        kind: 'skip',
        reason: 'binding_invalid',
        message: 'the stored rules of the binding are invalid',
      };
    }
    const inst = this.deps.market.instrument(b.account_venue, r.symbol);
    const equity = state && inst ? valueIn(state, inst.quote, marks) : undefined;
    if (state && inst && equity === undefined && rules.sizing.mode !== 'fixed_notional') {
      return {
        kind: 'skip',
        reason: 'no_price',
        message: `no price values the account's ${state.currency} equity in ${inst.quote}`,
      };
    }
    const ctx: PlanContext = {
      instrument: inst,
      account: {
        equity: equity ?? Decimal.ZERO,
        quoteAvailable: (inst && state?.available.get(inst.quote)) || Decimal.ZERO,
        baseAvailable: (inst && state?.available.get(inst.base)) || Decimal.ZERO,
      },
      prices: inst ? this.prices(b.account_venue, inst, marks) : {},
      marketSlippagePct: this.deps.trading.risk.config.marketSlippagePct,
    };
    return planOrder(
      rules,
      b.status,
      {
        symbol: r.symbol,
        direction: r.direction,
        entry: r.entry === null ? null : Decimal.parse(r.entry),
        consensus: { action: r.consensus_action, confidence: r.confidence, agreeing: r.agreeing },
        suggestedSizePct: r.suggested_size_pct,
      },
      ctx,
    );
  }

  /** The paper venue's own last trade first (what it fills against), then the market's. */
  private prices(venue: string, inst: InstrumentRules, marks: ReadonlyMap<string, Decimal>) {
    const m = this.deps.market;
    const venueLast =
      venue === PAPER_VENUE && inst.quote === USDT ? marks.get(inst.base) : undefined;
    const top = m.bookTop?.(venue, inst.symbol);
    return {
      last: venueLast ?? m.lastPrice?.(venue, inst.symbol),
      bid: top?.bidPrice,
      ask: top?.askPrice,
    };
  }
}

/** The account's equity in `ccy`, through USDT prices when the currencies differ. */
function valueIn(
  state: AccountState,
  ccy: string,
  marks: ReadonlyMap<string, Decimal>,
): Decimal | undefined {
  if (state.currency === ccy) return state.equity;
  const usdt = (c: string) => (c === USDT ? Decimal.ONE : marks.get(c));
  const from = usdt(state.currency);
  const to = usdt(ccy);
  return from && to?.isPositive() ? state.equity.mul(from).div(to, 'floor') : undefined;
}
