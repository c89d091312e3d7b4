/**
 * Group commit of decisions. Signals whose evaluation finishes while the previous batch
 * commits are published together: one statement moves them from `enriched` to `published`
 * with their consensus and stage times and inserts one decision per model, one more appends
 * their `SignalDecided` events, in one transaction. A signal is answered once its batch has
 * committed, so nothing is acknowledged (on the feed, in metrics) before it is stored.
 *
 * A batch that fails is written again one signal at a time, each with its own retries, so that
 * a signal whose write cannot succeed fails alone; one whose retries run out is left to the
 * recovery of unfinished evaluations.
 */
import type { Clock } from '../../core/clock.js';
import { describeError, type Outbox } from '../../platform/bus/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { SignalDecidedPayload } from './domain/types.js';
import { decidedEvent } from './events.js';
import { recordDecisions, type DecisionsRow } from './store.js';

/** Signals per transaction at most. */
const MAX_BATCH = 500;
const MAX_WRITE_ATTEMPTS = 5;

export interface Published {
  payload: SignalDecidedPayload;
  publishedAt: number;
}

interface Pending {
  row: DecisionsRow;
  resolve(p: Published | undefined): void;
  reject(err: unknown): void;
}

export class DecisionWriter {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly deps: { outbox: Outbox; clock: Clock; logger: Logger }) {}

  /**
   * Publishes a signal's decisions; resolves once committed, with what was published, or with
   * undefined when the signal was no longer `enriched` (another evaluation got there first).
   */
  submit(row: DecisionsRow): Promise<Published | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.kick();
    });
  }

  /** Stops retrying failed writes; what is queued is still written once. */
  stop(): void {
    this.stopping = true;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      // Evaluations finishing in this turn join the batch.
      await new Promise<void>((r) => setImmediate(r));
      const batch = this.queue.splice(0, MAX_BATCH);
      let written: Map<string, Published>;
      try {
        written = await this.write(batch.map((p) => p.row));
      } catch (err) {
        if (batch.length === 1) void this.alone(batch[0]!, 2, err);
        else {
          this.deps.logger.warn(
            { at: 'signals#decisions', signals: batch.length, error: describeError(err) },
            'decision batch not stored; writing its signals one at a time',
          );
          for (const p of batch) void this.alone(p, 1, err);
        }
        continue;
      }
      for (const p of batch) p.resolve(written.get(p.row.signal.eventId));
    }
  }

  /** One signal's write with its own retries, beside the batches (its backoff holds none). */
  private async alone(p: Pending, attempt: number, lastError: unknown): Promise<void> {
    for (; ; attempt++) {
      if (attempt > MAX_WRITE_ATTEMPTS || this.stopping) return p.reject(lastError);
      if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
      try {
        const written = await this.write([p.row]);
        return p.resolve(written.get(p.row.signal.eventId));
      } catch (err) {
        lastError = err;
      }
    }
  }

  private write(rows: readonly DecisionsRow[]): Promise<Map<string, Published>> {
    return this.deps.outbox.transaction(async (tx, emit) => {
      const publishedAt = this.deps.clock.now();
      const seqs = await recordDecisions(tx, rows, publishedAt);
      const out = new Map<string, Published>();
      for (const r of rows) {
        const seq = seqs.get(r.signal.eventId);
        if (seq === undefined) continue;
        const payload: SignalDecidedPayload = {
          signal: { ...r.signal, seq },
          decisions: [...r.decisions],
          consensus: r.consensus,
        };
        out.set(r.signal.eventId, { payload, publishedAt });
      }
      if (out.size)
        await emit(...[...out.values()].map(({ payload }) => decidedEvent(payload, publishedAt)));
      return out;
    });
  }
}
