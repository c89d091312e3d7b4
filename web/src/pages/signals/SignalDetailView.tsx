import { Link } from '../../app/router';
import { Empty, Notice, Num, Panel } from '../../components/ui';
import { fmtDateTime } from '../../lib/format';
import { useChannel, useInterval, useResource } from '../../lib/hooks';
import { ConfidenceBar, ConsensusTag, StatusTag, TimelineChart, fmtMs } from './parts';
import type { SignalDetail } from './types';

/** One signal: what was sent, how the pipeline handled it, what each model said and why. */
export function SignalDetailView({ eventId }: { eventId: string }) {
  const r = useResource<SignalDetail>(`/api/v1/signals/${encodeURIComponent(eventId)}`);
  const s = r.data;
  useChannel({ channel: 'decisions' }, (d: { signal?: { eventId?: string } }) => {
    if (d?.signal?.eventId === eventId) void r.reload();
  });
  useInterval(
    () => s && s.status !== 'published' && s.status !== 'dead_lettered' && void r.reload(),
    1500,
  );

  if (r.error) return <Notice kind="error">{r.error}</Notice>;
  if (!s) return <p className="loading muted">Loading the signal…</p>;
  return (
    <div className="stack">
      <p>
        <Link to="/signals">← all signals</Link>
      </p>
      <div className="two-col">
        <Panel
          title={
            <>
              <span className={`dir ${s.direction}`}>{s.direction}</span> {s.symbol}{' '}
              <StatusTag status={s.status} />
            </>
          }
          testId="signal-detail"
        >
          <dl className="facts">
            <dt>source</dt>
            <dd>
              {s.source}
              {s.strategy ? ` · ${s.strategy}` : ''}
            </dd>
            <dt>entry / stop / target</dt>
            <dd>
              <Num value={s.entry} /> / <Num value={s.stop} /> / <Num value={s.takeProfit} />
            </dd>
            <dt>timeframe · features</dt>
            <dd>
              {s.timeframe ?? 'default'} · {s.profile}
            </dd>
            <dt>sent · received</dt>
            <dd>
              {fmtDateTime(s.sentAt)} · {fmtDateTime(s.receivedAt)}
            </dd>
            <dt>event id</dt>
            <dd>
              <code>{s.eventId}</code>
            </dd>
          </dl>
          {s.failure && (
            <Notice kind={s.failure.deadLettered ? 'error' : 'info'}>
              {s.failure.stage} failed {s.failure.attempts}×
              {s.failure.deadLettered ? ' and was dead-lettered' : ', retrying'}
              {s.failure.error ? `: ${s.failure.error}` : ''}
            </Notice>
          )}
        </Panel>
        <Panel title="Timeline">
          <TimelineChart entries={s.timeline} />
        </Panel>
      </div>
      <Panel
        title={
          <>
            Decisions
            {s.consensus && (
              <span className="consensus" data-testid="detail-consensus">
                consensus <ConsensusTag action={s.consensus.action} />{' '}
                <ConfidenceBar value={s.consensus.confidence} />{' '}
                <span className="muted small">
                  {s.consensus.agreeing}/{s.consensus.answered} agree
                  {s.consensus.failed ? `, ${s.consensus.failed} failed` : ''}
                </span>
              </span>
            )}
          </>
        }
        testId="signal-decisions"
      >
        {!s.decisions.length ? (
          <Empty>No decisions yet.</Empty>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>model</th>
                <th>verdict</th>
                <th>confidence</th>
                <th>size</th>
                <th>stop / target</th>
                <th>latency</th>
                <th>tokens</th>
                <th>reasoning</th>
              </tr>
            </thead>
            <tbody>
              {s.decisions.map((d) => (
                <tr key={d.modelId} data-testid="decision-row">
                  <td>
                    {d.modelId} <span className="muted small">{d.kind}</span>
                  </td>
                  {d.status === 'ok' && d.verdict ? (
                    <>
                      <td>
                        <ConsensusTag action={d.verdict.action} />
                      </td>
                      <td>
                        <ConfidenceBar value={d.verdict.confidence} />
                      </td>
                      <td className="num">
                        {d.verdict.sizePct === null ? '—' : `${d.verdict.sizePct} %`}
                      </td>
                      <td>
                        <Num value={d.verdict.stop} /> / <Num value={d.verdict.takeProfit} />
                      </td>
                      <td className="num">{fmtMs(d.latencyMs)}</td>
                      <td className="num">
                        {d.verdict.tokens
                          ? d.verdict.tokens.prompt + d.verdict.tokens.completion
                          : '—'}
                      </td>
                      <td className="reasoning">{d.verdict.reasoning}</td>
                    </>
                  ) : (
                    <>
                      <td>
                        <span className="badge bad">failed</span>
                      </td>
                      <td colSpan={3} className="muted">
                        {d.failure?.code}
                      </td>
                      <td className="num">{fmtMs(d.latencyMs)}</td>
                      <td />
                      <td className="reasoning">{d.failure?.message}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {s.enrichment && (
        <Panel title="Market context and features">
          {s.enrichment.quality.length > 0 && (
            <p>
              {s.enrichment.quality.map((q) => (
                <span key={q} className="badge warn">
                  {q.replaceAll('_', ' ')}
                </span>
              ))}
            </p>
          )}
          <div className="two-col">
            <KeyValues data={s.enrichment.market} />
            <KeyValues data={s.enrichment.features} />
          </div>
        </Panel>
      )}
    </div>
  );
}

function KeyValues({ data }: { data: Record<string, unknown> }) {
  return (
    <dl className="facts">
      {Object.entries(data).map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd className="num">
            {/(At|asOf)$/.test(k) && typeof v === 'number' ? fmtDateTime(v) : show(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  if (Array.isArray(v)) return v.map(show).join(', ') || '—';
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k} ${show(x)}`)
      .join(' · ');
  return String(v);
}
