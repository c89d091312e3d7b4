import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { retryDelay } from './backoff.js';
import { deliverOnce, describeError } from './inbox.js';
import { decodeEvent, encodeDeadLetter, parseReadReply, type RawEntry } from './redis-codec.js';
import type { BusEvent, ConsumerSpec } from './types.js';

/** What every consumer of one `RedisBus` shares. */
export interface ConsumerContext {
  cmd: Redis;
  /** Opens the consumer's own connection for blocking reads. */
  connectBlocking(): Redis;
  db: Db;
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

/**
 * One consumer group (named after the ConsumerSpec) read by this process as one consumer.
 *
 * Reads block on a dedicated connection. A failed event stays pending with this consumer and is
 * taken again by the sweep once its backoff has passed (`XCLAIM` to ourselves, which also bumps
 * Redis's delivery counter). The sweep also claims entries that another consumer has left idle
 * for `claimIdleMs` — a process that died mid-batch — so nothing read is ever lost. An event is
 * dead-lettered, atomically with its acknowledgement, when it fails its last allowed delivery or
 * arrives with more deliveries than allowed (a poison event that keeps killing its consumers).
 */
export class RedisConsumer {
  private readonly streams: string[];
  private readonly blocking: Redis;
  private readonly failures = new Map<string, Failure>();
  private readonly inFlight = new Set<string>();
  private stopping = false;
  private reading: Promise<void> | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private wakePause: (() => void) | undefined;

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly ctx: ConsumerContext,
  ) {
    this.streams = [...new Set(spec.topics)].map((t) => ctx.streamKey(t));
    this.blocking = ctx.connectBlocking();
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
    const { readCount, blockMs, consumerName, logger } = this.ctx;
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
   * Handles a read batch in lanes: entries with the same event key stay in stream order, one
   * after another, while different keys run side by side (up to `concurrency` transactions).
   * Ordering is thus promised per key, the same promise partitioned brokers make.
   */
  private async processBatch(batch: Array<{ stream: string; entries: RawEntry[] }>): Promise<void> {
    const lanes = new Map<string, Array<[string, RawEntry]>>();
    for (const { stream, entries } of batch) {
      for (const entry of entries) {
        const lane = laneOf(entry) ?? `${stream}/${entry[0]}`;
        const list = lanes.get(lane);
        if (list) list.push([stream, entry]);
        else lanes.set(lane, [[stream, entry]]);
      }
    }
    const queue = [...lanes.values()];
    const worker = async (): Promise<void> => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const [stream, entry] of lane) await this.process(stream, entry, 1);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ctx.concurrency, queue.length) }, worker));
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
        const outcome = await deliverOnce(this.ctx.db, this.spec, event);
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

/** The event key of a raw entry, without decoding the rest; undefined when it has none. */
function laneOf([, fields]: RawEntry): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i] === 'key') return `key:${fields[i + 1]}`;
  return undefined;
}
