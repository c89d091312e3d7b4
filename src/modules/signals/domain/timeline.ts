/**
 * A signal's status and processing timeline, as people read them: one entry per step with
 * when it happened and how long it took since the step before.
 */

/** The stages a signal passes, in order; `published` is the last. */
export const PROGRESS = ['pending', 'enriched', 'published'] as const;
export type Progress = (typeof PROGRESS)[number];

/**
 * What GET /api/v1/signals/{id} reports. Decisions and publication commit together, so
 * `evaluated` is a timeline entry, never a status.
 */
export const SIGNAL_STATUSES = [
  'pending',
  'enriched',
  'published',
  'failed',
  'dead_lettered',
] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];

/** The stage that turns a signal of one progress into the next, for failure reports. */
export type Stage = 'enrich' | 'evaluate';

export const TIMELINE_STAGES = [
  'received',
  'enriched',
  'evaluated',
  'published',
  'failed',
  'dead_lettered',
  'recovered',
] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export interface TimelineRow {
  stage: Exclude<TimelineStage, 'received'>;
  /** ms since epoch. */
  at: number;
  /** Time the stage's own work took, when it measured it. */
  workMs: number | null;
  detail: Record<string, unknown> | null;
}

export interface TimelineEntry {
  stage: TimelineStage;
  at: string;
  /** Time since the entry before (for `received`: since the sender's `sentAt`). */
  durationMs: number;
  workMs?: number;
  detail?: Record<string, unknown>;
}

/**
 * The status shown for a signal: a stage failing now (`failed` while it is retried,
 * `dead_lettered` once the retries are spent) wins over the progress made before it.
 */
export function statusOf(s: {
  progress: Progress;
  failureStage: string | null;
  deadLettered: boolean;
}): SignalStatus {
  if (s.failureStage) return s.deadLettered ? 'dead_lettered' : 'failed';
  return s.progress;
}

/** The entries of a timeline, oldest first, reception included. */
export function timelineOf(
  signal: { sentAt: number; receivedAt: number },
  rows: readonly TimelineRow[],
): TimelineEntry[] {
  const out: TimelineEntry[] = [
    {
      stage: 'received',
      at: new Date(signal.receivedAt).toISOString(),
      durationMs: Math.max(0, signal.receivedAt - signal.sentAt),
    },
  ];
  let prev = signal.receivedAt;
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  for (const r of sorted) {
    out.push({
      stage: r.stage,
      at: new Date(r.at).toISOString(),
      durationMs: Math.max(0, r.at - prev),
      ...(r.workMs !== null ? { workMs: round3(r.workMs) } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
    });
    prev = Math.max(prev, r.at);
  }
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
