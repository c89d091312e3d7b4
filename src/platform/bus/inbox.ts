import { sql } from 'kysely';
import { systemClock } from '../../core/clock.js';
import type { Db, Tx } from '../db/index.js';
import { Outbox, type Emit } from './outbox.js';
import type { AfterCommit, BusEvent, ConsumerSpec } from './types.js';

export type InboxOutcome = 'ok' | 'duplicate' | 'skipped';

/** Runs one consumer transaction, with an `emit` whose events the relay is handed at commit. */
export type ConsumerTransaction = (<T>(fn: (tx: Tx, emit: Emit) => Promise<T>) => Promise<T>) & {
  /** One statement outside a transaction, through the same outbox (see `Outbox.single`). */
  single: Outbox['single'];
};

/**
 * Consumer transactions go through the deployment's outbox, so that events a handler emits
 * leave the moment its transaction commits, as a command's do, rather than at the relay's next
 * poll. Without one (a bus on its own, in tests) they go through an outbox nobody listens to:
 * the events are still written with the handler's effects and the relay's poll finds them.
 */
export function consumerTransaction(db: Db, outbox: Outbox | undefined): ConsumerTransaction {
  const through = outbox ?? new Outbox(db, systemClock);
  const run = <T>(fn: (tx: Tx, emit: Emit) => Promise<T>) => through.transaction(fn);
  return Object.assign(run, { single: through.single.bind(through) as Outbox['single'] });
}

/**
 * Delivers an event to a consumer at most once in effect: one transaction records
 * `(consumer, eventId)` in `processed_events` and runs the handler. A redelivered event finds
 * its row and is skipped; a failing handler rolls the row back with its effects, so the next
 * delivery runs it again. On PostgreSQL two concurrent deliveries of one event serialise on the
 * primary key: the second waits for the first to commit and then sees a duplicate.
 *
 * An event the consumer's `accepts` refuses is `skipped` with no transaction at all. Work the
 * handler returns runs once the transaction has committed. A consumer with
 * `handleAsStatement` is delivered in one statement, claim and effects together.
 */
export async function deliverOnce(
  transaction: ConsumerTransaction,
  spec: ConsumerSpec,
  event: BusEvent,
): Promise<InboxOutcome> {
  if (spec.accepts && !spec.accepts(event)) return 'skipped';
  if (spec.handleAsStatement) {
    const claim = sql`insert into processed_events (consumer, event_id)
      values (${spec.name}, ${event.eventId}) on conflict do nothing returning event_id`;
    const delivery = spec.handleAsStatement(event, claim);
    const { rows } = await transaction.single((db) => delivery.statement.execute(db));
    const { claimed, after } = delivery.outcome(rows);
    if (!claimed) return 'duplicate';
    after?.();
    return 'ok';
  }
  let after: AfterCommit | void = undefined;
  const outcome = await transaction(async (tx, emit): Promise<InboxOutcome> => {
    const claimed = await sql<{ event_id: string }>`
      insert into processed_events (consumer, event_id) values (${spec.name}, ${event.eventId})
      on conflict do nothing returning event_id`.execute(tx);
    if (claimed.rows.length === 0) return 'duplicate';
    after = await spec.handle(event, tx, emit);
    return 'ok';
  });
  if (typeof after === 'function') (after as AfterCommit)();
  return outcome;
}

/**
 * `deliverOnce` for several events in one transaction, through the consumer's `handleBatch`:
 * one statement records every inbox row, and the handler gets the events that were new, in
 * order (an event id given twice counts once). Returns each event's outcome, in the order
 * given. Throws, having written nothing, when the handler or the transaction fails.
 */
export async function deliverBatch(
  transaction: ConsumerTransaction,
  spec: ConsumerSpec & { handleBatch: NonNullable<ConsumerSpec['handleBatch']> },
  events: readonly BusEvent[],
): Promise<InboxOutcome[]> {
  const outcomes: InboxOutcome[] = events.map((e) =>
    spec.accepts && !spec.accepts(e) ? 'skipped' : 'duplicate',
  );
  const wanted = events.filter((_, i) => outcomes[i] !== 'skipped');
  if (!wanted.length) return outcomes;
  if (spec.handleBatchAsStatement) {
    const handle = spec.handleBatchAsStatement;
    const ids = JSON.stringify([...new Set(wanted.map((e) => e.eventId))]);
    const claim = sql`insert into processed_events (consumer, event_id)
      select ${spec.name}::text, value::uuid from json_array_elements_text(${ids}::json)
      on conflict do nothing returning event_id::text`;
    const done = await transaction.single(async (db, _insert, staging) => {
      const delivery = await handle(wanted, claim, staging);
      if (!delivery) return undefined;
      const { rows } = await delivery.statement.execute(db);
      return delivery.outcome(rows);
    });
    if (done) {
      done.after?.();
      const taken = new Set<string>();
      return events.map((e, i) => {
        if (
          outcomes[i] === 'skipped' ||
          taken.has(e.eventId) ||
          !done.claimed.has(e.eventId.toLowerCase())
        )
          return outcomes[i]!;
        taken.add(e.eventId);
        return 'ok';
      });
    }
  }
  let after: AfterCommit | void = undefined;
  const fresh = await transaction(async (tx, emit) => {
    const ids = JSON.stringify(wanted.map((e) => e.eventId));
    // Each id as given comes back with the row it claimed, so events match whatever their
    // spelling, and an event given twice is taken once.
    const claimed = await sql<{ given: string; id: string }>`
      with ids as (
        select value as given, value::uuid as id from json_array_elements_text(${ids}::json)
      ), claimed as (
        insert into processed_events (consumer, event_id)
        select distinct ${spec.name}::text, id from ids
        on conflict do nothing returning event_id
      )
      select distinct ids.given, ids.id from ids join claimed on claimed.event_id = ids.id`.execute(
      tx,
    );
    const idOf = new Map(claimed.rows.map((r) => [r.given, r.id]));
    const seen = new Set<string>();
    const taken: BusEvent[] = [];
    for (const e of wanted) {
      const id = idOf.get(e.eventId);
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      taken.push(e);
    }
    if (taken.length) after = await spec.handleBatch(taken, tx, emit);
    return new Set(taken);
  });
  if (typeof after === 'function') (after as AfterCommit)();
  return events.map((e, i) => (fresh.delete(e) ? 'ok' : outcomes[i]!));
}

const MAX_ERROR_LENGTH = 2000;

/**
 * The text kept with a dead letter: the error's message only. Stacks and `cause` chains can
 * carry connection strings or request bodies, and dead letters are shown to operators.
 */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}
