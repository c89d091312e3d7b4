import { useState, type FormEvent } from 'react';
import { Empty, FieldError, Notice, Num, Panel, SideTag, TextField } from '../../components/ui';
import { ApiError, messageOf } from '../../lib/api';
import { fmtTime } from '../../lib/format';
import { useApi, useResource } from '../../lib/hooks';
import { useAccount } from '../../state/account';
import { useMarket } from '../../state/market';
import { ConsensusTag, StatusTag } from './parts';
import type { Binding, BindingAction, Direction, Sizing } from './types';

const FIELDS = [
  'source',
  'accountId',
  'minConfidence',
  'minAgreeing',
  'maxOrderNotional',
  'sizing',
  'allowedSymbols',
  'directions',
];

/** `/rules/sizing/notional` → `sizing`: the binding API nests its rules. */
const ruleField = (f: string) => (f === 'rules' ? '' : f);

/**
 * Auto-trading: a source bound to one of the user's accounts with rules. Decisions whose
 * consensus passes the rules place orders there (and are copied to followers when the account
 * is a leader's); each decision's outcome is listed, placed or skipped with the reason.
 */
export function AutoTradeView() {
  const api = useApi();
  const list = useResource<Binding[] | { bindings: Binding[] }>('/api/v1/signals/bindings');
  const bindings = Array.isArray(list.data) ? list.data : (list.data?.bindings ?? []);
  const [selected, setSelected] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const { accounts } = useAccount();
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id.slice(0, 8);

  async function command(b: Binding, what: 'pause' | 'resume' | 'delete') {
    setProblem(undefined);
    try {
      if (what === 'delete') await api.del(`/api/v1/signals/bindings/${b.id}`);
      else
        await api.patch(`/api/v1/signals/bindings/${b.id}`, {
          status: what === 'pause' ? 'paused' : 'active',
        });
      await list.reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <div className="stack">
      <div className="two-col wide-right">
        <BindingForm onSaved={() => void list.reload()} />
        <Panel title="Your rules" testId="binding-list">
          {problem && <Notice kind="error">{problem}</Notice>}
          {!bindings.length ? (
            <Empty>No source trades for you yet.</Empty>
          ) : (
            <table className="grid">
              <thead>
                <tr>
                  <th>source</th>
                  <th>account</th>
                  <th>when</th>
                  <th>size</th>
                  <th>status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {bindings.map((b) => (
                  <tr
                    key={b.id}
                    className={selected === b.id ? 'selected' : ''}
                    data-testid="binding-row"
                  >
                    <td>{b.source}</td>
                    <td>{accountName(b.accountId)}</td>
                    <td className="small">
                      consensus ≥ {Math.round(b.rules.minConfidence * 100)} %
                      {b.rules.minAgreeing ? `, ${b.rules.minAgreeing}+ models` : ''};{' '}
                      {b.rules.directions.join(' / ')}
                      {b.rules.allowedSymbols.length
                        ? ` on ${b.rules.allowedSymbols.join(', ')}`
                        : ''}
                    </td>
                    <td className="small">
                      {sizingText(b.rules.sizing)}, ≤ <Num value={b.rules.maxOrderNotional} /> per
                      order
                    </td>
                    <td>
                      <span className={`badge ${b.status === 'active' ? 'ok' : 'warn'}`}>
                        {b.status}
                      </span>
                    </td>
                    <td className="actions">
                      <button type="button" onClick={() => setSelected(b.id)}>
                        Activity
                      </button>
                      <button
                        type="button"
                        onClick={() => void command(b, b.status === 'active' ? 'pause' : 'resume')}
                      >
                        {b.status === 'active' ? 'Pause' : 'Resume'}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => void command(b, 'delete')}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
      </div>
      {selected && <ActionsPanel bindingId={selected} />}
    </div>
  );
}

const sizingText = (s: Sizing) =>
  s.mode === 'fixed_notional'
    ? `${s.notional} per order`
    : s.mode === 'equity_pct'
      ? `${s.pct} % of equity`
      : `models' size, ≤ ${s.capPct} %`;

function ActionsPanel({ bindingId }: { bindingId: string }) {
  const r = useResource<BindingAction[] | { actions: BindingAction[] }>(
    `/api/v1/signals/bindings/${bindingId}/actions`,
  );
  const actions = Array.isArray(r.data) ? r.data : (r.data?.actions ?? []);
  return (
    <Panel
      title="What each decision did"
      testId="binding-actions"
      actions={
        <button type="button" onClick={() => void r.reload()}>
          Refresh
        </button>
      }
    >
      {r.error && <Notice kind="error">{r.error}</Notice>}
      {!actions.length ? (
        <Empty>No decision has reached this rule yet.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>decided</th>
              <th>signal</th>
              <th>consensus</th>
              <th>outcome</th>
              <th>order</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.signalEventId} data-testid="action-row">
                <td className="muted">{fmtTime(a.decidedAt)}</td>
                <td>
                  <span className={`dir ${a.direction}`}>{a.direction}</span> {a.symbol}
                </td>
                <td>
                  <ConsensusTag action={a.consensus.action} />{' '}
                  {Math.round(a.consensus.confidence * 100)} %
                </td>
                <td>
                  <StatusTag status={a.status} />
                  {a.reason && <span className="muted small"> {a.message ?? a.reason}</span>}
                </td>
                <td>
                  {a.order ? (
                    <>
                      <SideTag side={a.order.side} /> <Num value={a.order.quantity} />{' '}
                      {a.order.type}
                      {a.order.price && (
                        <>
                          {' '}
                          @ <Num value={a.order.price} />
                        </>
                      )}{' '}
                      <span className="muted small">{a.order.status}</span>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function BindingForm({ onSaved }: { onSaved: () => void }) {
  const api = useApi();
  const { accounts } = useAccount();
  const { instruments } = useMarket();
  const [source, setSource] = useState('manual');
  const [accountId, setAccountId] = useState('');
  const [minConfidence, setMinConfidence] = useState('60');
  const [minAgreeing, setMinAgreeing] = useState('');
  const [mode, setMode] = useState<Sizing['mode']>('fixed_notional');
  const [size, setSize] = useState('100');
  const [maxOrderNotional, setMaxOrderNotional] = useState('1000');
  const [symbols, setSymbols] = useState<string[]>([]);
  const [directions, setDirections] = useState<Direction[]>(['long', 'short', 'close']);
  const [entryOrder, setEntryOrder] = useState<'market' | 'limit'>('market');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const account =
    accounts.find((a) => a.id === accountId) ?? accounts.find((a) => a.isDefault) ?? accounts[0];

  const toggle = <T,>(list: T[], x: T) =>
    list.includes(x) ? list.filter((y) => y !== x) : [...list, x];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setResult(undefined);
    const confidence = Number(minConfidence.trim());
    const sizing =
      mode === 'fixed_notional'
        ? { mode, notional: size.trim() }
        : mode === 'equity_pct'
          ? { mode, pct: size.trim() }
          : { mode, capPct: size.trim() };
    const body = {
      source: source.trim(),
      accountId: account?.id ?? '',
      rules: {
        // Percent in the form, a fraction on the wire; anything unreadable goes as typed for the API to name.
        minConfidence:
          minConfidence.trim() && Number.isFinite(confidence) ? confidence / 100 : minConfidence,
        minAgreeing: minAgreeing.trim() ? Number(minAgreeing.trim()) : null,
        maxOrderNotional: maxOrderNotional.trim(),
        maxPositionNotional: null,
        sizing,
        allowedSymbols: symbols,
        directions,
        entryOrder,
      },
    };
    try {
      await api.post('/api/v1/signals/bindings', body);
      setResult({
        kind: 'ok',
        text: `Decisions from ${body.source} now trade on ${account?.name ?? 'the account'}.`,
      });
      onSaved();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        const fields: Record<string, string> = {};
        for (const [f, m] of Object.entries(err.fields)) fields[ruleField(f)] = m;
        setErrors(fields);
        const rest = Object.entries(fields).filter(([f]) => !FIELDS.includes(f));
        if (rest.length)
          setResult({
            kind: 'error',
            text: rest.map(([f, m]) => `${f || 'rules'}: ${m}`).join('; '),
          });
      } else setResult({ kind: 'error', text: messageOf(err) });
    }
  }

  return (
    <Panel title="Let a source trade" testId="binding-form">
      <form className="stack" onSubmit={submit} noValidate>
        <div className="row">
          <div className="grow">
            <label htmlFor="bind-source">Source</label>
            <input id="bind-source" value={source} onChange={(e) => setSource(e.target.value)} />
            <FieldError name="source" message={errors.source} />
          </div>
          <div className="grow">
            <label htmlFor="bind-account">Account</label>
            <select
              id="bind-account"
              value={account?.id ?? ''}
              onChange={(e) => setAccountId(e.target.value)}
            >
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
            <FieldError name="accountId" message={errors.accountId} />
          </div>
        </div>
        <div className="row">
          <TextField
            id="bind-confidence"
            label="Least consensus confidence (%)"
            inputMode="decimal"
            value={minConfidence}
            onChange={setMinConfidence}
            name="minConfidence"
            error={errors.minConfidence}
          />
          <TextField
            id="bind-agreeing"
            label="Least models agreeing"
            inputMode="numeric"
            placeholder="any"
            value={minAgreeing}
            onChange={setMinAgreeing}
            name="minAgreeing"
            error={errors.minAgreeing}
          />
        </div>
        <div className="row">
          <div className="grow">
            <label htmlFor="bind-mode">Order size</label>
            <select
              id="bind-mode"
              value={mode}
              onChange={(e) => setMode(e.target.value as Sizing['mode'])}
            >
              <option value="fixed_notional">fixed amount (quote)</option>
              <option value="equity_pct">% of equity</option>
              <option value="model_suggested">models&apos; suggestion, capped at %</option>
            </select>
          </div>
          <TextField
            id="bind-size"
            label={mode === 'fixed_notional' ? 'Amount' : 'Percent'}
            inputMode="decimal"
            value={size}
            onChange={setSize}
            name="sizing"
            error={errors.sizing}
          />
          <TextField
            id="bind-max"
            label="Largest order (quote)"
            inputMode="decimal"
            value={maxOrderNotional}
            onChange={setMaxOrderNotional}
            name="maxOrderNotional"
            error={errors.maxOrderNotional}
          />
        </div>
        <fieldset>
          <legend>Directions</legend>
          {(['long', 'short', 'close'] as const).map((d) => (
            <label key={d} className="check inline">
              <input
                type="checkbox"
                checked={directions.includes(d)}
                onChange={() => setDirections(toggle(directions, d))}
              />{' '}
              {d}
            </label>
          ))}
          <FieldError name="directions" message={errors.directions} />
        </fieldset>
        <fieldset>
          <legend>Instruments (none ticked: all)</legend>
          {instruments.map((i) => (
            <label key={i.symbol} className="check inline">
              <input
                type="checkbox"
                checked={symbols.includes(i.symbol)}
                onChange={() => setSymbols(toggle(symbols, i.symbol))}
              />{' '}
              {i.symbol}
            </label>
          ))}
          <FieldError name="allowedSymbols" message={errors.allowedSymbols} />
        </fieldset>
        <label htmlFor="bind-entry">Order type</label>
        <select
          id="bind-entry"
          value={entryOrder}
          onChange={(e) => setEntryOrder(e.target.value as 'market' | 'limit')}
        >
          <option value="market">market</option>
          <option value="limit">limit at the signal&apos;s entry</option>
        </select>
        <p className="muted small">
          Spot accounts: a long buys, a short sells part of what the account holds, a close sells
          all of it.
        </p>
        {result && (
          <Notice kind={result.kind} testId="binding-result">
            {result.text}
          </Notice>
        )}
        <button type="submit" className="primary">
          Save rule
        </button>
      </form>
    </Panel>
  );
}
