import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { AfterCommit, BusEvent, ConsumerSpec } from './types.js';

export type InboxOutcome = 'ok' | 'duplicate' | 'skipped';

/**
 * Delivers an event to a consumer at most once in effect: one transaction records
 * `(consumer, eventId)` in `processed_events` and runs the handler. A redelivered event finds
 * its row and is skipped; a failing handler rolls the row back with its effects, so the next
 * delivery runs it again. On PostgreSQL two concurrent deliveries of one event serialise on the
 * primary key: the second waits for the first to commit and then sees a duplicate.
 *
 * An event the consumer's `accepts` refuses is `skipped` with no transaction at all. Work the
 * handler returns runs once the transaction has committed.
 */
export async function deliverOnce(
  db: Db,
  spec: ConsumerSpec,
  event: BusEvent,
): Promise<InboxOutcome> {
  if (spec.accepts && !spec.accepts(event)) return 'skipped';
  let after: AfterCommit | void = undefined;
  const outcome = await db.transaction().execute(async (tx): Promise<InboxOutcome> => {
    const claimed = await sql<{ event_id: string }>`
      insert into processed_events (consumer, event_id) values (${spec.name}, ${event.eventId})
      on conflict do nothing returning event_id`.execute(tx);
    if (claimed.rows.length === 0) return 'duplicate';
    after = await spec.handle(event, tx);
    return 'ok';
  });
  if (typeof after === 'function') (after as AfterCommit)();
  return outcome;
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
