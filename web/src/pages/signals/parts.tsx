import { ACTION_TONE, pct, type TimelineEntry } from './types';

const STATUS_TONE: Record<string, string> = {
  published: 'ok',
  pending: '',
  enriched: '',
  evaluated: '',
  failed: 'warn',
  dead_lettered: 'bad',
};

export function StatusTag({ status }: { status: string }) {
  return (
    <span className={`badge ${STATUS_TONE[status] ?? ''}`} data-testid="signal-status">
      {status.replace('_', ' ')}
    </span>
  );
}

export function ConsensusTag({ action }: { action: string }) {
  return <span className={`action ${ACTION_TONE[action] ?? ''}`}>{action}</span>;
}

/** Confidence as a bar people read at a glance, with the number beside it. */
export function ConfidenceBar({ value }: { value: number | null | undefined }) {
  const v = value === null || value === undefined || !Number.isFinite(value) ? 0 : value;
  return (
    <span className="confidence" title={pct(value)}>
      <span className="confidence-track">
        <span
          className="confidence-fill"
          style={{ width: `${Math.max(0, Math.min(1, v)) * 100}%` }}
        />
      </span>
      <span className="num small">{pct(value)}</span>
    </span>
  );
}

/**
 * The stages of one signal as a horizontal bar per stage, its length the time the stage took:
 * where the time went is seen before it is read.
 */
export function TimelineChart({ entries }: { entries: TimelineEntry[] }) {
  const max = Math.max(1, ...entries.map((e) => e.durationMs));
  return (
    <ol className="timeline" data-testid="signal-timeline">
      {entries.map((e, i) => (
        <li key={`${e.stage}-${i}`} className={`stage ${e.stage}`}>
          <span className="stage-name">{e.stage.replace('_', ' ')}</span>
          <span className="stage-bar">
            <span style={{ width: `${(e.durationMs / max) * 100}%` }} />
          </span>
          <span className="num small">
            {e.stage === 'received' ? 'after ' : '+'}
            {fmtMs(e.durationMs)}
            {e.workMs !== undefined && e.workMs !== null ? ` (work ${fmtMs(e.workMs)})` : ''}
          </span>
          <span className="muted small">{new Date(e.at).toLocaleTimeString()}</span>
        </li>
      ))}
    </ol>
  );
}

export const fmtMs = (ms: number) =>
  ms < 10
    ? `${ms.toFixed(1)} ms`
    : ms < 10_000
      ? `${Math.round(ms)} ms`
      : `${(ms / 1000).toFixed(1)} s`;
