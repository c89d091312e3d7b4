import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { retryDelay } from './backoff.js';
import { deliverBatch, deliverOnce, describeError, type ConsumerTransaction } from './inbox.js';
import { decodeEvent, encodeDeadLetter, parseReadReply, type RawEntry } from './redis-codec.js';
import { groupsOf, lanesOf, plainEvent, type Work } from './redis-lanes.js';
import type { BusEvent, ConsumerSpec } from './types.js';

/** What every consumer of one `RedisBus` shares. */
export interface ConsumerContext {
  cmd: Redis;
  /** Opens the consumer's own connection for blocking reads. */
  connectBlocking(): Redis;
  db: Db;
  /** How a delivery's transaction runs (through the outbox, see `consumerTransaction`). */
  transaction: ConsumerTransaction;
  logger: Logger;
  metrics: Metrics;
  consumerName: string;
  maxAttempts: number;
  retryBaseMs: number;
  claimIdleMs: number;
  readCount: number;
  blockMs: number;
  /** Events of one read batch handled at once, in lanes by event key. */
  concurrency: number;
  deadKey: string;
  deadMaxLen: number;
  streamKey(topic: string): string;
}

interface Failure {
  stream: string;
  /** Deliveries so far (the one that failed included). */
  attempts: number;
  delay: number;
  dueAt: number;
}

const PAGE = 100;

type Planned = Work & { event: BusEvent };

/**
 * One consumer group (named after the ConsumerSpec) read by this process as one consumer.
 *
 * Reads block on a dedicated connection. A failed event stays pending with this consumer and is
 * taken again by the sweep once its backoff has passed (`XCLAIM` to ourselves, which also bumps
 * Redis's delivery counter). The sweep also claims entries that another consumer has left idle
 * for `claimIdleMs` — a process that died mid-batch — so nothing read is ever lost. An event is
 * dead-lettered, atomically with its acknowledgement, when it fails its last allowed delivery or
 * arrives with more deliveries than allowed (a poison event that keeps killing its consumers).
 *
 * A consumer with `handleBatch` handles what one read returned in one transaction and
 * acknowledges it with one XACK per stream. If that transaction fails, the same entries go
 * through the one-at-a-time path below as this same delivery, so each keeps all its attempts
 * and a poison event is retried and dead-lettered alone. Retries and claimed entries always
 * take the one-at-a-time path.
 */
export class RedisConsumer {
  private readonly streams: string[];
  private readonly blocking: Redis;
  private readonly failures = new Map<string, Failure>();
  private readonly inFlight = new Set<string>();
  /** Acknowledgements sent and not yet answered (see `ackLater`). */
  private readonly acking = new Set<Promise<void>>();
  private stopping = false;
  private reading: Promise<void> | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private wakePause: (() => void) | undefined;
  private readonly maxBatch: number;
  /** Fewest events for a group of their own when a read is split (a quarter of `maxBatch`). */
  private readonly minGroup: number;
  /** Entries per read: a batch consumer takes enough for each of its groups to fill a batch. */
  private readonly readCount: number;

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly ctx: ConsumerContext,
  ) {
    this.streams = [...new Set(spec.topics)].map((t) => ctx.streamKey(t));
    this.blocking = ctx.connectBlocking();
    this.maxBatch = Math.max(1, spec.maxBatch ?? 100);
    this.minGroup = Math.max(1, Math.floor(this.maxBatch / 4));
    this.readCount = spec.handleBatch
      ? Math.max(ctx.readCount, this.maxBatch * ctx.concurrency)
      : ctx.readCount;
  }

  get name(): string {
    return this.spec.name;
  }

  get topics(): string[] {
    return this.spec.topics;
  }

  async start(): Promise<void> {
    await this.createGroups();
    this.reading = this.readLoop();
    this.scheduleSweep(0);
  }

  /** Stops reading, finishes the entries already taken, and leaves the group if nothing is pending. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    this.wakePause?.();
    // A blocked XREADGROUP would hold shutdown for up to blockMs; dropping the socket ends it now.
    this.blocking.disconnect();
    await this.reading;
    await this.sweeping;
    await Promise.allSettled([...this.acking]);
    if (this.ctx.cmd.status === 'ready') await this.leaveGroupIfIdle().catch(() => {});
  }

  private async createGroups(): Promise<void> {
    for (const stream of this.streams) {
      try {
        // From the start of the stream: events published before the first subscriber (say, by
        // an api process started first) still reach the group; the inbox drops any repeat.
        await this.ctx.cmd.call('XGROUP', 'CREATE', stream, this.spec.name, '0', 'MKSTREAM');
      } catch (err) {
        if (!/BUSYGROUP/.test(describeError(err))) throw err;
      }
    }
  }

  private async readLoop(): Promise<void> {
    const { blockMs, consumerName, logger } = this.ctx;
    const readCount = this.readCount;
    while (!this.stopping) {
      let reply: unknown;
      try {
        reply = await this.blocking.call(
          'XREADGROUP',
          'GROUP',
          this.spec.name,
          consumerName,
          'COUNT',
          readCount,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...this.streams,
          ...this.streams.map(() => '>'),
        );
      } catch (err) {
        if (this.stopping) return;
        const error = describeError(err);
        logger.warn({ at: 'bus#read', consumer: this.spec.name, error }, 'stream read failed');
        // The stream or group vanished (a flushed or restored Redis): recreate and go on.
        if (/NOGROUP/.test(error)) await this.createGroups().catch(() => {});
        await this.pause(1000);
        continue;
      }
      // Entries already taken are finished even when stopping, so that a graceful shutdown
      // does not leave them for another process to claim only after claimIdleMs.
      await this.processBatch(parseReadReply(reply));
    }
  }

  /**
   * Handles a read batch. Entries the consumer's `accepts` refuses are acknowledged together,
   * with one XACK per stream. With `handleBatch`, the rest go through one transaction (see
   * `processTogether`); what is left is handled in lanes: entries with the same event key stay
   * in stream order, one after another, while different keys run side by side (up to
   * `concurrency` transactions). Ordering is thus promised per key, the same promise
   * partitioned brokers make.
   */
  private async processBatch(batch: Array<{ stream: string; entries: RawEntry[] }>): Promise<void> {
    const work: Work[] = [];
    const refused: Work[] = [];
    for (const { stream, entries } of batch) {
      for (const entry of entries) {
        const event = plainEvent(entry, this.spec.name);
        if (event && this.refuses(event)) refused.push({ stream, entry });
        else work.push({ stream, entry, event });
      }
    }
    if (refused.length && (await this.ackMany(refused)))
      this.ctx.metrics.eventsHandled.inc(
        { consumer: this.spec.name, outcome: 'skipped' },
        refused.length,
      );
    const rest = this.spec.handleBatch ? await this.processTogether(work) : work;
    const queue = lanesOf(rest);
    const worker = async (): Promise<void> => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const { stream, entry } of lane) await this.process(stream, entry, 1);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ctx.concurrency, queue.length) }, worker));
  }

  /** Whether `accepts` turns the event away; a throwing `accepts` is left to the handler path. */
  private refuses(event: BusEvent): boolean {
    try {
      return this.spec.accepts !== undefined && !this.spec.accepts(event);
    } catch {
      return false;
    }
  }

  /**
   * Handles the plain events of a read batch in transactions of up to `maxBatch`, each
   * acknowledged with one XACK per stream. A large read is split by key into up to
   * `concurrency` groups of a quarter of `maxBatch` or more, handled side by side (their
   * transactions overlap in the database and with this process's own work), every key in one
   * group, so each key's events stay in stream order. Returns what is left for the
   * one-at-a-time path: entries that are not plain events for this consumer (deleted,
   * undecodable, replays for another group), and, in a group whose transaction failed, every
   * event not yet committed.
   */
  private async processTogether(work: Work[]): Promise<Work[]> {
    const taken = work.filter((w): w is Planned => w.event !== undefined);
    if (taken.length < 2) return work;
    const left = work.filter((w) => w.event === undefined);
    // Side by side only with enough for each: a transaction's fixed cost, paid once per batch,
    // is what batching saves, so a small read stays one transaction.
    const width = Math.min(this.ctx.concurrency, Math.ceil(taken.length / this.minGroup));
    const groups = groupsOf(taken, width);
    await Promise.all(groups.map((g) => this.deliverGroup(g, left)));
    return left;
  }

  /** One group of `processTogether`, a transaction per `maxBatch` events, in order. */
  private async deliverGroup(group: Planned[], left: Work[]): Promise<void> {
    const { metrics, logger } = this.ctx;
    const consumer = this.spec.name;
    const spec = this.spec as ConsumerSpec & {
      handleBatch: NonNullable<ConsumerSpec['handleBatch']>;
    };
    for (let from = 0; from < group.length; from += this.maxBatch) {
      const chunk = group.slice(from, from + this.maxBatch);
      for (const t of chunk) this.inFlight.add(t.entry[0]);
      let outcomes: Awaited<ReturnType<typeof deliverBatch>>;
      try {
        outcomes = await deliverBatch(
          this.ctx.transaction,
          spec,
          chunk.map((t) => t.event),
        );
      } catch (err) {
        for (const t of chunk) this.inFlight.delete(t.entry[0]);
        logger.warn(
          { at: 'bus#processBatch', consumer, events: chunk.length, error: describeError(err) },
          'batch failed, delivering its events one at a time',
        );
        // This chunk and every later one, so that no event overtakes an earlier one of its key.
        left.push(...group.slice(from));
        return;
      }
      for (const outcome of outcomes) metrics.eventsHandled.inc({ consumer, outcome });
      this.ackLater(chunk);
    }
  }

  /**
   * Acknowledges settled entries, one XACK per stream; false when Redis could not be told. The
   * entries then stay pending and the sweep delivers them again, which the inbox turns into
   * duplicates (and `accepts` into skips).
   */
  /**
   * Acknowledges handled entries without holding up the next read: the effects are committed,
   * so an acknowledgement that never arrives only has the entries delivered again, which the
   * inbox turns into duplicates. The entries stay in flight until it is settled.
   */
  private ackLater(done: Work[]): void {
    const ack: Promise<void> = this.ackMany(done)
      .then(() => {})
      .finally(() => {
        for (const t of done) this.inFlight.delete(t.entry[0]);
        this.acking.delete(ack);
      });
    this.acking.add(ack);
  }

  private async ackMany(done: Work[]): Promise<boolean> {
    const byStream = new Map<string, string[]>();
    for (const { stream, entry } of done) {
      this.failures.delete(entry[0]);
      const ids = byStream.get(stream);
      if (ids) ids.push(entry[0]);
      else byStream.set(stream, [entry[0]]);
    }
    try {
      await Promise.all(
        [...byStream].map(([stream, ids]) =>
          this.ctx.cmd.call('XACK', stream, this.spec.name, ...ids),
        ),
      );
      return true;
    } catch (err) {
      const delay = retryDelay(1, this.ctx.retryBaseMs);
      for (const [stream, ids] of byStream)
        for (const id of ids)
          this.failures.set(id, { stream, attempts: 0, delay, dueAt: Date.now() + delay });
      this.ctx.logger.warn(
        { at: 'bus#ackMany', consumer: this.spec.name, error: describeError(err) },
        'could not settle entries',
      );
      this.scheduleSweep(delay);
      return false;
    }
  }

  /** Handles one delivery; `deliveries` counts this one. Never throws. */
  private async process(stream: string, [id, fields]: RawEntry, deliveries: number): Promise<void> {
    const { metrics, logger, maxAttempts } = this.ctx;
    const consumer = this.spec.name;
    this.inFlight.add(id);
    try {
      if (!fields) return await this.ack(stream, id); // deleted from the stream while pending
      let event: BusEvent;
      let target: string | undefined;
      try {
        ({ event, target } = decodeEvent(fields));
      } catch (err) {
        logger.error(
          { at: 'bus#process', consumer, stream, id, error: describeError(err) },
          'undecodable entry skipped',
        );
        return await this.ack(stream, id);
      }
      if (target && target !== consumer) return await this.ack(stream, id);
      if (deliveries > maxAttempts) {
        const error = `delivered ${deliveries - 1} times without an acknowledgement`;
        return await this.deadLetter(stream, id, event, error, deliveries - 1);
      }
      try {
        const outcome = await deliverOnce(this.ctx.transaction, this.spec, event);
        metrics.eventsHandled.inc({ consumer, outcome });
      } catch (err) {
        const error = describeError(err);
        if (deliveries >= maxAttempts)
          return await this.deadLetter(stream, id, event, error, deliveries);
        const delay = retryDelay(deliveries, this.ctx.retryBaseMs);
        this.failures.set(id, { stream, attempts: deliveries, delay, dueAt: Date.now() + delay });
        metrics.eventsHandled.inc({ consumer, outcome: 'retry' });
        logger.warn(
          { at: 'bus#process', consumer, eventId: event.eventId, attempt: deliveries, error },
          'handler failed, will retry',
        );
        this.scheduleSweep(delay);
        return;
      }
      await this.ack(stream, id);
    } catch (err) {
      // Redis was unreachable for the ack or the dead letter: the entry stays pending and the
      // sweep takes it again; the inbox makes the repeat harmless. A delivery that failed only
      // to settle is not counted, so an event handled on its last attempt is not dead-lettered.
      const delay = retryDelay(deliveries, this.ctx.retryBaseMs);
      this.failures.set(id, { stream, attempts: deliveries - 1, delay, dueAt: Date.now() + delay });
      logger.warn(
        { at: 'bus#process', consumer, id, error: describeError(err) },
        'could not settle entry',
      );
      this.scheduleSweep(delay);
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async ack(stream: string, id: string): Promise<void> {
    this.failures.delete(id);
    await this.ctx.cmd.call('XACK', stream, this.spec.name, id);
  }

  private async deadLetter(
    stream: string,
    id: string,
    event: BusEvent,
    error: string,
    attempts: number,
  ): Promise<void> {
    const { cmd, deadKey, deadMaxLen, metrics, logger } = this.ctx;
    const consumer = this.spec.name;
    const fields = encodeDeadLetter({
      consumer,
      streamId: id,
      event,
      error,
      attempts,
      failedAt: new Date(),
    });
    // One transaction: the entry is never both lost (acked without a dead letter) nor doubled.
    const results = await cmd
      .multi()
      .call('XADD', deadKey, 'MAXLEN', '~', deadMaxLen, '*', ...fields)
      .call('XACK', stream, consumer, id)
      .exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (!results || failed) throw failed ?? new Error('dead-letter transaction aborted');
    this.failures.delete(id);
    metrics.eventsHandled.inc({ consumer, outcome: 'dead_letter' });
    logger.error(
      { at: 'bus#deadLetter', consumer, eventId: event.eventId, attempts, error },
      'event dead-lettered',
    );
  }

  private scheduleSweep(delayMs: number): void {
    if (this.stopping) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.sweepTimer && this.sweepAt <= at) return;
    clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    this.sweepTimer = setTimeout(() => this.runSweep(), Math.max(0, delayMs));
    this.sweepTimer.unref?.();
  }

  private runSweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    // A sweep in progress reschedules itself when done, with every failure accounted for.
    if (this.sweeping || this.stopping) return;
    this.sweeping = this.sweep()
      .catch((err: unknown) =>
        this.ctx.logger.warn(
          { at: 'bus#sweep', consumer: this.spec.name, error: describeError(err) },
          'sweep failed',
        ),
      )
      .finally(() => {
        this.sweeping = undefined;
        this.scheduleSweep(this.nextSweepDelay());
      });
  }

  private nextSweepDelay(): number {
    const idle = Math.max(10, Math.floor(this.ctx.claimIdleMs / 4));
    let soonest = idle;
    const now = Date.now();
    for (const f of this.failures.values()) soonest = Math.min(soonest, f.dueAt - now);
    return Math.max(5, soonest);
  }

  private async sweep(): Promise<void> {
    await this.retryOwnFailures();
    for (const stream of this.streams) {
      if (this.stopping) return;
      await this.claimOrphans(stream);
    }
  }

  private async retryOwnFailures(): Promise<void> {
    const now = Date.now();
    for (const [id, f] of [...this.failures]) {
      if (this.stopping) return;
      if (f.dueAt > now || this.inFlight.has(id)) continue;
      // min-idle = our backoff: if another consumer claimed the entry meanwhile, its idle time
      // restarted and the claim returns nothing, so two consumers never run it side by side.
      const [entry] = await this.claim(f.stream, [id], f.delay);
      if (!entry) {
        this.failures.delete(id);
        continue;
      }
      await this.process(f.stream, entry, f.attempts + 1);
    }
  }

  private async claimOrphans(stream: string): Promise<void> {
    const { cmd, claimIdleMs } = this.ctx;
    const reply = (await cmd.call(
      'XPENDING',
      stream,
      this.spec.name,
      'IDLE',
      claimIdleMs,
      '-',
      '+',
      PAGE,
    )) as Array<[string, string, number, number]>;
    const candidates = reply.filter(([id]) => !this.inFlight.has(id) && !this.failures.has(id));
    if (!candidates.length) return;
    const counts = new Map(candidates.map(([id, , , count]) => [id, Number(count)]));
    const entries = await this.claim(stream, [...counts.keys()], claimIdleMs);
    for (const entry of entries) {
      if (this.stopping) return;
      this.ctx.logger.info(
        { at: 'bus#claim', consumer: this.spec.name, id: entry[0] },
        'claimed an idle entry',
      );
      await this.process(stream, entry, (counts.get(entry[0]) ?? 0) + 1);
    }
    if (reply.length === PAGE) this.scheduleSweep(0);
  }

  private async claim(stream: string, ids: string[], minIdleMs: number): Promise<RawEntry[]> {
    const { cmd, consumerName } = this.ctx;
    return (await cmd.call(
      'XCLAIM',
      stream,
      this.spec.name,
      consumerName,
      Math.max(0, minIdleMs),
      ...ids,
    )) as RawEntry[];
  }

  private async leaveGroupIfIdle(): Promise<void> {
    const { cmd, consumerName } = this.ctx;
    for (const stream of this.streams) {
      const mine = (await cmd.call(
        'XPENDING',
        stream,
        this.spec.name,
        '-',
        '+',
        1,
        consumerName,
      )) as unknown[];
      if (mine.length) return;
    }
    // Deleting a consumer drops its pending entries, hence only when it has none.
    for (const stream of this.streams)
      await cmd.call('XGROUP', 'DELCONSUMER', stream, this.spec.name, consumerName);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakePause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakePause = done;
    });
  }
}
