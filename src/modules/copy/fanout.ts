/**
 * The fan-out of one leader fill: every live follow of the leader is planned by the domain's
 * `planCopyOrders`, its order placed through `TradingService.placeMany` (group-committed by
 * the venue), and an outcome recorded per follow in copy_trades. Follows go a chunk at a time,
 * the first one small so that the first copy leaves at once; while a chunk is on the venue the
 * next is planned.
 *
 * Idempotency: each copy's client order id is `copyClientOrderId(fill, follow)`, so placing it
 * again returns the order already placed, and copy_trades takes one row per (fill, follow).
 * Crash safety: the fan-out itself was recorded with the consumed event; a fan-out that stops
 * making progress is resumed (`recover`), which first looks up the orders of follows without a
 * row (placed, then the process died) and records them as they are, then plans the rest.
 */
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { PlaceRequest, TradingService } from '../trading/index.js';
import {
  copyClientOrderId,
  planCopyOrders,
  type CopyDecision,
  type CopyOrderIntent,
  type LeaderStatus,
  type LeaderTrade,
  type LeaderView,
} from './domain/index.js';
import { followerContext, type Pricing } from './context.js';
import type { CopyPosition } from './positions.js';
import {
  fromOutcome,
  placed,
  recordTrades,
  skipped,
  type Recorded,
  type TradeBase,
} from './record.js';
import { leaderStatus, type FollowRow } from './store.js';
import {
  fixLeaderEquity,
  followsWithPositions,
  leadersOfAccount,
  recordedFollows,
  stalledFanouts,
  touchFanout,
  type Fanout,
} from './store-fanout.js';

/**
 * Follows of the first chunk: so few that the first copies are not kept waiting while more are
 * planned and written (the first copy came about 1.8 ms sooner than with 8, the fan-out's end
 * no later).
 */
const FIRST_CHUNK = 2;
/** How long reads made ahead of a fan-out (`prefetch`) may be used for it. */
const EARLY_MS = 2000;

/** What a fan-out reads before it places anything: the leader's status and the first follows. */
interface FirstReads {
  status: LeaderStatus | undefined;
  page: Array<{ row: FollowRow; positions: CopyPosition[] }>;
}

export interface FanoutDeps {
  database: Database;
  trading: TradingService;
  pricing: () => Pricing;
  clock: Clock;
  logger: Logger;
  chunk: number;
  /** Told of follows whose copied positions moved, with all their positions after the move. */
  onPositions?: (rows: FollowRow[], positions: Map<string, CopyPosition[]>) => void;
}

/** Work per leader runs one task at a time, so a follow's copies of one leader never overlap. */
export class Lanes {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly started = new Map<string, number>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(() => {
      this.started.set(key, this.startedCount(key) + 1);
      return task();
    });
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Whether a task of this key is running or queued. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Tasks of this key started so far. */
  startedCount(key: string): number {
    return this.started.get(key) ?? 0;
  }

  /** Resolves when every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all(this.tails.values());
  }
}

export const intentInput = (i: CopyOrderIntent) => ({
  accountId: i.accountId,
  symbol: i.symbol,
  side: i.side,
  type: i.type,
  quantity: i.quantity.toString(),
  price: i.price.toString(),
  timeInForce: i.timeInForce,
  postOnly: i.postOnly,
  reduceOnly: i.reduceOnly,
  clientOrderId: i.clientOrderId,
});

export class FanoutExecutor {
  readonly lanes = new Lanes();
  private readonly running = new Set<string>();
  private readonly early = new Map<
    string,
    { at: number; started: number; reads: Promise<FirstReads> }
  >();
  /** Called when the first chunk of a fan-out has been placed (for benchmarks and metrics). */
  onFirstOrders: ((f: Fanout, placedAtMs: number) => void) | undefined;

  constructor(private readonly deps: FanoutDeps) {}

  /** Queues a fan-out behind the leader's earlier work; resolves when it is done. */
  submit(f: Fanout, resumed = false): Promise<void> {
    const key = `${f.leaderFillId}|${f.leaderId}`;
    this.running.add(key);
    return this.lanes
      .run(f.leaderId, () => this.run(f, resumed))
      .catch((err: unknown) => {
        this.deps.logger.error(
          { at: 'copy#fanout', err, fill: f.leaderFillId, leader: f.leaderId },
          'fan-out left unfinished; it is resumed later',
        );
      })
      .finally(() => this.running.delete(key));
  }

  /**
   * Starts the reads a fan-out of this account's fill begins with, while the fill's consumer is
   * still recording it: they are on the path from the leader's fill to the first copy. Only for
   * a leader with no work under way, whose copied positions cannot move before the fan-out.
   */
  prefetch(accountId: string): void {
    const db = this.deps.database.db;
    const at = performance.now();
    leadersOfAccount(db, accountId).then(
      (leaders) => {
        for (const id of leaders) {
          if (this.lanes.busy(id)) continue;
          const reads = this.firstReads(id, Math.min(FIRST_CHUNK, this.deps.chunk));
          // A failed read is read again by the fan-out itself.
          reads.catch(() => {});
          this.early.set(id, { at, started: this.lanes.startedCount(id), reads });
        }
      },
      () => {},
    );
  }

  private async firstReads(leaderId: string, limit: number): Promise<FirstReads> {
    const db = this.deps.database.db;
    const [status, page] = await Promise.all([
      leaderStatus(db, leaderId),
      followsWithPositions(db, leaderId, { limit }),
    ]);
    return { status, page };
  }

  /**
   * Reads made ahead for this fan-out, if recent and if no other work of the leader (another
   * fan-out, a close) ran since, else read now. Called from inside the fan-out's lane task.
   */
  private async takeFirstReads(leaderId: string, limit: number): Promise<FirstReads> {
    const early = this.early.get(leaderId);
    this.early.delete(leaderId);
    const fresh =
      early &&
      performance.now() - early.at < EARLY_MS &&
      this.lanes.startedCount(leaderId) === early.started + 1;
    if (fresh) {
      const reads = await early.reads.catch(() => undefined);
      if (reads) return reads;
    }
    return this.firstReads(leaderId, limit);
  }

  /** Resumes fan-outs no process has moved on for `idleMs`; returns how many. */
  async recover(idleMs: number): Promise<number> {
    const stalled = await stalledFanouts(this.deps.database.db, idleMs);
    const mine = stalled.filter((f) => !this.running.has(`${f.leaderFillId}|${f.leaderId}`));
    for (const f of mine) void this.submit(f, true);
    return mine.length;
  }

  private async run(f: Fanout, resumed: boolean): Promise<void> {
    const { database, trading } = this.deps;
    const db = database.db;
    let size = Math.min(FIRST_CHUNK, this.deps.chunk);
    const [{ status, page: firstPage }, recorded] = await Promise.all([
      resumed ? this.firstReads(f.leaderId, size) : this.takeFirstReads(f.leaderId, size),
      resumed ? recordedFollows(db, f.leaderFillId, f.leaderId) : new Set<string>(),
    ]);
    if (status === undefined) return touchFanout(db, f, true);
    let equity = f.leaderEquity;
    let fixed: Promise<unknown> = Promise.resolve();
    if (equity === undefined) {
      const state = (await trading.accountStates([f.leaderAccountId])).get(f.leaderAccountId);
      equity = state?.equity ?? equity;
      // Stored beside the fan-out so that a resumed one sizes the rest against the same figure.
      if (equity !== undefined) {
        fixed = fixLeaderEquity(db, f, equity).then(
          (e) => (equity = e),
          (err: unknown) =>
            this.deps.logger.warn({ at: 'copy#fanout', err }, 'leader equity not stored'),
        );
      }
      if (resumed) await fixed;
    }
    const trade: LeaderTrade = {
      fill: {
        id: f.leaderFillId,
        accountId: f.leaderAccountId,
        venue: f.venue,
        symbol: f.symbol,
        side: f.side,
        price: f.price,
        quantity: f.quantity,
      },
      positionBefore: f.positionBefore,
      equity: equity ?? Decimal.ZERO,
      fromCopyOrder: false,
    };
    const leader: LeaderView = { id: f.leaderId, status };
    const recording: Array<Promise<boolean>> = [];
    const inFlight: Array<Promise<unknown>> = [];
    let page = firstPage;
    for (let first = true; ; first = false) {
      const unrecorded = page.filter((p) => !recorded.has(p.row.id));
      if (unrecorded.length) {
        // One chunk on the venue while the next is planned, no more: planning is CPU work on
        // the thread that also has to hear the venue's commits.
        if (inFlight.length >= 2) await inFlight.shift();
        const { placing } = await this.chunk(f, trade, leader, unrecorded, resumed);
        const settled = placing.then(
          () => undefined,
          () => undefined,
        );
        inFlight.push(settled);
        if (first) {
          // The first chunk is small so that the first copies leave at once; nothing else is
          // planned until they have.
          await settled;
          this.onFirstOrders?.(f, performance.timeOrigin + performance.now());
        }
        recording.push(
          placing
            .then((record) => record())
            .catch((err: unknown) => {
              this.deps.logger.warn(
                { at: 'copy#fanout', err, fill: f.leaderFillId },
                'copies of a chunk not recorded',
              );
              return false;
            }),
        );
      }
      if (page.length < size) break;
      const afterId = page.at(-1)!.row.id;
      size = this.deps.chunk;
      page = await followsWithPositions(db, f.leaderId, { afterId, limit: size });
    }
    await fixed;
    const done = await Promise.all(recording);
    if (done.every(Boolean)) await touchFanout(db, f, true);
    else throw new Error('some copies have no known outcome yet');
  }

  /**
   * Plans a chunk and hands its orders to the venue without waiting for them. `placing`
   * resolves once they are placed, to the step that records them (true when every follow of
   * the chunk got its row).
   */
  private async chunk(
    f: Fanout,
    trade: LeaderTrade,
    leader: LeaderView,
    items: Array<{ row: FollowRow; positions: CopyPosition[] }>,
    resumed: boolean,
  ): Promise<{ placing: Promise<() => Promise<boolean>> }> {
    const { trading, database } = this.deps;
    const rows = items.map((i) => i.row);
    const positions = new Map(items.map((i) => [i.row.id, i.positions]));
    const states = await trading.accountStates(rows.map((r) => r.account_id));
    // Followers trading on an exchange are sized by that exchange's rules.
    if (rows.some((r) => r.venue !== 'paper'))
      await trading.loadExchangeInstruments(
        rows.filter((r) => r.venue !== 'paper').map((r) => r.account_id),
      );
    const at = this.deps.clock.date();
    const done: Recorded[] = [];
    let unplaced = rows;
    if (resumed) {
      // Placed before a crash but not recorded: record the order as it is, never re-plan it.
      const ids = rows.map((r) => [r.account_id, copyClientOrderId(f.leaderFillId, r.id)] as const);
      const found = await trading.ordersByClientIds(ids);
      unplaced = rows.filter((r, i) => {
        const o = found.get(`${ids[i]![0]}|${ids[i]![1]}`);
        if (o) done.push(placed(this.base(f, r), o.order, o.filledNotional, at, f.fillTs));
        return !o;
      });
    }
    const pricing = this.deps.pricing();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const decisions = planCopyOrders(
      trade,
      leader,
      unplaced.map((r) =>
        followerContext(
          r,
          f.symbol,
          f.side,
          positions.get(r.id) ?? [],
          states.get(r.account_id),
          pricing,
        ),
      ),
    );
    const orders = decisions.filter((d) => d.kind === 'order');
    const requests: PlaceRequest[] = orders.map((d) => ({
      userId: byId.get(d.followId)!.follower_user_id,
      input: intentInput(d.intent),
    }));
    const placing = trading.placeMany(requests).then((outcomes) => async () => {
      let complete = true;
      const rowsOut = [...done];
      for (const d of decisions) {
        if (d.kind === 'skip') rowsOut.push(skipped(this.base(f, byId.get(d.followId)!, d), at));
      }
      orders.forEach((d, i) => {
        const r = fromOutcome(this.base(f, byId.get(d.followId)!, d), outcomes[i]!, at, f.fillTs);
        if (r) rowsOut.push(r);
        else complete = false;
      });
      const moved = await recordTrades(database, rowsOut, at, (tx) => touchFanout(tx, f, false));
      if (moved.size)
        this.deps.onPositions?.(
          [...moved.keys()].map((id) => byId.get(id)!),
          moved,
        );
      return complete;
    });
    return { placing };
  }

  private base(f: Fanout, r: FollowRow, d?: CopyDecision): TradeBase {
    const order = d?.kind === 'order' ? d : undefined;
    return {
      follow_id: r.id,
      leader_id: f.leaderId,
      kind: 'copy',
      leader_fill_id: f.leaderFillId,
      action: d?.action ?? (f.side === 'buy' ? 'open' : 'close'),
      symbol: f.symbol,
      side: f.side,
      leader_price: f.price.toString(),
      leader_quantity: f.quantity.toString(),
      leader_ts: new Date(f.fillTs).toISOString(),
      reason: d?.kind === 'skip' ? d.reason : null,
      message: d?.kind === 'skip' ? d.message : null,
      capped_by: order?.cappedBy ?? null,
      target_quantity: order ? order.target.toString() : null,
      client_order_id: order ? order.intent.clientOrderId : null,
      quantity: order ? order.intent.quantity.toString() : null,
      limit_price: order ? order.intent.price.toString() : null,
    };
  }
}
