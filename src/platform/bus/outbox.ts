import { newId } from '../../core/ids.js';
import type { Clock } from '../../core/clock.js';
import { unnestInsert, type Column, type Db, type Executor, type Tx } from '../db/index.js';

const OUTBOX_COLUMNS: readonly Column[] = [
  ['event_id', 'uuid'],
  ['topic', 'text'],
  ['type', 'text'],
  ['key', 'text'],
  ['payload', 'jsonb'],
  ['ts_event', 'timestamptz'],
  ['ts_init', 'timestamptz'],
];
import type { NewEvent } from './types.js';

export type Emit = (...events: NewEvent[]) => Promise<void>;

/**
 * The write side of the transactional outbox. A command writes its state and its events in one
 * transaction; after commit the relay is nudged so that events leave within milliseconds
 * instead of waiting for the next poll.
 */
export class Outbox {
  private listeners: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Appends events inside the caller's transaction. */
  async append(tx: Executor, events: NewEvent[]): Promise<void> {
    if (!events.length) return;
    const now = this.clock.now();
    const init = new Date(now);
    const rows = events.map((e) => [
      e.eventId ?? newId(),
      e.topic,
      e.type,
      e.key ?? null,
      JSON.stringify(e.payload),
      new Date(e.tsEvent ?? now),
      init,
    ]);
    await unnestInsert('outbox', OUTBOX_COLUMNS, rows).execute(tx);
  }

  /** Runs `fn` in a transaction with an `emit` bound to it; nudges the relay after commit. */
  async transaction<T>(fn: (tx: Tx, emit: Emit) => Promise<T>): Promise<T> {
    let emitted = false;
    const result = await this.db.transaction().execute((tx) =>
      fn(tx, async (...events) => {
        emitted ||= events.length > 0;
        await this.append(tx, events);
      }),
    );
    if (emitted) this.nudge();
    return result;
  }

  /** Tells the relay that committed events are waiting. */
  nudge(): void {
    for (const l of this.listeners) l();
  }

  onCommit(listener: () => void): void {
    this.listeners.push(listener);
  }
}
