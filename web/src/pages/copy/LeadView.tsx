import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { FieldError, Notice, Num, Panel } from '../../components/ui';
import { ApiError, messageOf } from '../../lib/api';
import { fmtDateTime } from '../../lib/format';
import { useApi } from '../../lib/hooks';
import type { Leader } from '../../lib/types';
import { words } from './copy-format';

const FIELDS = ['displayName', 'description', 'performanceFeePct', 'subscription'];

/**
 * The trader's own leader profile: created with the default account as the copied one, then
 * changed, paused, resumed or stopped. A stopped profile is gone from `leaders/me`, so the
 * form offers a new one, keeping what was typed.
 */
export function LeadView() {
  const api = useApi();
  const [me, setMe] = useState<Leader | null>();
  const [loadError, setLoadError] = useState<string>();

  const load = useCallback(async () => {
    try {
      setMe(await api.get<Leader>('/api/v1/copy/leaders/me'));
      setLoadError(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMe(null);
      else setLoadError(messageOf(err));
    }
  }, [api]);
  useEffect(() => void load(), [load]);

  if (loadError) return <Notice kind="error">{loadError}</Notice>;
  if (me === undefined) return <p className="loading muted">Loading your profile…</p>;
  return (
    <div className="two-col wide-left">
      <ProfileForm me={me} onSaved={setMe} />
      {me ? (
        <StatusPanel me={me} onChange={load} />
      ) : (
        <Panel title="Leading">
          <p className="muted small">
            Your default account&apos;s fills are copied to everyone who follows you. Followers pay
            the performance fee on their realized profit above its high-water mark, weekly and when
            they leave; a subscription is charged in arrears. New fee terms apply to new followers
            only.
          </p>
        </Panel>
      )}
    </div>
  );
}

function ProfileForm({ me, onSaved }: { me: Leader | null; onSaved: (l: Leader) => void }) {
  const api = useApi();
  const [displayName, setDisplayName] = useState(me?.displayName ?? '');
  const [description, setDescription] = useState(me?.description ?? '');
  const [fee, setFee] = useState(me?.fees.performanceFeePct ?? '');
  const [subAmount, setSubAmount] = useState(me?.fees.subscription?.amount ?? '');
  const [subDays, setSubDays] = useState(String(me?.fees.subscription?.periodDays ?? '30'));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setResult(undefined);
    const body: Record<string, unknown> = {
      displayName: displayName.trim(),
      description: description.trim() || null,
      performanceFeePct: fee.trim() || '0',
      // A whole number of days is the API's unit; anything else is sent as typed for it to refuse.
      subscription: subAmount.trim()
        ? {
            amount: subAmount.trim(),
            periodDays: /^\d+$/.test(subDays.trim()) ? Number(subDays.trim()) : subDays.trim(),
          }
        : null,
    };
    try {
      const saved = me
        ? await api.patch<Leader>('/api/v1/copy/leaders/me', body)
        : await api.post<Leader>('/api/v1/copy/leaders', body);
      onSaved(saved);
      setResult({ kind: 'ok', text: me ? 'Profile saved.' : 'You are a leader now.' });
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
    <Panel title={me ? 'Your leader profile' : 'Become a leader'} testId="leader-form">
      <form onSubmit={submit} className="stack" noValidate>
        <label htmlFor="leader-name">Display name</label>
        <input
          id="leader-name"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          aria-invalid={Boolean(errors.displayName)}
          placeholder="e.g. Steady BTC swings"
        />
        <FieldError name="displayName" message={errors.displayName} />
        <label htmlFor="leader-description">Description (optional)</label>
        <textarea
          id="leader-description"
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={Boolean(errors.description)}
        />
        <FieldError name="description" message={errors.description} />
        <label htmlFor="leader-fee">Performance fee (% of profit above the high-water mark)</label>
        <input
          id="leader-fee"
          inputMode="decimal"
          autoComplete="off"
          value={fee}
          onChange={(e) => setFee(e.target.value)}
          aria-invalid={Boolean(errors.performanceFeePct)}
          placeholder="0–50, e.g. 20"
        />
        <FieldError name="performanceFeePct" message={errors.performanceFeePct} />
        <div className="row">
          <div className="grow">
            <label htmlFor="leader-sub-amount">Subscription (optional)</label>
            <input
              id="leader-sub-amount"
              inputMode="decimal"
              autoComplete="off"
              value={subAmount}
              onChange={(e) => setSubAmount(e.target.value)}
              aria-invalid={Boolean(errors.subscription)}
              placeholder="amount per period"
            />
          </div>
          <div className="grow">
            <label htmlFor="leader-sub-days">Every (days)</label>
            <input
              id="leader-sub-days"
              inputMode="numeric"
              autoComplete="off"
              value={subDays}
              onChange={(e) => setSubDays(e.target.value)}
              disabled={!subAmount.trim()}
            />
          </div>
        </div>
        <FieldError name="subscription" message={errors.subscription} />
        {result && (
          <Notice kind={result.kind} testId="leader-result">
            {result.text}
          </Notice>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : me ? 'Save profile' : 'Become a leader'}
        </button>
      </form>
    </Panel>
  );
}

function StatusPanel({ me, onChange }: { me: Leader; onChange: () => Promise<void> }) {
  const api = useApi();
  const [confirmStop, setConfirmStop] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const command = async (c: 'pause' | 'resume' | 'stop') => {
    setBusy(true);
    setProblem(undefined);
    try {
      await api.post(`/api/v1/copy/leaders/me/${c}`);
      setConfirmStop(false);
      await onChange();
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel
      title={
        <>
          Status
          <span
            className={`badge ${me.status === 'active' ? '' : 'warn'}`}
            data-testid="leader-status"
          >
            {words(me.status)}
          </span>
        </>
      }
      testId="leader-status-panel"
    >
      <dl className="stats follow-stats">
        <div className="stat">
          <dt>Followers</dt>
          <dd className="num">{me.followers}</dd>
        </div>
        <div className="stat">
          <dt>Copying</dt>
          <dd>
            <Num value={me.amountCopying} places={2} />
          </dd>
        </div>
        <div className="stat">
          <dt>Since</dt>
          <dd className="num">{fmtDateTime(me.createdAt)}</dd>
        </div>
      </dl>
      <p className="muted small">
        Pausing stops opening trades from being copied and new followers from joining; exits are
        still copied. Stopping is for good.
      </p>
      {problem && <Notice kind="error">{problem}</Notice>}
      <div className="button-row">
        {me.status === 'active' && (
          <button disabled={busy} onClick={() => void command('pause')}>
            Pause
          </button>
        )}
        {me.status === 'paused' && (
          <button disabled={busy} onClick={() => void command('resume')}>
            Resume
          </button>
        )}
        {confirmStop ? (
          <>
            <button className="danger" disabled={busy} onClick={() => void command('stop')}>
              Stop for good
            </button>
            <button onClick={() => setConfirmStop(false)}>Keep leading</button>
          </>
        ) : (
          <button className="danger" disabled={busy} onClick={() => setConfirmStop(true)}>
            Stop
          </button>
        )}
      </div>
    </Panel>
  );
}
