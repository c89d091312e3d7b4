import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { collectBusMetrics } from './create-bus.js';
import { describeError } from './inbox.js';
import type { Outbox } from './outbox.js';
import type { BusEvent, EventBus } from './types.js';

export interface OutboxRelayOptions {
  database: Database;
  bus: EventBus;
  outbox: Outbox;
  logger: Logger;
  metrics: Metrics;
  /** Polling interval when no commit nudges the relay (e.g. rows written by another process). */
  pollMs: number;
  batchSize?: number;
  /** Pipelined mode: events published but not yet handled before the relay waits (10,000). */
  maxInFlight?: number;
  /** Age after which inbox rows (`processed_events`) are deleted (7 days). */
  inboxRetentionMs?: number;
  /** How often the retention sweep runs (60 s); 0 turns it off. */
  sweepIntervalMs?: number;
  /** How often the outbox gauges are refreshed (1 s); 0 leaves it to `collectMetrics`. */
  statsIntervalMs?: number;
  /**
   * Locking mode: how long a row stays its committing process's to hand over before another
   * process's poll publishes it (5 s), as this relay sees it: rows it has seen in the table for
   * that long. A row left longer had its process die or fail.
   */
  handOverGraceMs?: number;
}

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  type: string;
  key: string | null;
  payload: unknown;
  ts_event: Date | string;
  ts_init: Date | string;
}

const COLUMNS = [
  'id',
  'event_id',
  'topic',
  'type',
  'key',
  'payload',
  'ts_event',
  'ts_init',
] as const;
const SWEEP_BATCH = 1000;
const HOUR = 3_600_000;

/**
 * Publishes committed outbox rows to the bus and deletes them once published: every row in
 * the table is one still to publish.
 *
 * Hand-over: the events of a commit made through `Outbox.transaction` (or `single`) are
 * published the moment it commits, from memory, with no read of the rows, and their rows are
 * deleted afterwards. Polling remains for the rest: rows left by an earlier run, appended outside
 * `Outbox.transaction`, or whatever a commit could not hand over. Order is kept by never letting
 * the two overtake each other: the relay starts `behind` (polling until the table has nothing
 * unpublished), and falls behind again when a hand-over would pass `maxInFlight` or a publish
 * fails; while behind, commits are left to the poll, which publishes in id order.
 *
 * Two modes, chosen from the backends:
 * - `locking` (PostgreSQL with Redis): relays in several processes share the outbox. A poll
 *   selects its batch `FOR UPDATE SKIP LOCKED`, publishes and deletes it in one transaction, so
 *   two polls never publish a row twice, and it leaves rows it has not yet seen in the table for
 *   `handOverGraceMs` to the process that committed them, which is handing them over. A hand-over costs the database one
 *   statement, the delete, rather than a transaction of four, and deletes of hand-overs that
 *   finish meanwhile join into one. A crash between a publish and its delete publishes the rows
 *   again, which the consumers' inbox absorbs: after the grace, from another process's poll,
 *   or at once from the next start's.
 * - `pipelined` (the embedded bus, or PGlite): no transaction is held while publishing — on
 *   PGlite it would hold the only connection that the handlers need — and the relay does not wait
 *   for one batch to be handled before publishing the next. The in-process bus resolves a
 *   publish only once every subscriber has handled or dead-lettered the batch, and only then are
 *   its rows deleted, so a crash loses nothing; meanwhile a subscriber stuck in backoff does not
 *   hold up the others. Rows in flight are remembered in memory (bounded by `maxInFlight`), which
 *   is correct for one relay per database — the embedded deployment. Several processes in this
 *   mode would each deliver every row to their own subscribers: still correct, since the inbox
 *   drops repeats, but duplicated work.
 */
export class OutboxRelay {
  readonly mode: 'locking' | 'pipelined';
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  /** Event ids published (or being published) and not yet deleted. */
  private readonly inFlight = new Set<string>();
  private readonly dispatches = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private running = false;
  private stopped = false;
  private pumping: Promise<void> | undefined;
  private again = false;
  private lock: Promise<unknown> = Promise.resolve();
  private failures = 0;
  private backoffUntil = 0;
  private readonly background = new Map<string, Promise<unknown>>();
  /** Pipelined: commits are left to the poll until it has caught up (see the class comment). */
  private behind = true;
  /** Pipelined: commits left to the poll so far; a poll that saw none arrive may catch up. */
  private leftToPoll = 0;
  /** Pipelined: the table may hold rows this relay has not been handed; poll at the next wake. */
  private pollDue = true;
  /** Appends outside `Outbox.transaction` so far. */
  private elsewhere = 0;
  private readonly graceMs: number;
  /** Locking: until then (Date.now), polls take every row: an append nobody hands over is due. */
  private freshUntil = 0;
  /** Locking: while behind, polls take every row (more of its own left than it could name). */
  private takeAll = false;
  /** Locking: this process's commits left to the poll while behind (bounded by `maxInFlight`). */
  private readonly ownLeft = new Set<string>();
  /**
   * Locking: the highest row id a poll has seen for at least the grace (or before this relay's
   * start): rows up to it are nobody's to hand over any more. Ages are measured by this relay's
   * own clock and the ids it saw, not by the rows' timestamps, which come from the committing
   * process's clock (another host's, or a simulated one).
   */
  private oldMaxId: bigint | undefined;
  /** Locking: the highest row id seen by each poll within the grace, oldest first. */
  private readonly recentMaxIds: Array<{ at: number; maxId: bigint }> = [];
  /** Locking: events handed over and not yet published, in commit order. */
  private handing: BusEvent[] = [];
  private handingOver: Promise<void> | undefined;
  /** Locking: event ids published by a hand-over whose rows are still to delete. */
  private readonly toDelete = new Set<string>();
  private deleting: Promise<void> | undefined;
  private deleteTimer: NodeJS.Timeout | undefined;
  private readonly deleteDelayMs: number;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.mode =
      opts.database.kind === 'postgres' && opts.bus.kind === 'redis' ? 'locking' : 'pipelined';
    this.batchSize = opts.batchSize ?? 500;
    this.maxInFlight = Math.max(this.batchSize, opts.maxInFlight ?? 10_000);
    this.graceMs = opts.handOverGraceMs ?? 5000;
    this.deleteDelayMs = Math.min(100, opts.pollMs);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.opts.outbox.onCommit({
      committed: (events) => this.committed(events),
      appendedElsewhere: () => this.appendedElsewhere(),
    });
    this.every(this.opts.pollMs, () => {
      this.pollDue = true;
      this.wake();
    });
    const statsMs = this.opts.statsIntervalMs ?? 1000;
    if (statsMs > 0)
      this.every(statsMs, () => this.inBackground('stats', () => this.updateOutboxStats()));
    const sweepMs = this.opts.sweepIntervalMs ?? 60_000;
    if (sweepMs > 0)
      this.every(sweepMs, () => this.inBackground('sweep', () => this.sweepRetention()));
    this.wake();
  }

  /** Stops after the current batch. Rows still in flight are left for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.pumping;
    await this.lock;
    await this.handingOver;
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    await this.deleting;
    // What was published is deleted now rather than published again by the next start.
    this.deleteHandedOver();
    await this.deleting;
    await Promise.allSettled([...this.background.values()]);
  }

  /**
   * Publishes until the outbox is empty and every event in flight is handled, or the time is up;
   * true when empty. Used on graceful shutdown, and by tools that need events out now.
   *
   * In locking mode, "empty" is this relay's part of it: its hand-overs published and their rows
   * deleted, its own rows left to the poll published (or held by another relay's poll, which
   * publishes them), and no row past the grace left. Rows that other processes are handing over
   * are theirs to finish; waiting for a table that busy processes keep writing to would hold a
   * shutdown until its timeout.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stopped && Date.now() < deadline) {
      let published = 0;
      try {
        published = await this.runCycle(true);
      } catch (err) {
        this.opts.logger.warn(
          { at: 'relay#flush', error: describeError(err) },
          'outbox flush cycle failed',
        );
      }
      if (published > 0) continue;
      if (this.mode === 'locking') {
        // Published rows need not wait for the delete's timer.
        this.deleteHandedOver();
        if (this.inFlight.size === 0 && !this.behind) return true;
      } else if (this.inFlight.size === 0 && !(await this.hasUnpublished())) return true;
      await this.settleOrWait(Math.min(50, deadline - Date.now()));
    }
    return false;
  }

  /** Refreshes the outbox gauges and the bus's consumer and dead-letter gauges (for /metrics). */
  async collectMetrics(): Promise<void> {
    await Promise.all([
      this.updateOutboxStats(),
      collectBusMetrics(this.opts.bus, this.opts.metrics),
    ]);
  }

  /**
   * Deletes inbox rows past their retention, a batch at a time. On PGlite, which runs without
   * autovacuum, it then vacuums the outbox: every published event leaves a dead row there, and
   * the poll's index scan would otherwise walk them all.
   */
  async sweepRetention(): Promise<{ inbox: number }> {
    const { database } = this.opts;
    const db = database.db;
    const inboxAge = this.opts.inboxRetentionMs ?? 7 * 24 * HOUR;
    const inbox = await this.deleteInBatches((limit) =>
      sql`delete from processed_events where (consumer, event_id) in (
        select consumer, event_id from processed_events
        where processed_at < now() - ${inboxAge}::bigint * interval '1 millisecond' limit ${limit})`.execute(
        db,
      ),
    );
    if (database.kind === 'pglite' && !this.stopped)
      await sql`vacuum outbox, processed_events`.execute(db);
    if (inbox) this.opts.logger.debug({ at: 'relay#sweep', inbox }, 'retention sweep');
    return { inbox };
  }

  /** A commit of this process's outbox: hand its events over, or leave them to the poll. */
  private committed(events: readonly BusEvent[]): void {
    if (!this.running) return;
    if (!this.behind && this.inFlight.size + events.length <= this.maxInFlight) {
      if (this.mode === 'pipelined') this.dispatch(events, true);
      else this.handOver(events);
      return;
    }
    this.behind = true;
    this.leftToPoll += 1;
    this.pollDue = true;
    if (this.mode === 'locking') this.leaveToPoll(events);
    this.wake();
  }

  /** Locking: remembers whose rows these are, so the poll takes them despite their youth. */
  private leaveToPoll(events: readonly BusEvent[]): void {
    if (this.ownLeft.size + events.length > this.maxInFlight) {
      // Too many to name: the poll takes every row until caught up, at the risk of publishing
      // again a row another process is handing over (which the inbox absorbs).
      this.ownLeft.clear();
      this.takeAll = true;
      return;
    }
    for (const e of events) this.ownLeft.add(e.eventId);
  }

  private appendedElsewhere(): void {
    this.elsewhere += 1;
    // Nobody hands these rows over, and their transaction commits some time after this: polls
    // take every row for a while rather than leave them to the grace.
    this.freshUntil = Date.now() + this.graceMs;
  }

  private wake(): void {
    if (!this.running || Date.now() < this.backoffUntil) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again) this.wake();
    });
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        const published = await this.runCycle(false);
        if (published > 0) this.again = true;
      } while (this.again && this.running);
      this.failures = 0;
    } catch (err) {
      this.again = false;
      this.failures += 1;
      this.pollDue = true;
      const wait = Math.min(5000, this.opts.pollMs * 2 ** Math.min(this.failures, 10));
      this.backoffUntil = Date.now() + wait;
      this.opts.logger.warn(
        { at: 'relay#pump', error: describeError(err), retryInMs: wait },
        'outbox relay cycle failed',
      );
    }
  }

  /** One cycle at a time, whoever asks (the loop or a flush). */
  private runCycle(force: boolean): Promise<number> {
    const next = this.lock.then(() => {
      if (this.mode === 'pipelined') return this.pipelinedCycle(force);
      // Deletes a failed hand-over left wait for the next poll tick, not for the next commit.
      if (this.pollDue) this.deleteHandedOver();
      return this.lockedCycle(force);
    });
    this.lock = next.catch(() => {});
    return next;
  }

  /**
   * A poll in locking mode: one transaction selects a batch `FOR UPDATE SKIP LOCKED`, publishes
   * it and deletes it. Rows this relay has not yet seen in the table for the grace are left to
   * the hand-over of the process that committed them (a flush waits for none of them), except
   * this process's own left to the poll, and every row while an append may be due.
   */
  private async lockedCycle(force: boolean): Promise<number> {
    if (!force && !this.pollDue) return 0;
    this.pollDue = false;
    const now = Date.now();
    const everything = now < this.freshUntil || (this.behind && this.takeAll);
    const left = this.leftToPoll;
    const own = [...this.ownLeft];
    const { database, bus, metrics, outbox } = this.opts;
    const taken = await database.db.transaction().execute(async (tx) => {
      const top = await tx
        .selectFrom('outbox')
        .select((eb) => eb.fn.max('id').as('max'))
        .executeTakeFirst();
      const cutoff = this.oldEnough(now, BigInt((top?.max as string | null) ?? 0));
      let q = tx
        .selectFrom('outbox')
        .select(COLUMNS)
        .orderBy('id')
        // Rows this process is handing over are skipped below; look past them.
        .limit(this.batchSize + this.inFlight.size)
        .forUpdate()
        .skipLocked();
      if (!everything)
        q = q.where((eb) =>
          own.length
            ? eb.or([
                eb('id', '<=', cutoff.toString()),
                eb(
                  'event_id',
                  'in',
                  sql<string>`(select value::uuid from json_array_elements_text(${JSON.stringify(own)}::json))`,
                ),
              ])
            : eb('id', '<=', cutoff.toString()),
        );
      const rows = ((await q.execute()) as OutboxRow[])
        .filter((r) => !this.inFlight.has(r.event_id) && !outbox.pending(r.event_id))
        .slice(0, this.batchSize);
      if (!rows.length) return rows;
      await bus.publish(rows.map(toEvent));
      await deletePublished(
        tx,
        rows.map((r) => r.id),
      );
      return rows;
    });
    metrics.outboxPublished.inc(taken.length);
    if (taken.length) {
      for (const r of taken) this.ownLeft.delete(r.event_id);
      this.pollDue = true;
    } else if (this.behind && left === this.leftToPoll) {
      // Caught up: no commit was left to the poll while it looked.
      this.behind = false;
      this.takeAll = false;
      this.ownLeft.clear();
    } else if (this.behind) this.pollDue = true;
    return taken.length;
  }

  /**
   * Records the highest row id a poll sees now, and returns the highest seen at least the grace
   * ago: rows up to it have waited long enough for their process's hand-over. What the first
   * poll sees was there before this relay started, so it is old at once.
   */
  private oldEnough(now: number, maxId: bigint): bigint {
    if (this.oldMaxId === undefined) {
      this.oldMaxId = maxId;
      return maxId;
    }
    this.recentMaxIds.push({ at: now, maxId });
    while (this.recentMaxIds.length && this.recentMaxIds[0]!.at <= now - this.graceMs) {
      const { maxId: seen } = this.recentMaxIds.shift()!;
      if (seen > this.oldMaxId) this.oldMaxId = seen;
    }
    return this.oldMaxId;
  }

  /**
   * Locking mode: publishes a commit's events from memory, one hand-over at a time so that
   * commits leave in the order they committed; those committed meanwhile go together next.
   */
  private handOver(events: readonly BusEvent[]): void {
    for (const e of events) {
      this.inFlight.add(e.eventId);
      this.handing.push(e);
    }
    this.handingOver ??= this.handOverAll().finally(() => (this.handingOver = undefined));
  }

  private async handOverAll(): Promise<void> {
    while (this.handing.length && !this.stopped) {
      const batch = this.handing.splice(0, this.batchSize);
      try {
        await this.opts.bus.publish(batch);
      } catch (err) {
        // What was handed over after these must not overtake them: the poll publishes them all,
        // in id order, once the bus takes them again.
        const dropped = [...batch, ...this.handing.splice(0)];
        for (const e of dropped) this.inFlight.delete(e.eventId);
        this.behind = true;
        this.pollDue = true;
        this.leaveToPoll(dropped);
        this.opts.logger.warn(
          { at: 'relay#handOver', error: describeError(err) },
          'publish failed; the poll takes over',
        );
        this.wake();
        return;
      }
      for (const e of batch) this.toDelete.add(e.eventId);
      this.deleteSoon();
    }
    for (const e of this.handing.splice(0)) this.inFlight.delete(e.eventId);
  }

  /**
   * Published rows are deleted a little later, many hand-overs' in one statement: a delete per
   * hand-over would cost the database a commit, and each process a round trip, per batch of
   * events. Meanwhile the rows are in flight, so this process's poll leaves them alone, and other
   * processes' polls leave them to the grace.
   */
  private deleteSoon(): void {
    if (this.toDelete.size >= this.batchSize) {
      this.deleteHandedOver();
      return;
    }
    if (this.deleteTimer) return;
    this.deleteTimer = setTimeout(() => {
      this.deleteTimer = undefined;
      this.deleteHandedOver();
    }, this.deleteDelayMs);
    this.deleteTimer.unref?.();
  }

  /**
   * Deletes the rows of published hand-overs, all that are waiting in one statement, one
   * statement at a time. A failed delete is retried with the next; meanwhile the rows stay in
   * flight, so this process's poll does not publish them again.
   */
  private deleteHandedOver(): void {
    if (this.deleting || !this.toDelete.size) return;
    const ids = [...this.toDelete];
    this.toDelete.clear();
    this.deleting = deleteHandedOver(this.opts.database.db, ids)
      .then(
        () => {
          for (const id of ids) this.inFlight.delete(id);
          this.opts.metrics.outboxPublished.inc(ids.length);
          return true;
        },
        (err: unknown) => {
          for (const id of ids) this.toDelete.add(id);
          if (!this.stopped)
            this.opts.logger.warn(
              { at: 'relay#handOver', error: describeError(err) },
              'deleting published rows failed; retried with the next',
            );
          return false;
        },
      )
      .then((deleted) => {
        this.deleting = undefined;
        // After a failure, the next try waits for the next hand-over or poll tick rather than
        // spinning on a database that is down.
        if (deleted && !this.stopped) this.deleteSoon();
      });
  }

  /** Polls the table for rows nobody handed over (see the class comment). */
  private async pipelinedCycle(force: boolean): Promise<number> {
    if (!force && !this.pollDue) return 0;
    this.pollDue = false;
    if (this.inFlight.size >= this.maxInFlight) {
      // A dispatch that finishes wakes the relay again.
      this.pollDue = true;
      return 0;
    }
    const left = this.leftToPoll;
    const rows = await this.selectFresh();
    if (!rows.length) {
      // Caught up only if no commit was left to the poll while it looked.
      if (this.behind && left === this.leftToPoll) this.behind = false;
      else if (this.behind) this.pollDue = true;
      return 0;
    }
    this.pollDue = true;
    this.dispatch(rows.map(toEvent), false);
    return rows.length;
  }

  /**
   * Publishes events and, once every subscriber has handled them, deletes their rows. Rows of a
   * failed publish stay unpublished for the next poll.
   */
  private dispatch(events: readonly BusEvent[], handedOver: boolean): void {
    const ids = events.map((e) => e.eventId);
    for (const id of ids) this.inFlight.add(id);
    const elsewhere = this.elsewhere;
    const dispatch = this.opts.bus
      .publish(events as BusEvent[])
      .then(async () => {
        // After stop() the database may be closing; rows left are simply published again.
        if (this.stopped) return;
        await deletePublishedByEventId(this.opts.database.db, ids);
        this.opts.metrics.outboxPublished.inc(ids.length);
      })
      .catch((err: unknown) => {
        // What was handed over after these must not overtake them: poll from here on.
        if (handedOver) this.behind = true;
        if (!this.stopped)
          this.opts.logger.warn(
            { at: 'relay#dispatch', error: describeError(err) },
            'publish failed',
          );
      })
      .finally(() => {
        for (const id of ids) this.inFlight.delete(id);
        this.dispatches.delete(dispatch);
        // A handler appended events in its own transaction, committed by now: only a poll
        // finds them.
        if (this.behind || this.elsewhere !== elsewhere) this.pollDue = true;
        if (this.pollDue) this.wake();
      });
    this.dispatches.add(dispatch);
  }

  /** Unpublished rows not in flight nor about to be handed over, oldest first. */
  private async selectFresh(): Promise<OutboxRow[]> {
    const db = this.opts.database.db;
    const base = () => db.selectFrom('outbox').orderBy('id');
    const outbox = this.opts.outbox;
    // Rows in flight are still unpublished and come first; skip them before loading payloads.
    const candidates = (await base()
      .select(['id', 'event_id'])
      .limit(this.batchSize + this.inFlight.size)
      .execute()) as Array<{ id: string; event_id: string }>;
    const fresh = candidates
      .filter((r) => !this.inFlight.has(r.event_id) && !outbox.pending(r.event_id))
      .slice(0, this.batchSize)
      .map((r) => r.id);
    if (!fresh.length) return [];
    return (await base().select(COLUMNS).where('id', 'in', fresh).execute()) as OutboxRow[];
  }

  private async hasUnpublished(): Promise<boolean> {
    const row = await this.opts.database.db
      .selectFrom('outbox')
      .select('id')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  private async updateOutboxStats(): Promise<void> {
    const row = (await this.opts.database.db
      .selectFrom('outbox')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('ts_init').as('oldest')])
      .executeTakeFirstOrThrow()) as { n: string | number; oldest: Date | string | null };
    const { metrics } = this.opts;
    metrics.outboxPending.set(Number(row.n));
    metrics.outboxLagSeconds.set(
      row.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0,
    );
  }

  private async deleteInBatches(
    run: (limit: number) => Promise<{ numAffectedRows?: bigint }>,
  ): Promise<number> {
    let total = 0;
    // Bounded per sweep so a large backlog is worked off over several sweeps, never in one long lock.
    for (let i = 0; i < 50 && !this.stopped; i++) {
      const n = Number((await run(SWEEP_BATCH)).numAffectedRows ?? 0);
      total += n;
      if (n < SWEEP_BATCH) break;
    }
    return total;
  }

  private async settleOrWait(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((r) => (timer = setTimeout(r, Math.max(1, ms))));
    await Promise.race([wait, ...this.dispatches]);
    clearTimeout(timer);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref?.();
    this.timers.push(t);
  }

  /** Runs periodic upkeep, one of each at a time, logging rather than throwing. */
  private inBackground(name: string, fn: () => Promise<unknown>): void {
    if (!this.running || this.background.has(name)) return;
    const p = fn()
      .catch((err: unknown) =>
        this.opts.logger.warn(
          { at: 'relay#upkeep', task: name, error: describeError(err) },
          'relay upkeep failed',
        ),
      )
      .finally(() => this.background.delete(name));
    this.background.set(name, p);
  }
}

function toEvent(r: OutboxRow): BusEvent {
  return {
    eventId: r.event_id,
    topic: r.topic,
    type: r.type,
    key: r.key,
    payload: r.payload,
    tsEvent: new Date(r.ts_event).getTime(),
    tsInit: new Date(r.ts_init).getTime(),
  };
}

/** Deletes published rows by event id, all in one statement (the ids as one JSON parameter). */
async function deletePublishedByEventId(db: Executor, eventIds: string[]): Promise<void> {
  await sql`delete from outbox
    where event_id in (select value::uuid from json_array_elements_text(${JSON.stringify(eventIds)}::json))`.execute(
    db,
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Deletes handed-over rows (PostgreSQL) in one round trip whose commit does not wait for the
 * write-ahead log to reach the disk: losing the delete in a server crash only publishes the rows
 * again, which the inbox absorbs, while waiting would make it cost as much as the commit of the
 * write that the rows came from. `SET LOCAL` needs a transaction, and the simple protocol runs a
 * query string of several statements as one, but takes no parameters: the ids go inline, each
 * checked to be a UUID (as the column is).
 */
async function deleteHandedOver(db: Executor, eventIds: string[]): Promise<void> {
  const list = eventIds.filter((id) => UUID.test(id));
  if (!list.length) return;
  await sql
    .raw(
      `set local synchronous_commit = off; delete from outbox where event_id in ('${list.join("','")}')`,
    )
    .execute(db);
}

async function deletePublished(db: Executor, ids: string[]): Promise<void> {
  await db.deleteFrom('outbox').where('id', 'in', ids).execute();
}
