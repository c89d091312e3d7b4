/**
 * Closes the platform makes on a follower's behalf: when a drawdown stop fires with
 * `closeOnDrawdownStop`, and when a follower unfollows with `closePositions`. Each copied
 * position is sold with a reduce-only market order whose client id is derived from the follow,
 * the reason and the symbol, so a retry never sells twice.
 */
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { PlaceRequest, TradingService } from '../trading/index.js';
import {
  copyClientOrderId,
  evaluateDrawdownStop,
  type DrawdownEvaluation,
} from './domain/index.js';
import { followExposure, type Pricing } from './context.js';
import type { Lanes } from './fanout.js';
import type { CopyPosition } from './positions.js';
import {
  fromOutcome,
  placed,
  recordTrades,
  skipped,
  type Recorded,
  type TradeBase,
} from './record.js';
import { followsWithDrawdownStop, moveFollows, settingsOf, type FollowRow } from './store.js';
import { positionsOf } from './store-fanout.js';

export type CloseKind = 'drawdown_close' | 'unfollow_close';

export interface CloseDeps {
  database: Database;
  trading: TradingService;
  pricing: () => Pricing;
  clock: Clock;
  logger: Logger;
}

/** The client order id of the close of one copied position. */
export const closeClientOrderId = (kind: CloseKind, followId: string, symbol: string) =>
  copyClientOrderId(`${kind}:${symbol}`, followId);

/** Sells every copied position of the follow; records each close in copy_trades. */
export async function closeCopiedPositions(
  deps: CloseDeps,
  row: FollowRow,
  kind: CloseKind,
): Promise<void> {
  const { database, trading } = deps;
  const open = ((await positionsOf(database.db, [row.id])).get(row.id) ?? []).filter((p) =>
    p.quantity.isPositive(),
  );
  if (!open.length) return;
  const state = (await trading.accountStates([row.account_id])).get(row.account_id);
  const pricing = deps.pricing();
  const at = deps.clock.date();
  const items: Recorded[] = [];
  const requests: PlaceRequest[] = [];
  const bases: TradeBase[] = [];
  for (const p of open) {
    const inst = pricing.instrument(row.venue, p.symbol);
    const base: TradeBase = {
      follow_id: row.id,
      leader_id: row.leader_id,
      kind,
      leader_fill_id: null,
      action: 'close',
      symbol: p.symbol,
      side: 'sell',
      leader_price: null,
      leader_quantity: null,
      leader_ts: null,
      reason: null,
      message: null,
      capped_by: null,
      target_quantity: p.quantity.toString(),
      client_order_id: closeClientOrderId(kind, row.id, p.symbol),
      quantity: null,
      limit_price: null,
    };
    const why = (reason: string, message: string) =>
      items.push(skipped({ ...base, reason, message }, at));
    if (!inst) {
      why('instrument_not_listed', `${p.symbol} is not trading on ${row.venue}`);
      continue;
    }
    const free = state?.available.get(inst.base) ?? Decimal.ZERO;
    const qty = Decimal.min(p.quantity, free).roundToStep(inst.lotSize, 'floor');
    const last = pricing.marks.get(inst.base);
    if (!qty.isPositive() || qty.lt(inst.minQuantity)) {
      why('below_lot_size', `${qty} ${inst.base} of the copied ${p.quantity} can be sold`);
      continue;
    }
    if (last && inst.quote === 'USDT' && qty.mul(last).lt(inst.minNotional)) {
      why(
        'below_min_notional',
        `${qty} × ${last} is below the minimum notional ${inst.minNotional}`,
      );
      continue;
    }
    bases.push({ ...base, quantity: qty.toString() });
    requests.push({
      userId: row.follower_user_id,
      input: {
        accountId: row.account_id,
        symbol: p.symbol,
        side: 'sell',
        type: 'market',
        quantity: qty.toString(),
        reduceOnly: true,
        clientOrderId: base.client_order_id!,
      },
    });
  }
  const outcomes = await trading.placeMany(requests);
  const unknown: TradeBase[] = [];
  outcomes.forEach((o, i) => {
    const r = fromOutcome(bases[i]!, o, at, undefined);
    if (r) items.push(r);
    else unknown.push(bases[i]!);
  });
  if (unknown.length) {
    // A close placed before a restart, sized differently then: record that order as it is.
    const found = await trading.ordersByClientIds(
      unknown.map((b) => [row.account_id, b.client_order_id!] as const),
    );
    for (const b of unknown) {
      const o = found.get(`${row.account_id}|${b.client_order_id}`);
      if (o) items.push(placed(b, o.order, o.filledNotional, at, undefined));
    }
  }
  await recordTrades(database, items, at);
}

/** The drawdown of a follow's copies at the current prices. */
export function drawdownOf(
  row: FollowRow,
  positions: readonly CopyPosition[],
  pricing: Pricing,
): DrawdownEvaluation {
  const settings = settingsOf(row);
  const exposure = followExposure(row, positions, pricing);
  return evaluateDrawdownStop({
    allocatedAmount: settings.allocatedAmount,
    realizedPnl: exposure.realizedPnl,
    unrealizedPnl: exposure.unrealizedPnl,
    stop: settings.drawdownStop,
  });
}

/**
 * Fires drawdown stops: on each copied fill (for the follows it moved) and on a timer (for
 * every follow with a stop, since prices move between fills). A fired stop moves the follow
 * to `drawdown_stopped` and, where asked, queues the close behind the leader's other work.
 */
export class DrawdownGuard {
  constructor(private readonly deps: CloseDeps & { lanes: Lanes }) {}

  /** Checks follows whose copied positions just moved; the stops fire in the background. */
  checkMoved(rows: readonly FollowRow[], positions: Map<string, CopyPosition[]>): void {
    const pricing = this.deps.pricing();
    const fired = rows.filter(
      (r) =>
        r.drawdown_stop_pct !== null && drawdownOf(r, positions.get(r.id) ?? [], pricing).triggered,
    );
    if (fired.length) {
      this.trip(fired).catch((err: unknown) =>
        this.deps.logger.error({ at: 'copy#drawdown', err }, 'drawdown stop not applied'),
      );
    }
  }

  /** Checks every follow with a stop at the current prices; returns how many fired. */
  async checkAll(): Promise<number> {
    const db = this.deps.database.db;
    const rows = await followsWithDrawdownStop(db);
    if (!rows.length) return 0;
    const positions = await positionsOf(
      db,
      rows.map((r) => r.id),
    );
    const pricing = this.deps.pricing();
    const fired = rows.filter((r) => drawdownOf(r, positions.get(r.id) ?? [], pricing).triggered);
    return this.trip(fired);
  }

  private async trip(rows: readonly FollowRow[]): Promise<number> {
    if (!rows.length) return 0;
    const { database, clock, logger } = this.deps;
    const moved = await database.db.transaction().execute((tx) =>
      moveFollows(
        tx,
        rows.map((r) => r.id),
        ['active', 'paused'],
        'drawdown_stopped',
        clock.date(),
      ),
    );
    for (const row of moved) {
      logger.info({ at: 'copy#drawdown', follow: row.id }, 'drawdown stop fired');
      if (!row.close_on_drawdown_stop) continue;
      void this.deps.lanes
        .run(row.leader_id, () => closeCopiedPositions(this.deps, row, 'drawdown_close'))
        .catch((err: unknown) =>
          logger.error({ at: 'copy#drawdown', err, follow: row.id }, 'drawdown close failed'),
        );
    }
    return moved.length;
  }
}
