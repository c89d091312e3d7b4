import type { RawBuilder } from 'kysely';
import { newId } from '../../core/ids.js';
import type { Clock } from '../../core/clock.js';
import { jsonInsertText, type Db, type Executor, type Tx } from '../db/index.js';
import type { BusEvent, NewEvent, OutboxRow, Staging } from './types.js';

const OUTBOX_COLUMNS = ['event_id', 'topic', 'type', 'key', 'payload', 'ts_event', 'ts_init'];

/** Appends events inside the transaction it was handed to. */
export interface Emit {
  (...events: NewEvent[]): Promise<void>;
  /**
   * The same append as a statement the caller runs itself, so that a writer folding several
   * inserts into one round trip (data-modifying CTEs) can include its events. They count as
   * emitted from this call on: run the statement in this transaction, or make it fail.
   */
  insert(events: readonly NewEvent[]): RawBuilder<unknown>;
}

/** Told what the outbox's transactions wrote (see `OutboxRelay`). */
export interface CommitListener {
  /** After commit: the events `Outbox.transaction` emitted, in order, as the table holds them. */
  committed(events: readonly BusEvent[]): void;
  /** Events were appended in a transaction whose commit the outbox does not see. */
  appendedElsewhere(): void;
}

/**
 * An event as committed. Its payload is what the row holds, the emitted value through JSON
 * (decimals as strings), made on first read: a consumer that decides from the type or key
 * alone (`accepts`) never pays for it. So an emitted payload must not change afterwards. The
 * payload is a getter: copy an event field by field, not with a spread.
 */
class CommittedEvent implements BusEvent {
  private parsed: unknown;
  private done = false;
  private json: string | undefined;

  constructor(
    readonly eventId: string,
    readonly topic: string,
    readonly type: string,
    readonly key: string | null,
    readonly tsEvent: number,
    readonly tsInit: number,
    readonly emitted: unknown,
  ) {}

  get payload(): unknown {
    if (!this.done) {
      this.parsed = JSON.parse(this.payloadJson) as unknown;
      this.done = true;
    }
    return this.parsed;
  }

  /** Serialised once, for the payload and for a bus that sends the text itself. */
  get payloadJson(): string {
    return (this.json ??= JSON.stringify(this.emitted ?? null));
  }

  toJSON(): BusEvent {
    const { eventId, topic, type, key, tsEvent, tsInit, payload } = this;
    return { eventId, topic, type, key, payload, tsEvent, tsInit };
  }
}

/**
 * The write side of the transactional outbox. A command writes its state and its events in one
 * transaction; after commit the relay is handed the events it just wrote, so that they leave
 * at once instead of at the next poll, and without being read back.
 *
 * Event ids written by transactions still open are `pending`: a relay polling the table while
 * such a transaction commits may see its rows, and must leave them to the hand-over.
 */
export class Outbox {
  private readonly listeners: CommitListener[] = [];
  private readonly open = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends events inside the caller's transaction. The relay finds these by polling, so a
   * caller that can should use `transaction`, whose events are handed over at commit.
   */
  async append(tx: Executor, events: NewEvent[]): Promise<void> {
    if (!events.length) return;
    for (const l of this.listeners) l.appendedElsewhere();
    await this.statement(this.stamp(events)).execute(tx);
  }

  /** Runs `fn` in a transaction with an `emit` bound to it; hands the events over after commit. */
  transaction<T>(fn: (tx: Tx, emit: Emit) => Promise<T>): Promise<T> {
    return this.staged((stage) =>
      this.db.transaction().execute((tx) => {
        const emit: Emit = Object.assign(
          async (...events: NewEvent[]) => {
            if (events.length) await stage(events).execute(tx);
          },
          { insert: stage },
        );
        return fn(tx, emit);
      }),
    );
  }

  /**
   * Runs one statement outside a transaction and hands its events over after it, as
   * `transaction` does, without the round trips of BEGIN and COMMIT: PostgreSQL applies a
   * single statement, data-modifying CTEs included, all or nothing. `fn` must run exactly one
   * statement on the executor it is given, with the events it stages folded into it.
   */
  single<T>(fn: (db: Db, stage: Emit['insert'], staging: Staging) => Promise<T>): Promise<T> {
    return this.staged((stage, staging) => fn(this.db, stage, staging));
  }

  /**
   * Runs `work` with a stage for its events: each staged event is `pending` until the work
   * ends, and handed to the listeners once it has succeeded (committed), unless withdrawn.
   */
  private async staged<T>(
    work: (stage: Emit['insert'], staging: Staging) => Promise<T>,
  ): Promise<T> {
    const emitted: CommittedEvent[] = [];
    const take = (events: readonly NewEvent[]) => {
      const stamped = this.stamp(events);
      for (const e of stamped) {
        emitted.push(e);
        this.open.add(e.eventId);
      }
      return stamped;
    };
    const withdrawn = new Set<string>();
    const staging: Staging = {
      rows: (events) => rowsOf(take(events)),
      withdraw: (ids) => {
        for (const id of ids) withdrawn.add(id);
      },
    };
    let result: T;
    try {
      result = await work((events) => this.statement(take(events)), staging);
    } finally {
      for (const e of emitted) this.open.delete(e.eventId);
    }
    const written = withdrawn.size ? emitted.filter((e) => !withdrawn.has(e.eventId)) : emitted;
    if (written.length) for (const l of this.listeners) l.committed(written);
    return result;
  }

  /** Whether `eventId` was written by a transaction of this outbox that has not ended yet. */
  pending(eventId: string): boolean {
    return this.open.size > 0 && this.open.has(eventId);
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  private stamp(events: readonly NewEvent[]): CommittedEvent[] {
    const now = this.clock.now();
    return events.map(
      (e) =>
        new CommittedEvent(
          e.eventId ?? newId(),
          e.topic,
          e.type,
          e.key ?? null,
          e.tsEvent ?? now,
          now,
          e.payload,
        ),
    );
  }

  /**
   * The insert of staged events. Each payload is serialised once, here, and the same text is
   * what a bus that sends text is given at hand-over (`payloadJson`).
   */
  private statement(events: readonly CommittedEvent[]): RawBuilder<unknown> {
    const init = initOf(events);
    const text = events
      .map((e) => `${JSON.stringify(columnsOf(e, init)).slice(0, -1)},"payload":${e.payloadJson}}`)
      .join(',');
    return jsonInsertText('outbox', OUTBOX_COLUMNS, `[${text}]`);
  }
}

const initOf = (events: readonly CommittedEvent[]) =>
  events.length ? new Date(events[0]!.tsInit).toISOString() : '';

/** An event's row but its payload. */
function columnsOf(e: CommittedEvent, init: string): Omit<OutboxRow, 'payload'> {
  return {
    event_id: e.eventId,
    topic: e.topic,
    type: e.type,
    key: e.key,
    ts_event: e.tsEvent === e.tsInit ? init : new Date(e.tsEvent).toISOString(),
    ts_init: init,
  };
}

function rowsOf(events: readonly CommittedEvent[]): OutboxRow[] {
  const init = initOf(events);
  // Nested as JSON, not as a string: the column takes the value itself.
  return events.map((e) => ({ ...columnsOf(e, init), payload: e.emitted }));
}
