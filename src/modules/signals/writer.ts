/**
 * Group commit of accepted signals. Signals arriving within one event-loop turn, or while the
 * previous batch commits, are written together: one INSERT of every row (one JSON parameter)
 * and one of their first stage events, in one transaction. Each request is answered once its
 * batch has committed, so an accepted signal is never lost, and throughput is set by batches
 * per second rather than by one round trip per signal.
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
    return this.outbox.transaction(async (tx, emit) => {
      const seqs = await insertSignals(tx, signals);
      await emit(
        ...signals.map((s) => {
          const signal: Signal = { ...s, seq: seqs.get(s.eventId)! };
          return {
            // The signal's id is the event's too, so a dead letter names the signal it holds.
            eventId: s.eventId,
            topic: topics.signalsPending,
            type: 'SignalReceived',
            key: s.eventId,
            payload: signal,
            tsEvent: s.receivedAt,
          };
        }),
      );
      return seqs;
    });
  }
}
