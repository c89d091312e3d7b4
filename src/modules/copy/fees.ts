/**
 * Fee settlement: on the schedule (weekly from Monday 00:00 UTC unless configured) and once
 * more when a follow ends, the domain's `settlePerformanceFee` (high-water mark on the follow's
 * cumulative realized PnL) and `settleSubscription` decide what is owed; the trading ledger
 * moves it from the follower's account to the leader's payout account, and the follow's new
 * fee state commits in the same transaction. It runs where the paper venue runs, so no order
 * spends the money while it moves.
 */
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import type { Database, Tx } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { TradingService, TransferInput } from '../trading/index.js';
import {
  settlementDue,
  settlePerformanceFee,
  settleSubscription,
  type FeeParties,
  type FeeTransaction,
  type SettlementSchedule,
} from './domain/index.js';
import { followExposure, type Pricing } from './context.js';
import { findLeader, type FollowRow } from './store.js';
import { positionsOf } from './store-fanout.js';
import {
  insertSettlements,
  liveFollows,
  performanceState,
  saveFeeState,
  subscriptionState,
  unsettledEnded,
  type SettlementRow,
} from './store-fees.js';

export interface FeeDeps {
  database: Database;
  trading: TradingService;
  pricing: () => Pricing;
  clock: Clock;
  logger: Logger;
  schedule: SettlementSchedule;
}

export interface Settled {
  performanceFee: Decimal;
  subscriptionFee: Decimal;
}

/** A follow whose settlement failed (the payer lacked free cash) is tried again after this. */
const RETRY_MS = 60_000;
/** The clock is read this often to see whether a settlement time has passed. */
const POLL_MS = 1000;

const toTransfer = (t: FeeTransaction, p: FeeParties): TransferInput => ({
  id: t.id,
  ts: t.ts,
  kind: 'fee',
  reference: t.reference,
  from: p.followerAccountId,
  to: p.leaderAccountId,
  currency: p.currency,
  amount: t.postings.find((x) => x.amount.isPositive())!.amount,
  via: 'copy',
});

export class FeeSettler {
  private timer: NodeJS.Timeout | undefined;
  private lastBucket = -Infinity;
  private readonly retryAt = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: FeeDeps) {}

  start(): void {
    const tick = () =>
      this.tick().catch((err: unknown) =>
        this.deps.logger.error({ at: 'copy#fees', err }, 'fee settlement round failed'),
      );
    this.timer = setInterval(tick, Math.min(POLL_MS, this.deps.schedule.periodMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.queue;
  }

  /**
   * Settles what is due now: ended follows not settled yet, and, once per settlement time,
   * every follow whose last settlement is before it. Returns how many follows were settled.
   */
  tick(): Promise<number> {
    if (!this.deps.trading.leadsVenue()) return Promise.resolve(0);
    // Rounds run one after another: a caller that has just moved the clock gets a round that
    // reads the clock after the move, not one already under way.
    const round = this.queue.then(() => this.round());
    this.queue = round.then(
      () => undefined,
      () => undefined,
    );
    return round;
  }

  private async round(): Promise<number> {
    const { database, clock, schedule } = this.deps;
    const now = clock.now();
    let n = 0;
    for (const row of await unsettledEnded(database.db)) {
      // A final settlement that failed waits its turn like any other, not every tick.
      if ((this.retryAt.get(row.id) ?? 0) > now) continue;
      if (await this.attempt(row, true)) n++;
    }
    const bucket = Math.floor((now - schedule.anchorMs) / schedule.periodMs);
    const retrying = [...this.retryAt].some(([, at]) => at <= now);
    if (bucket <= this.lastBucket && !retrying) return n;
    this.lastBucket = bucket;
    for (const row of await liveFollows(database.db)) {
      const last = row.fees_settled_at ?? row.started_at;
      if (!settlementDue(new Date(last).getTime(), now, schedule)) continue;
      if ((this.retryAt.get(row.id) ?? 0) > now) continue;
      if (await this.attempt(row, false)) n++;
    }
    return n;
  }

  private async attempt(row: FollowRow, final: boolean): Promise<boolean> {
    try {
      await this.settle(row, final);
      this.retryAt.delete(row.id);
      return true;
    } catch (err) {
      this.retryAt.set(row.id, this.deps.clock.now() + RETRY_MS);
      this.deps.logger.warn(
        { at: 'copy#fees', err, follow: row.id, final },
        'fee settlement failed; retried later',
      );
      return false;
    }
  }

  /** Settles one follow now; `final` when it has ended (the subscription is then pro rata). */
  async settle(row: FollowRow, final: boolean): Promise<Settled> {
    const { database, clock, trading } = this.deps;
    const leader = await findLeader(database.db, row.leader_id);
    if (!leader) throw new Error(`follow ${row.id} has no leader`);
    const ts = clock.now();
    const at = new Date(ts);
    const positions = (await positionsOf(database.db, [row.id])).get(row.id) ?? [];
    const realized = followExposure(row, positions, this.deps.pricing()).realizedPnl;
    const parties: FeeParties = {
      followId: row.id,
      followerAccountId: row.account_id,
      leaderAccountId: leader.payout_account_id,
      currency: row.currency,
    };
    const perf = settlePerformanceFee({
      ...parties,
      sharePct: Decimal.parse(row.performance_fee_pct),
      cumulativeRealizedPnl: realized,
      state: performanceState(row),
      ts,
    });
    const sub =
      row.subscription_amount !== null && row.subscription_period_ms !== null
        ? settleSubscription({
            ...parties,
            amountPerPeriod: Decimal.parse(row.subscription_amount),
            periodMs: Number(row.subscription_period_ms),
            state: subscriptionState(row),
            // An ended follow owes its subscription up to its end, however late it is paid.
            ts: final && row.ended_at ? Math.min(ts, new Date(row.ended_at).getTime()) : ts,
            final,
          })
        : undefined;
    const settlements: SettlementRow[] = [];
    const transfers: TransferInput[] = [];
    const base = {
      follow_id: row.id,
      leader_id: row.leader_id,
      currency: row.currency,
      from_account_id: row.account_id,
      to_account_id: leader.payout_account_id,
      final,
      settled_at: at,
    };
    if (perf.transaction) {
      transfers.push(toTransfer(perf.transaction, parties));
      settlements.push({
        ...base,
        id: perf.transaction.id,
        kind: 'performance',
        amount: perf.fee.toString(),
        cumulative_pnl: realized.toString(),
        high_water_mark: perf.state.highWaterMark.toString(),
        paid_through: null,
      });
    }
    if (sub?.transaction) {
      transfers.push(toTransfer(sub.transaction, parties));
      settlements.push({
        ...base,
        id: sub.transaction.id,
        kind: 'subscription',
        amount: sub.fee.toString(),
        cumulative_pnl: null,
        high_water_mark: null,
        paid_through: new Date(sub.state.paidThrough),
      });
    }
    const save = async (tx: Tx) => {
      await saveFeeState(tx, row, perf.state, sub?.state, at, final);
      await insertSettlements(tx, settlements);
    };
    if (transfers.length) await trading.postTransfers(transfers, save);
    else await database.db.transaction().execute(save);
    return { performanceFee: perf.fee, subscriptionFee: sub?.fee ?? Decimal.ZERO };
  }
}
