/**
 * What the pipeline keeps about stages that did not finish: failed attempts of the enrich stage
 * (counted after their rollback, so the signal shows them), and evaluations a dead process left
 * unfinished, taken over by a worker.
 */
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Progress } from './domain/timeline.js';
import type { EnrichedSignal, Signal } from './domain/types.js';
import { claimStalled, enrichedOf } from './store-reads.js';
import { insertTimeline, recordFailure } from './store.js';

const RECOVERY_BATCH = 100;

interface RecoveryDeps {
  database: Database;
  clock: Clock;
  logger: Logger;
  config: { busMaxAttempts: number; signalsRecoveryMs: number };
}

/**
 * Records a failed attempt once its transaction has rolled back: the bus retries the event
 * and dead-letters it after BUS_MAX_ATTEMPTS, and the signal's status and timeline say so.
 */
export function recordFailedAttempt(
  deps: RecoveryDeps,
  signal: Signal,
  stage: string,
  waiting: Progress,
  err: unknown,
): void {
  const error = describeError(err);
  const at = deps.clock.now();
  const { database, config, logger } = deps;
  setImmediate(() => {
    database.db
      .transaction()
      .execute(async (tx) => {
        const r = await recordFailure(tx, {
          eventId: signal.eventId,
          stage,
          waiting,
          error,
          maxAttempts: config.busMaxAttempts,
          at,
        });
        if (!r) return;
        await insertTimeline(tx, [
          {
            signalId: signal.eventId,
            stage: r.deadLettered ? 'dead_lettered' : 'failed',
            at,
            workMs: null,
            detail: { stage, attempt: r.attempts, error },
          },
        ]);
      })
      .catch((e: unknown) =>
        logger.warn(
          { at: 'signals#failed', eventId: signal.eventId, error: describeError(e) },
          'could not record a failed attempt',
        ),
      );
  });
}

/**
 * Claims enriched signals whose evaluation has not finished within SIGNALS_RECOVERY_MS, except
 * those `held` here (queued behind slow evaluations: late, not stalled), and marks each
 * `recovered` in its timeline. Returns them, ready to be evaluated again.
 */
export async function takeOverStalled(
  deps: RecoveryDeps,
  held: ReadonlySet<string>,
): Promise<EnrichedSignal[]> {
  const now = deps.clock.now();
  const claimed = await deps.database.db.transaction().execute(async (tx) => {
    const rows = await claimStalled(tx, {
      olderThan: now - deps.config.signalsRecoveryMs,
      now,
      limit: RECOVERY_BATCH,
    });
    const stalled = rows.filter((r) => !held.has(r.event_id));
    await insertTimeline(
      tx,
      stalled.map((r) => ({
        signalId: r.event_id,
        stage: 'recovered' as const,
        at: now,
        workMs: null,
        detail: { reason: 'evaluation unfinished' },
      })),
    );
    return stalled;
  });
  if (claimed.length)
    deps.logger.warn(
      { at: 'signals#recover', count: claimed.length },
      'resumed evaluations another process left unfinished',
    );
  return claimed.flatMap((r) => enrichedOf(r) ?? []);
}
