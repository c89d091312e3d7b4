/**
 * Group commit of accepted signals. Signals arriving within one event-loop turn, or while the
 * previous batch is being written, are written together: one statement inserts every row and
 * every first stage event (two inserts, one JSON parameter each), atomically. Each
 * request is answered once its batch has committed, so an accepted signal is never lost, and
 * throughput is set by batches per second rather than by round trips per signal.
 *
 * The events carry the signal without its `seq`: the database assigns it in that same
 * statement, and the enrich stage reads it back with the row it updates.
 */
import { topics } from '../../core/topics.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Signal } from './domain/types.js';
import { insertSignals } from './store.js';

/** Signals per transaction at most: bounds one statement's size under a flood. */
const MAX_BATCH = 2000;

interface Pending {
  signal: Signal;
  resolve(seq: number): void;
  reject(err: unknown): void;
}

export class SignalWriter {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly outbox: Outbox) {}

  /** Stores the signal with its SignalReceived event; resolves with its sequence number. */
  submit(signal: Signal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ signal, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A signal queued after the loop's last look but before this callback would otherwise wait.
      if (this.queue.length) this.kick();
    });
  }

  /** Resolves once every signal submitted so far is written (or refused). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * One batch at a time, each one statement with no transaction around it (see
   * `Outbox.single`): a batch costs one round trip, and batches commit in `seq` order because
   * the next starts only once the one before has committed.
   */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      // One turn lets every request of this turn (and those woken by the last commit) join.
      await new Promise<void>((r) => setImmediate(r));
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const seqs = await this.write(batch.map((p) => p.signal));
        for (const p of batch) p.resolve(seqs.get(p.signal.eventId)!);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }

  private write(signals: Signal[]): Promise<Map<string, number>> {
    return this.outbox.single((db, stage) =>
      insertSignals(
        db,
        signals,
        stage(
          signals.map((s) => ({
            // The signal's id is the event's too, so a dead letter names the signal it holds.
            eventId: s.eventId,
            topic: topics.signalsPending,
            type: 'SignalReceived',
            key: s.eventId,
            payload: s,
            tsEvent: s.receivedAt,
          })),
        ),
      ),
    );
  }
}
