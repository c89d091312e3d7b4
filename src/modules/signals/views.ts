/**
 * The shapes of the REST answers. Times are ISO-8601 here, as everywhere in the REST API;
 * events and `/ws` frames carry the shared types of domain/types.ts, with epoch milliseconds.
 */
import { statusOf, timelineOf, type TimelineEntry, type TimelineRow } from './domain/timeline.js';
import type { Consensus, Decision, Signal } from './domain/types.js';
import { signalOf, type SignalRow } from './store-reads.js';

export interface DecisionView extends Omit<Decision, 'signalId' | 'decidedAt'> {
  decidedAt: string;
}

export interface SignalView extends Omit<Signal, 'userId' | 'sentAt' | 'receivedAt' | 'seq'> {
  seq: number;
  status: string;
  sentAt: string;
  receivedAt: string;
  consensus: Consensus | null;
  decisions: DecisionView[];
  failure: { stage: string; attempts: number; error: string | null; deadLettered: boolean } | null;
}

export interface SignalDetailView extends SignalView {
  timeline: TimelineEntry[];
  enrichment: {
    market: unknown;
    features: unknown;
    quality: string[];
    enrichedAt: string;
  } | null;
}

export const decisionView = ({ signalId: _id, decidedAt, ...d }: Decision): DecisionView => ({
  ...d,
  decidedAt: new Date(decidedAt).toISOString(),
});

export function signalView(r: SignalRow, decisions: readonly Decision[]): SignalView {
  const { userId: _u, sentAt, receivedAt, seq, ...s } = signalOf(r);
  return {
    ...s,
    seq: seq!,
    status: statusOf({
      progress: r.progress,
      failureStage: r.failure_stage,
      deadLettered: r.dead_lettered_at !== null,
    }),
    sentAt: new Date(sentAt).toISOString(),
    receivedAt: new Date(receivedAt).toISOString(),
    consensus: r.consensus,
    decisions: decisions.map(decisionView),
    failure: r.failure_stage
      ? {
          stage: r.failure_stage,
          attempts: Number(r.failure_attempts),
          error: r.failure_error,
          deadLettered: r.dead_lettered_at !== null,
        }
      : null,
  };
}

/** The stages a signal has passed, from the times kept on its row. */
function stagesOf(r: SignalRow): TimelineRow[] {
  const at = (d: Date | string | null) => (d === null ? undefined : new Date(d).getTime());
  const out: TimelineRow[] = [];
  const enriched = at(r.enriched_at);
  if (enriched !== undefined)
    out.push({
      stage: 'enriched',
      at: enriched,
      workMs: r.enrich_ms === null ? null : Number(r.enrich_ms),
      detail: {
        timeframe: r.market?.timeframe ?? null,
        candles: r.market?.candles ?? 0,
        quality: r.quality ?? [],
      },
    });
  const evaluated = at(r.evaluated_at);
  if (evaluated !== undefined)
    out.push({
      stage: 'evaluated',
      at: evaluated,
      workMs: r.evaluate_ms === null ? null : Number(r.evaluate_ms),
      detail: r.consensus
        ? {
            models: r.consensus.answered + r.consensus.failed,
            failed: r.consensus.failed,
            consensus: r.consensus.action,
          }
        : null,
    });
  const published = at(r.published_at);
  if (published !== undefined)
    out.push({ stage: 'published', at: published, workMs: null, detail: null });
  return out;
}

export function signalDetailView(
  r: SignalRow,
  decisions: readonly Decision[],
  timeline: readonly TimelineRow[],
): SignalDetailView {
  const base = signalView(r, decisions);
  return {
    ...base,
    timeline: timelineOf(
      { sentAt: new Date(r.sent_at).getTime(), receivedAt: new Date(r.received_at).getTime() },
      [...stagesOf(r), ...timeline],
    ),
    enrichment:
      r.market && r.enriched_at
        ? {
            market: r.market,
            features: r.features ?? {},
            quality: r.quality ?? [],
            enrichedAt: new Date(r.enriched_at).toISOString(),
          }
        : null,
  };
}
