import { sql } from 'kysely';
import type { Logger } from 'pino';
import { isUuid, newId } from '../../core/ids.js';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { retryDelay } from './backoff.js';
import {
  consumerTransaction,
  deliverBatch,
  deliverOnce,
  describeError,
  type ConsumerTransaction,
} from './inbox.js';
import type { Outbox } from './outbox.js';
import type { BusEvent, ConsumerLag, ConsumerSpec, DeadLetter, EventBus } from './types.js';

export interface MemoryBusOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  maxAttempts: number;
  retryBaseMs: number;
  /** Consumer transactions run through it, so that what handlers emit leaves at commit. */
  outbox?: Outbox;
}

const MAX_BATCH = 100;

/** Raised to publishers whose events were still queued when the bus closed. */
export class BusClosedError extends Error {
  constructor() {
    super('the event bus is closed');
    this.name = 'BusClosedError';
  }
}

/**
 * The embedded bus: one process, one in-memory FIFO per subscriber.
 *
 * `publish` resolves only when every matching subscriber has either handled (committed) or
 * dead-lettered each event, and rejects if the bus closes first. The relay marks outbox rows
 * published only after that, so a process that dies loses nothing: unmarked rows are published
 * again on the next start and the inbox drops what was already handled.
 *
 * Each subscriber drains its own queue, one event at a time (per-consumer order is kept), and
 * sleeps out its retry backoff without holding anything another subscriber needs. A consumer
 * with `handleBatch` takes whatever has queued up meanwhile (up to `maxBatch`) in one
 * transaction; a batch that fails is delivered again one event at a time. What keeps a
 * stuck subscriber from stalling the others is the relay: with this bus it does not wait for one
 * batch before publishing the next (see `OutboxRelay`), so the other subscribers keep receiving
 * new events while the stuck one works through its queue.
 */
export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly subscribers = new Map<string, Subscriber>();
  private closed = false;

  constructor(private readonly opts: MemoryBusOptions) {}

  async publish(events: BusEvent[]): Promise<void> {
    if (this.closed) throw new BusClosedError();
    const done: Array<Promise<void>> = [];
    for (const sub of this.subscribers.values()) {
      for (const event of events) if (sub.wants(event.topic)) done.push(sub.enqueue(event));
    }
    await Promise.all(done);
  }

  async subscribe(spec: ConsumerSpec): Promise<void> {
    if (this.closed) throw new BusClosedError();
    if (this.subscribers.has(spec.name))
      throw new Error(`consumer ${spec.name} is already subscribed`);
    this.subscribers.set(spec.name, new Subscriber(spec, this.opts));
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const rows = (await this.opts.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('replayed_at', 'is', null)
      .orderBy('failed_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()) as DeadLetterRow[];
    return rows.map((r) => ({
      id: r.id,
      consumer: r.consumer,
      topic: r.topic,
      eventId: r.event_id,
      type: r.type,
      payload: r.payload,
      error: r.error,
      attempts: Number(r.attempts),
      failedAt: new Date(r.failed_at).toISOString(),
    }));
  }

  /**
   * Stamps the dead letter as replayed and queues its event for the consumer that failed it.
   * Stamping first (conditionally) makes two concurrent replays deliver once; if the bus closes
   * before the event is handled the stamp is taken back, so the dead letter stays replayable.
   */
  async replayDeadLetter(id: string): Promise<boolean> {
    const consumers = [...this.subscribers.keys()];
    if (!isUuid(id) || consumers.length === 0) return false;
    const db = this.opts.db;
    const row = (await db
      .updateTable('dead_letters')
      .set({ replayed_at: sql`now()` })
      .where('id', '=', id)
      .where('replayed_at', 'is', null)
      .where('consumer', 'in', consumers)
      .returningAll()
      .executeTakeFirst()) as DeadLetterRow | undefined;
    const sub = row && this.subscribers.get(row.consumer);
    if (!row || !sub) return false;
    const event: BusEvent = {
      eventId: row.event_id,
      topic: row.topic,
      type: row.type,
      key: row.key ?? null,
      payload: row.payload,
      tsEvent: new Date(row.ts_event ?? row.failed_at).getTime(),
      tsInit: new Date(row.ts_init ?? row.failed_at).getTime(),
    };
    sub.enqueue(event).catch(async () => {
      await db
        .updateTable('dead_letters')
        .set({ replayed_at: null })
        .where('id', '=', id)
        .execute()
        .catch((err: unknown) =>
          this.opts.logger.warn(
            { at: 'bus#replay', id, err: describeError(err) },
            'could not restore dead letter',
          ),
        );
    });
    return true;
  }

  async deadLetterCount(): Promise<number> {
    const row = await this.opts.db
      .selectFrom('dead_letters')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('replayed_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async consumerLag(): Promise<ConsumerLag[]> {
    return [...this.subscribers.values()].flatMap((s) => s.lag());
  }

  async ping(): Promise<void> {
    if (this.closed) throw new BusClosedError();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscribers.values()].map((s) => s.close()));
  }
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  topic: string;
  event_id: string;
  type: string;
  key: string | null;
  payload: unknown;
  error: string;
  attempts: number | string;
  failed_at: Date | string;
  ts_event: Date | string | null;
  ts_init: Date | string | null;
}

interface Queued {
  event: BusEvent;
  resolve(): void;
  reject(err: Error): void;
}

/** One consumer's queue and the worker that drains it. */
class Subscriber {
  private readonly topics: Set<string>;
  private readonly queue: Queued[] = [];
  private active: Queued[] = [];
  private readonly transaction: ConsumerTransaction;
  private readonly maxBatch: number;
  private worker: Promise<void> | undefined;
  private wakeSleeper: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly opts: MemoryBusOptions,
  ) {
    this.topics = new Set(spec.topics);
    this.transaction = consumerTransaction(opts.db, opts.outbox);
    this.maxBatch = Math.max(1, spec.maxBatch ?? MAX_BATCH);
  }

  wants(topic: string): boolean {
    return this.topics.has(topic);
  }

  enqueue(event: BusEvent): Promise<void> {
    if (this.closed) return Promise.reject(new BusClosedError());
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.worker || this.closed) return;
    // An event queued between the end of `drain` and this callback would otherwise wait for
    // the next publish, so look again once the worker is gone.
    this.worker = this.drain().finally(() => {
      this.worker = undefined;
      if (this.queue.length) this.kick();
    });
  }

  lag(): ConsumerLag[] {
    return this.spec.topics.map((topic) => ({
      consumer: this.spec.name,
      topic,
      lag: this.queue.filter((q) => q.event.topic === topic).length,
      pending: this.active.filter((q) => q.event.topic === topic).length,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeSleeper?.();
    for (const q of this.queue.splice(0)) q.reject(new BusClosedError());
    await this.worker;
  }

  private async drain(): Promise<void> {
    // A batch consumer gathers what the rest of this turn publishes (a relay's whole batch).
    if (this.spec.handleBatch) await new Promise<void>((r) => setImmediate(r));
    while (!this.closed && this.queue.length) {
      const batched = this.spec.handleBatch && this.queue.length > 1;
      const items = this.queue.splice(0, batched ? this.maxBatch : 1);
      this.active = items;
      try {
        if (batched && (await this.deliverTogether(items))) continue;
        for (const item of items) {
          try {
            if (this.closed) throw new BusClosedError();
            await this.deliver(item.event);
            item.resolve();
          } catch (err) {
            item.reject(err instanceof Error ? err : new Error(String(err)));
          }
        }
      } finally {
        this.active = [];
      }
    }
  }

  /**
   * One transaction for the batch; true when it committed. False leaves the items to be
   * delivered one at a time, each with its own attempts: whichever failed will fail alone.
   */
  private async deliverTogether(items: Queued[]): Promise<boolean> {
    const { metrics, logger } = this.opts;
    const consumer = this.spec.name;
    const spec = this.spec as ConsumerSpec & {
      handleBatch: NonNullable<ConsumerSpec['handleBatch']>;
    };
    let outcomes;
    try {
      outcomes = await deliverBatch(
        this.transaction,
        spec,
        items.map((q) => q.event),
      );
    } catch (err) {
      logger.warn(
        { at: 'bus#deliverBatch', consumer, events: items.length, error: describeError(err) },
        'batch failed, delivering its events one at a time',
      );
      return false;
    }
    for (const outcome of outcomes) metrics.eventsHandled.inc({ consumer, outcome });
    for (const item of items) item.resolve();
    return true;
  }

  /** Delivers with retries; resolves once handled or dead-lettered, throws if the bus closes. */
  private async deliver(event: BusEvent): Promise<void> {
    const { metrics, logger, maxAttempts, retryBaseMs } = this.opts;
    const consumer = this.spec.name;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await deliverOnce(this.transaction, this.spec, event);
        metrics.eventsHandled.inc({ consumer, outcome });
        return;
      } catch (err) {
        const error = describeError(err);
        if (attempt >= maxAttempts) {
          await this.deadLetter(event, error, attempt);
          metrics.eventsHandled.inc({ consumer, outcome: 'dead_letter' });
          logger.error(
            { at: 'bus#deliver', consumer, eventId: event.eventId, attempt, error },
            'event dead-lettered',
          );
          return;
        }
        metrics.eventsHandled.inc({ consumer, outcome: 'retry' });
        logger.warn(
          { at: 'bus#deliver', consumer, eventId: event.eventId, attempt, error },
          'handler failed, will retry',
        );
        if (!this.closed) await this.sleep(retryDelay(attempt, retryBaseMs));
        if (this.closed) throw new BusClosedError();
      }
    }
  }

  private async deadLetter(event: BusEvent, error: string, attempts: number): Promise<void> {
    await this.opts.db
      .insertInto('dead_letters')
      .values({
        id: newId(),
        consumer: this.spec.name,
        topic: event.topic,
        event_id: event.eventId,
        type: event.type,
        key: event.key ?? null,
        payload: JSON.stringify(event.payload ?? null),
        error,
        attempts,
        ts_event: new Date(event.tsEvent),
        ts_init: new Date(event.tsInit),
      })
      .execute();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }
}
