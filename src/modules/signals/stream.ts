/**
 * Signals as a stream, in the order they were accepted, each with its decisions: what a
 * backtester replays. Reads page by `seq`, so a caller walks any length of history in bounded
 * pieces and can resume where it stopped.
 */
import type { Executor } from '../../platform/db/index.js';
import type { Consensus, Decision, Signal } from './domain/types.js';
import { decisionsOf, listSignals, signalOf } from './store-reads.js';

export interface StreamedSignal {
  signal: Signal & { seq: number };
  decisions: Decision[];
  /** Null until the signal is published. */
  consensus: Consensus | null;
}

/**
 * A user's signals (of one source, when given) with a sequence number above `afterSeq`,
 * oldest first, at most `limit`. Pass the last `signal.seq` as the next `afterSeq`.
 *
 * @example
 * for (let after = 0; ; ) {
 *   const page = await readSignalStream(db, { userId, afterSeq: after, limit: 500 });
 *   if (!page.length) break;
 *   for (const s of page) backtest.onSignal(s);
 *   after = page.at(-1)!.signal.seq;
 * }
 */
export async function readSignalStream(
  db: Executor,
  q: { userId: string; source?: string; afterSeq: number; limit: number },
): Promise<StreamedSignal[]> {
  const rows = await listSignals(db, {
    userId: q.userId,
    source: q.source,
    afterSeq: q.afterSeq,
    limit: q.limit,
  });
  const decisions = await decisionsOf(
    db,
    rows.map((r) => r.event_id),
  );
  return rows.map((r) => ({
    signal: signalOf(r) as Signal & { seq: number },
    decisions: decisions.get(r.event_id) ?? [],
    consensus: r.consensus,
  }));
}
