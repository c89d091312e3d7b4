import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type { PerformanceFeeState, SubscriptionState } from './domain/index.js';
import type { FollowRow } from './store.js';

/** Persistence of fee state and settlements. */

const ms = (d: Date | string) => new Date(d).getTime();

export function performanceState(r: FollowRow): PerformanceFeeState {
  const s: PerformanceFeeState = {
    highWaterMark: Decimal.parse(r.fee_high_water_mark),
    totalCharged: Decimal.parse(r.fee_performance_charged),
    settlements: Number(r.fee_performance_settlements),
  };
  if (r.fees_settled_at) s.lastSettledAt = ms(r.fees_settled_at);
  return s;
}

export const subscriptionState = (r: FollowRow): SubscriptionState => ({
  paidThrough: ms(r.fee_subscription_paid_through),
  totalCharged: Decimal.parse(r.fee_subscription_charged),
  settlements: Number(r.fee_subscription_settlements),
});

/** Follows that are not over, to look for a settlement that is due. */
export async function liveFollows(db: Executor): Promise<FollowRow[]> {
  return (await db
    .selectFrom('follows')
    .selectAll()
    .where('status', '<>', 'ended')
    .execute()) as FollowRow[];
}

/** Ended follows whose final settlement has not been made. */
export async function unsettledEnded(db: Executor): Promise<FollowRow[]> {
  return (await db
    .selectFrom('follows')
    .selectAll()
    .where('status', '=', 'ended')
    .where('final_settled_at', 'is', null)
    .orderBy('ended_at')
    .limit(500)
    .execute()) as FollowRow[];
}

/**
 * Stores the new fee state, guarded by the settlement counts read before: a second settler of
 * the same follow finds them changed, writes nothing and throws, so its transfers roll back.
 */
export async function saveFeeState(
  tx: Executor,
  row: FollowRow,
  perf: PerformanceFeeState,
  sub: SubscriptionState | undefined,
  at: Date,
  final: boolean,
): Promise<void> {
  const r = await tx
    .updateTable('follows')
    .set({
      fee_high_water_mark: perf.highWaterMark.toString(),
      fee_performance_charged: perf.totalCharged.toString(),
      fee_performance_settlements: perf.settlements,
      ...(sub
        ? {
            fee_subscription_paid_through: new Date(sub.paidThrough),
            fee_subscription_charged: sub.totalCharged.toString(),
            fee_subscription_settlements: sub.settlements,
          }
        : {}),
      fees_settled_at: at,
      ...(final ? { final_settled_at: at } : {}),
      updated_at: at,
    })
    .where('id', '=', row.id)
    .where('fee_performance_settlements', '=', row.fee_performance_settlements)
    .where('fee_subscription_settlements', '=', row.fee_subscription_settlements)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new Error(`the fees of follow ${row.id} were settled concurrently`);
  }
}

export interface SettlementRow {
  id: string;
  follow_id: string;
  leader_id: string;
  kind: 'performance' | 'subscription';
  currency: string;
  amount: string;
  from_account_id: string;
  to_account_id: string;
  cumulative_pnl: string | null;
  high_water_mark: string | null;
  paid_through: Date | null;
  final: boolean;
  settled_at: Date;
}

export async function insertSettlements(tx: Executor, rows: SettlementRow[]): Promise<void> {
  if (rows.length) await tx.insertInto('fee_settlements').values(rows).execute();
}

export async function settlementsOf(
  db: Executor,
  q: { followId?: string; leaderId?: string; limit: number },
): Promise<SettlementRow[]> {
  let query = db.selectFrom('fee_settlements').selectAll();
  if (q.followId) query = query.where('follow_id', '=', q.followId);
  if (q.leaderId) query = query.where('leader_id', '=', q.leaderId);
  return (await query
    .orderBy('settled_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit)
    .execute()) as SettlementRow[];
}
