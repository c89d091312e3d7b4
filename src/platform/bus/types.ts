import type { RawBuilder } from 'kysely';
import type { Tx } from '../db/index.js';

/**
 * An event as it travels on the bus. Topics are built in one place per module (`topics.ts`);
 * `type` is the past-tense event name, e.g. `UserLoggedIn`.
 */
export interface BusEvent<P = unknown> {
  eventId: string;
  topic: string;
  type: string;
  /** Partition/ordering hint, e.g. a user or account id. */
  key?: string | null;
  payload: P;
  /** When it happened (ms since epoch). */
  tsEvent: number;
  /** When the platform recorded it (ms since epoch). */
  tsInit: number;
  /**
   * The payload as JSON text, where the producer has it at hand (an event the outbox hands
   * over): what a bus that sends text writes instead of serialising `payload` again.
   */
  readonly payloadJson?: string;
}

/** What a module hands to the outbox; ids and timestamps are filled in. */
export interface NewEvent<P = unknown> {
  topic: string;
  type: string;
  key?: string | null;
  payload: P;
  tsEvent?: number;
  eventId?: string;
}

/**
 * Work a handler leaves for after its transaction commits: it may start what must not run
 * inside that transaction (on PGlite the transaction holds the only connection), knowing that
 * everything the handler wrote is visible to it. It does not run when the transaction fails.
 */
export type AfterCommit = () => void;

/**
 * Appends events inside a consumer's transaction. The bus runs that transaction through the
 * outbox (`Outbox.transaction`), so the relay is handed these events when it commits.
 */
export type AppendEvents = (...events: NewEvent[]) => Promise<void>;

/**
 * A consumer's handler. It runs inside a database transaction that also records the event as
 * processed by this consumer, so its effects happen exactly once even when delivery repeats.
 * Events it appends with `emit` are handed to the outbox relay when that transaction commits;
 * events appended otherwise (`Outbox.append`) wait for the relay's next poll.
 */
export type EventHandler = (
  event: BusEvent,
  tx: Tx,
  emit: AppendEvents,
) => Promise<void | AfterCommit>;

/**
 * A consumer's handler for several events in one transaction: the inbox rows of all of them,
 * and whatever the handler writes, commit together. It receives, in delivery order, only the
 * events this consumer has not processed yet (and that `accepts` wanted).
 */
export type BatchHandler = (
  events: readonly BusEvent[],
  tx: Tx,
  emit: AppendEvents,
) => Promise<void | AfterCommit>;

export interface ConsumerSpec {
  /** Stable name: the Redis consumer group and the inbox key. */
  name: string;
  topics: string[];
  handle: EventHandler;
  /**
   * Optional: handles the events that arrive together (a Redis read, or what queued up in the
   * embedded bus meanwhile) in one transaction instead of one transaction each. When a batch
   * fails, its events are delivered again one at a time through `handle`, in the same order,
   * with the usual retries and dead letters: an event that cannot be handled fails alone, and
   * the failed batch does not count as one of its attempts. So `handle` must do what
   * `handleBatch` does for a batch of one, and a batch handler that records failures should
   * leave that to `handle`, which knows whose failure it is.
   */
  handleBatch?: BatchHandler;
  /**
   * Optional, for a consumer on the path of a latency target: the handler as one statement,
   * delivered outside a transaction in one round trip instead of four (BEGIN, the inbox row,
   * the handler's statement, COMMIT). `claim` is the inbox insert, returning the event id when
   * the event is new; the handler's statement reads it as a CTE and must write nothing when it
   * returned no row. `handle` must do the same in a transaction: it serves where this does not.
   */
  handleAsStatement?: (event: BusEvent, claim: RawBuilder<unknown>) => StatementDelivery;
  /**
   * Optional, the same for `handleBatch`: a batch in one statement. `claim` inserts the inbox
   * rows and returns `event_id` (as text) of each event that was new; the statement must write
   * nothing for the others, and its events go through `staging` (withdrawing any it did not
   * write). Resolving to undefined leaves the batch to `handleBatch`.
   */
  handleBatchAsStatement?: (
    events: readonly BusEvent[],
    claim: RawBuilder<unknown>,
    staging: Staging,
  ) => Promise<BatchStatementDelivery | undefined>;
  /** Most events in one batch (100). */
  maxBatch?: number;
  /**
   * Decides from the event alone, in memory, whether the handler wants it. An event it refuses
   * is acknowledged without a transaction or an inbox row, so a consumer that needs a few
   * events of a busy topic does not pay a commit for every one of the rest.
   */
  accepts?: (event: BusEvent) => boolean;
}

/** A delivery as one statement (see `ConsumerSpec.handleAsStatement`). */
export interface StatementDelivery {
  statement: RawBuilder<Record<string, unknown>>;
  /** From the statement's rows: whether the event was new, and work for after it. */
  outcome(rows: ReadonlyArray<Record<string, unknown>>): { claimed: boolean; after?: AfterCommit };
}

/**
 * For a statement that writes its events itself rather than through `Emit.insert` (see
 * `Outbox.single`): to insert some of them only when a condition of the statement holds, say.
 */
export interface Staging {
  /** Stages events as `Emit.insert` does; returns their rows, as the `outbox` table takes them. */
  rows(events: readonly NewEvent[]): OutboxRow[];
  /** Staged events the statement did not write, after all: they are not handed over. */
  withdraw(eventIds: Iterable<string>): void;
}

/** An outbox row as JSON (json/jsonb columns take `payload` as it is). */
export interface OutboxRow {
  event_id: string;
  topic: string;
  type: string;
  key: string | null;
  payload: unknown;
  ts_event: string;
  ts_init: string;
}

/** A batch delivered as one statement (see `ConsumerSpec.handleBatchAsStatement`). */
export interface BatchStatementDelivery {
  statement: RawBuilder<Record<string, unknown>>;
  /** From the statement's rows: the ids of the events that were new, and work for after it. */
  outcome(rows: ReadonlyArray<Record<string, unknown>>): {
    claimed: ReadonlySet<string>;
    after?: AfterCommit;
  };
}

export interface DeadLetter {
  id: string;
  consumer: string;
  topic: string;
  eventId: string;
  type: string;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: string;
}

export interface ConsumerLag {
  consumer: string;
  topic: string;
  /** Events published but not yet delivered to the consumer. */
  lag: number;
  /** Delivered but not yet acknowledged. */
  pending: number;
}

/**
 * The event bus. Embedded: in-process delivery. Distributed: Redis Streams with consumer
 * groups. Both retry failed handlers with exponential backoff and jitter and dead-letter an
 * event after the configured number of attempts.
 */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  /** Publishes already-committed events (called by the outbox relay). */
  publish(events: BusEvent[]): Promise<void>;
  /** Starts consuming; returns when the consumer is registered (groups created). */
  subscribe(spec: ConsumerSpec): Promise<void>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Re-delivers a dead letter to the consumer that failed it; false if unknown. */
  replayDeadLetter(id: string): Promise<boolean>;
  deadLetterCount(): Promise<number>;
  consumerLag(): Promise<ConsumerLag[]>;
  ping(): Promise<void>;
  /** Stops consuming, waits for handlers in flight, closes connections. */
  close(): Promise<void>;
}
