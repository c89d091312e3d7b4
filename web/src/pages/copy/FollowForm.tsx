import { useState, type FormEvent } from 'react';
import { navigate } from '../../app/router';
import { FieldError, Notice, Panel } from '../../components/ui';
import { ApiError, messageOf } from '../../lib/api';
import { fmt } from '../../lib/format';
import { useApi, useResource } from '../../lib/hooks';
import type { AllocationMode, CopyMode, Follow, Leader } from '../../lib/types';
import { useAccount } from '../../state/account';

const MODES: Array<[AllocationMode, string]> = [
  ['fixed_ratio', 'Fixed ratio of the leader’s size'],
  ['proportional', 'Proportional to equity'],
  ['fixed_amount', 'Fixed amount per trade'],
  ['equity_cap', 'Proportional, capped at % of equity'],
];

/** The one parameter each mode takes, under the field name the API checks. */
const PARAMETER: Record<AllocationMode, { field: string; label: string; hint: string } | null> = {
  fixed_ratio: { field: 'ratio', label: 'Ratio', hint: 'leader quantity × ratio, e.g. 0.5' },
  proportional: null,
  fixed_amount: { field: 'amountPerTrade', label: 'Amount per trade', hint: 'e.g. 100' },
  equity_cap: { field: 'equityCapPct', label: 'Equity cap (%)', hint: '1–100' },
};

const COPY_MODES: Array<[CopyMode, string]> = [
  ['both', 'Opens and closes'],
  ['opens_only', 'Opens only'],
  ['closes_only', 'Closes only'],
];

/** Fields the form shows, each with its own error line; the rest go in the banner. */
const FIELDS = [
  'leaderId',
  'accountId',
  'mode',
  'ratio',
  'amountPerTrade',
  'amount',
  'equityCapPct',
  'allocatedAmount',
  'maxOrderNotional',
  'maxSlippagePct',
  'copyMode',
  'drawdownStopPct',
  'closeOnDrawdownStop',
];

/**
 * Following a leader. As in the order ticket, the server checks every value (ranges, the
 * allocation against equity, the leader's state) and the form shows each refusal under the
 * field it names; optional limits left empty are not sent, so the server's defaults apply.
 */
export function FollowForm({ leaderId: initial }: { leaderId: string | undefined }) {
  const api = useApi();
  const { accounts } = useAccount();
  const leaders = useResource<Leader[]>('/api/v1/copy/leaders?limit=200');
  const [leaderId, setLeaderId] = useState(initial ?? '');
  const [accountId, setAccountId] = useState('');
  const [mode, setMode] = useState<AllocationMode>('fixed_ratio');
  const [parameter, setParameter] = useState('');
  const [allocated, setAllocated] = useState('');
  const [maxNotional, setMaxNotional] = useState('');
  const [slippage, setSlippage] = useState('');
  const [copyMode, setCopyMode] = useState<CopyMode>('both');
  const [drawdown, setDrawdown] = useState('');
  const [closeOnStop, setCloseOnStop] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  // Copying is a paper-trading feature: the default account is the paper one.
  const paper = accounts.filter((a) => a.venue === 'paper');
  const choices = paper.length ? paper : accounts;
  const account =
    choices.find((a) => a.id === accountId) ?? choices.find((a) => a.isDefault) ?? choices[0];
  const param = PARAMETER[mode];
  const leader = leaders.data?.find((l) => l.id === leaderId);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setProblem(undefined);
    const body: Record<string, unknown> = {
      leaderId,
      mode,
      allocatedAmount: allocated.trim(),
      copyMode,
    };
    if (account) body.accountId = account.id;
    if (param) body[param.field] = parameter.trim();
    if (maxNotional.trim()) body.maxOrderNotional = maxNotional.trim();
    if (slippage.trim()) body.maxSlippagePct = slippage.trim();
    if (drawdown.trim()) {
      body.drawdownStopPct = drawdown.trim();
      body.closeOnDrawdownStop = closeOnStop;
    }
    try {
      await api.post<Follow>('/api/v1/copy/follow', body);
      navigate('/copy/follows');
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields);
        const rest = Object.entries(err.fields).filter(([f]) => !FIELDS.includes(f));
        if (rest.length) setProblem(rest.map(([f, m]) => (f ? `${f}: ${m}` : m)).join('; '));
      } else setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const input = (
    id: string,
    field: string,
    value: string,
    set: (v: string) => void,
    placeholder?: string,
  ) => (
    <>
      <input
        id={id}
        inputMode="decimal"
        autoComplete="off"
        placeholder={placeholder}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={Boolean(errors[field])}
      />
      <FieldError name={field} message={errors[field]} />
    </>
  );
  const currency = account?.currency ?? '';

  return (
    <div className="two-col wide-left">
      <Panel
        title={leader ? `Follow ${leader.displayName}` : 'Follow a leader'}
        testId="follow-form"
      >
        <form onSubmit={submit} className="stack" noValidate>
          <label htmlFor="follow-leader">Leader</label>
          <select
            id="follow-leader"
            value={leaderId}
            onChange={(e) => setLeaderId(e.target.value)}
            aria-invalid={Boolean(errors.leaderId)}
          >
            <option value="">Choose a leader…</option>
            {leaders.data?.map((l) => (
              <option key={l.id} value={l.id} disabled={l.status !== 'active'}>
                {l.displayName}
                {l.status !== 'active' ? ` (${l.status})` : ''}
              </option>
            ))}
          </select>
          <FieldError name="leaderId" message={errors.leaderId} />

          <label htmlFor="follow-account">Account</label>
          <select
            id="follow-account"
            value={account?.id ?? ''}
            onChange={(e) => setAccountId(e.target.value)}
            aria-invalid={Boolean(errors.accountId)}
          >
            {choices.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} · equity {fmt(a.equity, { places: 2 })} {a.currency}
              </option>
            ))}
          </select>
          <FieldError name="accountId" message={errors.accountId} />

          <label htmlFor="follow-mode">Allocation</label>
          <select
            id="follow-mode"
            value={mode}
            onChange={(e) => {
              setMode(e.target.value as AllocationMode);
              setParameter('');
            }}
          >
            {MODES.map(([m, label]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
          <FieldError name="mode" message={errors.mode} />

          {param && (
            <>
              <label htmlFor="follow-parameter">
                {param.label}
                {param.field === 'amountPerTrade' && currency ? ` (${currency})` : ''}
              </label>
              {input('follow-parameter', param.field, parameter, setParameter, param.hint)}
              {param.field === 'amountPerTrade' && (
                <FieldError name="amount" message={errors.amount} />
              )}
            </>
          )}

          <label htmlFor="follow-allocated">Allocated amount ({currency})</label>
          {input('follow-allocated', 'allocatedAmount', allocated, setAllocated, 'e.g. 1000')}

          <div className="row">
            <div className="grow">
              <label htmlFor="follow-max-notional">Max order notional (optional)</label>
              {input(
                'follow-max-notional',
                'maxOrderNotional',
                maxNotional,
                setMaxNotional,
                'no limit',
              )}
            </div>
            <div className="grow">
              <label htmlFor="follow-slippage">Max slippage % (optional)</label>
              {input(
                'follow-slippage',
                'maxSlippagePct',
                slippage,
                setSlippage,
                '0.5 BTC/ETH, else 1.5',
              )}
            </div>
          </div>

          <label htmlFor="follow-copy-mode">Copy</label>
          <select
            id="follow-copy-mode"
            value={copyMode}
            onChange={(e) => setCopyMode(e.target.value as CopyMode)}
          >
            {COPY_MODES.map(([m, label]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
          <FieldError name="copyMode" message={errors.copyMode} />

          <label htmlFor="follow-drawdown">Drawdown stop % of allocation (optional)</label>
          {input(
            'follow-drawdown',
            'drawdownStopPct',
            drawdown,
            setDrawdown,
            '1–99, none if empty',
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={closeOnStop}
              disabled={!drawdown.trim()}
              onChange={(e) => setCloseOnStop(e.target.checked)}
            />
            Close copied positions when the stop triggers
          </label>
          <FieldError name="closeOnDrawdownStop" message={errors.closeOnDrawdownStop} />

          {problem && (
            <Notice kind="error" testId="follow-problem">
              {problem}
            </Notice>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Sending…' : 'Start copying'}
          </button>
        </form>
      </Panel>
      <Panel title="How copying works">
        {leader && (
          <p>
            <strong>{leader.displayName}</strong>
            {leader.description ? ` — ${leader.description}` : ''}
            <br />
            <span className="muted">
              Fees: {fmt(leader.fees.performanceFeePct, { maxPlaces: 4 })}% of profit above the
              high-water mark
              {leader.fees.subscription
                ? `, plus ${fmt(leader.fees.subscription.amount, { maxPlaces: 8 })} every ${leader.fees.subscription.periodDays} days`
                : ''}
              . {leader.followers} following.
            </span>
          </p>
        )}
        <p className="muted small">
          Each fill of the leader is copied as a limit order that fills now or not at all, at most
          the slippage allowance away from the leader&apos;s price. Buys open or add to a copied
          position; sells close the same fraction of it that the leader closed. Amounts are in your
          account&apos;s currency, and every percentage is a percent: 0.5 means 0.5 %.
        </p>
        <p className="muted small">
          The allocated amount bounds what the copies may hold at cost; the drawdown stop ends
          copying once the copies have lost that share of it.
        </p>
      </Panel>
    </div>
  );
}
