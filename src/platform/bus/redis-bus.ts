import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { consumerTransaction, describeError } from './inbox.js';
import type { Outbox } from './outbox.js';
import { decodeDeadLetter, encodeEvent, toRecord, type RawEntry } from './redis-codec.js';
import { RedisConsumer, type ConsumerContext } from './redis-consumer.js';
import type { BusEvent, ConsumerLag, ConsumerSpec, DeadLetter, EventBus } from './types.js';

export interface RedisBusOptions {
  redisUrl: string;
  /** Prefix of every key, so several deployments can share one Redis. */
  prefix: string;
  db: Db;
  logger: Logger;
  metrics: Metrics;
  maxAttempts: number;
  retryBaseMs: number;
  claimIdleMs: number;
  /** This process's name within each consumer group; unique by default. */
  consumerName?: string;
  /** Consumer transactions run through it, so that what handlers emit leaves at commit. */
  outbox?: Outbox;
  /** Approximate length each topic stream is trimmed to. */
  streamMaxLen?: number;
  /** Approximate length the dead-letter stream is trimmed to. */
  deadMaxLen?: number;
  /** Entries per XREADGROUP. */
  readCount?: number;
  /** How long one XREADGROUP blocks waiting for entries. */
  blockMs?: number;
  /**
   * Events of one consumer handled at once (4). Each holds a database connection for its
   * transaction, so consumers × concurrency should stay below the pool size.
   */
  concurrency?: number;
}

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Removes a dead letter and re-adds its event to the topic stream in one step, so two replays
 * of one dead letter cannot both deliver it. KEYS: dead stream, topic stream. ARGV: dead-letter
 * id, trim length, then the entry's fields.
 */
const REPLAY_SCRIPT = `
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
return 1`;

/**
 * The distributed bus on Redis Streams: one stream per topic (`<prefix>:stream:<topic>`), one
 * consumer group per ConsumerSpec, and each process one consumer in every group it subscribes
 * to. Failed events are retried with backoff and, after the last attempt, moved to
 * `<prefix>:dead`. See `RedisConsumer` for the delivery loop.
 */
export class RedisBus implements EventBus {
  readonly kind = 'redis' as const;
  readonly consumerName: string;
  private readonly cmd: Redis;
  private readonly consumers: RedisConsumer[] = [];
  private readonly ctx: ConsumerContext;
  private readonly streamMaxLen: number;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: RedisBusOptions) {
    this.consumerName =
      opts.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.streamMaxLen = opts.streamMaxLen ?? 1_000_000;
    this.cmd = this.connect('cmd', {});
    this.ctx = {
      cmd: this.cmd,
      // Blocking reads wait through reconnects instead of failing after a few retries.
      connectBlocking: () => this.connect('read', { maxRetriesPerRequest: null }),
      db: opts.db,
      transaction: consumerTransaction(opts.db, opts.outbox),
      logger: opts.logger,
      metrics: opts.metrics,
      consumerName: this.consumerName,
      maxAttempts: opts.maxAttempts,
      retryBaseMs: opts.retryBaseMs,
      claimIdleMs: opts.claimIdleMs,
      readCount: opts.readCount ?? 100,
      blockMs: opts.blockMs ?? 1000,
      concurrency: Math.max(1, opts.concurrency ?? 4),
      deadKey: this.deadKey,
      deadMaxLen: opts.deadMaxLen ?? 100_000,
      streamKey: (topic) => this.streamKey(topic),
    };
  }

  /** Connects and checks that Redis answers, so a wrong URL stops start-up. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(opts);
    try {
      await bus.cmd.ping();
    } catch (err) {
      bus.cmd.disconnect();
      throw new Error(`Redis is not reachable: ${describeError(err)}`);
    }
    return bus;
  }

  streamKey(topic: string): string {
    return `${this.opts.prefix}:stream:${topic}`;
  }

  get deadKey(): string {
    return `${this.opts.prefix}:dead`;
  }

  async publish(events: BusEvent[]): Promise<void> {
    if (!events.length) return;
    const pipeline = this.cmd.pipeline();
    for (const e of events) {
      pipeline.call(
        'XADD',
        this.streamKey(e.topic),
        'MAXLEN',
        '~',
        this.streamMaxLen,
        '*',
        ...encodeEvent(e),
      );
    }
    const results = await pipeline.exec();
    // A partial failure fails the batch: the relay publishes it again and the inbox drops the
    // events that did get through.
    const failed = results?.find(([err]) => err)?.[0];
    if (!results || failed) throw failed ?? new Error('publish pipeline aborted');
  }

  async subscribe(spec: ConsumerSpec): Promise<void> {
    if (this.closing) throw new Error('the event bus is closed');
    if (this.consumers.some((c) => c.name === spec.name))
      throw new Error(`consumer ${spec.name} is already subscribed`);
    const consumer = new RedisConsumer(spec, this.ctx);
    this.consumers.push(consumer);
    await consumer.start();
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const entries = (await this.cmd.call(
      'XREVRANGE',
      this.deadKey,
      '+',
      '-',
      'COUNT',
      limit,
    )) as RawEntry[];
    return entries.flatMap(([id, fields]) => {
      if (!fields) return [];
      try {
        const { event: _event, ...letter } = decodeDeadLetter(id, fields);
        return [letter];
      } catch {
        return [];
      }
    });
  }

  async replayDeadLetter(id: string): Promise<boolean> {
    if (!STREAM_ID.test(id)) return false;
    const [entry] = (await this.cmd.call('XRANGE', this.deadKey, id, id)) as RawEntry[];
    if (!entry?.[1]) return false;
    const letter = decodeDeadLetter(id, entry[1]);
    const fields = encodeEvent(letter.event, letter.consumer);
    const replayed = await this.cmd.call(
      'EVAL',
      REPLAY_SCRIPT,
      2,
      this.deadKey,
      this.streamKey(letter.topic),
      id,
      this.streamMaxLen,
      ...fields,
    );
    return Number(replayed) === 1;
  }

  async deadLetterCount(): Promise<number> {
    return Number(await this.cmd.call('XLEN', this.deadKey));
  }

  /** Lag and pending of the groups this process consumes, from XINFO GROUPS. */
  async consumerLag(): Promise<ConsumerLag[]> {
    const out: ConsumerLag[] = [];
    for (const c of this.consumers) {
      for (const topic of c.topics) {
        const groups = (await this.cmd
          .call('XINFO', 'GROUPS', this.streamKey(topic))
          .catch(() => [])) as unknown[];
        const g = groups.map(toRecord).find((r) => r.name === c.name);
        if (!g) continue;
        out.push({ consumer: c.name, topic, lag: groupLag(g), pending: Number(g.pending ?? 0) });
      }
    }
    return out;
  }

  async ping(): Promise<void> {
    await this.cmd.ping();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.consumers.map((c) => c.stop()));
      // QUIT lets replies in flight arrive; with Redis unreachable it would wait out the
      // reconnect retries instead, so then the socket is simply dropped.
      if (this.cmd.status === 'ready') await this.cmd.quit().catch(() => this.cmd.disconnect());
      else this.cmd.disconnect();
    })();
    return this.closing;
  }

  private connect(role: string, extra: { maxRetriesPerRequest?: number | null }): Redis {
    const conn = new Redis(this.opts.redisUrl, {
      // RESP2 keeps stream replies in one documented shape.
      protocol: 2,
      connectionName: `${this.opts.prefix}:${role}:${this.consumerName}`,
      ...extra,
    });
    conn.on('error', (err: Error) =>
      this.opts.logger.warn(
        { at: 'bus#redis', role, error: describeError(err) },
        'Redis connection error',
      ),
    );
    return conn;
  }
}

/**
 * Redis 7 reports `lag`, or nil when it cannot tell (an XDEL or XSETID inside the unread range;
 * the bus does neither on topic streams). Unknown is reported as 0 rather than as a guess.
 */
function groupLag(g: Record<string, string>): number {
  const lag = Number(g.lag);
  return g.lag && Number.isFinite(lag) ? lag : 0;
}
