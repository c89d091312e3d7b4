import { newId } from '../../core/ids.js';
import type { Clock } from '../../core/clock.js';
import { jsonInsert, type Db, type Executor, type Tx } from '../db/index.js';

const OUTBOX_COLUMNS = ['event_id', 'topic', 'type', 'key', 'payload', 'ts_event', 'ts_init'];
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
    const init = new Date(now).toISOString();
    const rows = events.map((e) => ({
      event_id: e.eventId ?? newId(),
      topic: e.topic,
      type: e.type,
      key: e.key ?? null,
      // Nested as JSON, not as a string: the column takes the value itself.
      payload: e.payload,
      ts_event: new Date(e.tsEvent ?? now).toISOString(),
      ts_init: init,
    }));
    await jsonInsert('outbox', OUTBOX_COLUMNS, rows).execute(tx);
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
