import { useCallback, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link } from '../../app/router';
import { Empty, FieldError, Notice, Num, Panel, TextField } from '../../components/ui';
import { ApiError, messageOf } from '../../lib/api';
import { fmtTime } from '../../lib/format';
import { useApi, useChannel, useInterval, useResource, useResync } from '../../lib/hooks';
import { useMarket } from '../../state/market';
import { ConfidenceBar, ConsensusTag, StatusTag } from './parts';
import type { Direction, SignalPage, SignalSummary } from './types';

const FIELDS = [
  'symbol',
  'direction',
  'entry',
  'stop',
  'takeProfit',
  'source',
  'timeframe',
  'profile',
];
const PROFILES = ['trend_follow_v1', 'crypto_perps_v1', 'full_v1'];
const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'];

/**
 * Send a signal by hand and watch it go through the pipeline: every model's verdict and the
 * consensus arrive over the `decisions` channel as soon as the signal is published.
 */
export function SignalFeed() {
  const page = useResource<SignalPage>('/api/v1/signals?limit=25');
  const reload = page.reload;
  // Decisions arrive in bursts (one frame per signal); one reload per burst is enough.
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const soon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void reload(), 150);
  }, [reload]);
  useChannel(
    useMemo(() => ({ channel: 'decisions' as const }), []),
    soon,
  );
  useResync(soon);
  const signals = page.data?.signals ?? [];
  const unfinished = signals.some(
    (s) => s.status === 'pending' || s.status === 'enriched' || s.status === 'failed',
  );
  // A signal still in the pipeline is polled too, so a retry or a dead letter shows up.
  useInterval(() => unfinished && void reload(), 2000);

  return (
    <div className="two-col wide-right">
      <SendSignalForm onSent={soon} />
      <Panel title="Recent signals" testId="signal-list">
        {page.error && <Notice kind="error">{page.error}</Notice>}
        {!signals.length && !page.loading && (
          <Empty>No signals yet. Send one, or post to POST /api/v1/signals with an API key.</Empty>
        )}
        {signals.length > 0 && <SignalTable signals={signals} />}
      </Panel>
    </div>
  );
}

function SignalTable({ signals }: { signals: SignalSummary[] }) {
  return (
    <table className="grid signals-table">
      <thead>
        <tr>
          <th>received</th>
          <th>signal</th>
          <th>source</th>
          <th>status</th>
          <th>consensus</th>
          <th>models</th>
        </tr>
      </thead>
      <tbody>
        {signals.map((s) => (
          <tr key={s.eventId} data-testid="signal-row" data-status={s.status}>
            <td className="muted">{fmtTime(s.receivedAt)}</td>
            <td>
              <Link to={`/signals/view/${s.eventId}`}>
                <span className={`dir ${s.direction}`}>{s.direction}</span> {s.symbol}
              </Link>
              {s.entry && (
                <span className="muted small">
                  {' '}
                  @ <Num value={s.entry} />
                </span>
              )}
            </td>
            <td>{s.source}</td>
            <td>
              <StatusTag status={s.status} />
            </td>
            <td data-testid="signal-consensus">
              {s.consensus ? (
                <>
                  <ConsensusTag action={s.consensus.action} />
                  <ConfidenceBar value={s.consensus.confidence} />
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td className="models">
              {s.decisions.map((d) => (
                <span
                  key={d.modelId}
                  className={`model-chip ${d.status === 'ok' ? (d.verdict?.action ?? '') : 'failed'}`}
                  title={
                    d.status === 'ok'
                      ? `${d.modelId}: ${d.verdict?.action} ${Math.round((d.verdict?.confidence ?? 0) * 100)} % — ${d.verdict?.reasoning}`
                      : `${d.modelId}: failed (${d.failure?.code}) ${d.failure?.message ?? ''}`
                  }
                >
                  {d.modelId.replace(/^(quant|llm)\./, '')}
                </span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SendSignalForm({ onSent }: { onSent: () => void }) {
  const api = useApi();
  const { instruments } = useMarket();
  const [symbol, setSymbol] = useState('BTC/USDT');
  const [direction, setDirection] = useState<Direction>('long');
  const [entry, setEntry] = useState('');
  const [stop, setStop] = useState('');
  const [takeProfit, setTakeProfit] = useState('');
  const [source, setSource] = useState('manual');
  const [timeframe, setTimeframe] = useState('15m');
  const [profile, setProfile] = useState('full_v1');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string; id?: string }>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setResult(undefined);
    const body: Record<string, unknown> = {
      symbol,
      direction,
      source: source.trim(),
      timeframe,
      profile,
      sentAt: new Date().toISOString(),
    };
    if (entry.trim()) body.entry = entry.trim();
    if (stop.trim()) body.stop = stop.trim();
    if (takeProfit.trim()) body.takeProfit = takeProfit.trim();
    try {
      const r = await api.post<{ eventId: string }>('/api/v1/signals', body);
      setResult({ kind: 'ok', text: 'Accepted: the models are judging it.', id: r.eventId });
      onSent();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields);
        const rest = Object.entries(err.fields).filter(([f]) => !FIELDS.includes(f));
        if (rest.length)
          setResult({ kind: 'error', text: rest.map(([f, m]) => `${f}: ${m}`).join('; ') });
      } else setResult({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Panel title="Send a signal" testId="signal-form">
      <form onSubmit={submit} className="stack" noValidate>
        <div className="row">
          <div className="grow">
            <label htmlFor="sig-symbol">Instrument</label>
            <select id="sig-symbol" value={symbol} onChange={(e) => setSymbol(e.target.value)}>
              {(instruments.length ? instruments.map((i) => i.symbol) : ['BTC/USDT']).map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <FieldError name="symbol" message={errors.symbol} />
          </div>
          <div className="grow">
            <label>Direction</label>
            <div className="segmented" role="radiogroup" aria-label="Direction">
              {(['long', 'short', 'close'] as const).map((d) => (
                <button
                  key={d}
                  type="button"
                  role="radio"
                  aria-checked={direction === d}
                  className={direction === d ? `on ${d}` : ''}
                  onClick={() => setDirection(d)}
                >
                  {d}
                </button>
              ))}
            </div>
          </div>
        </div>
        <div className="row">
          {(
            [
              ['entry', 'Entry', entry, setEntry],
              ['stop', 'Stop', stop, setStop],
              ['takeProfit', 'Take profit', takeProfit, setTakeProfit],
            ] as const
          ).map(([name, label, value, set]) => (
            <TextField
              key={name}
              id={`sig-${name}`}
              label={label}
              inputMode="decimal"
              placeholder="optional"
              value={value}
              onChange={set}
              name={name}
              error={errors[name]}
            />
          ))}
        </div>
        <div className="row">
          <TextField
            id="sig-source"
            label="Source"
            value={source}
            onChange={setSource}
            name="source"
            error={errors.source}
          />
          <div>
            <label htmlFor="sig-timeframe">Timeframe</label>
            <select
              id="sig-timeframe"
              value={timeframe}
              onChange={(e) => setTimeframe(e.target.value)}
            >
              {TIMEFRAMES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="sig-profile">Features</label>
            <select id="sig-profile" value={profile} onChange={(e) => setProfile(e.target.value)}>
              {PROFILES.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </div>
        </div>
        {result && (
          <Notice kind={result.kind} testId="signal-result">
            {result.text} {result.id && <Link to={`/signals/view/${result.id}`}>Follow it</Link>}
          </Notice>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send signal'}
        </button>
        <p className="muted small">
          Programs send the same body to <code>POST /api/v1/signals</code> with an API key that has
          the <code>signals</code> scope; TradingView alerts go to a source&apos;s webhook.
        </p>
      </form>
    </Panel>
  );
}
