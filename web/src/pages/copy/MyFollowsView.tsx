import { useState, type ReactNode } from 'react';
import { Link } from '../../app/router';
import { Empty, Notice, Num, Panel, SideTag } from '../../components/ui';
import { messageOf } from '../../lib/api';
import { fmt, fmtDateTime } from '../../lib/format';
import { useApi, useChannel, useInterval, useResource, useResync } from '../../lib/hooks';
import type { CopyTrade, Fill, Follow, Leader } from '../../lib/types';
import { shortId, words } from './copy-format';

/**
 * Copies are recorded after the venue answers, and a skip moves no money, so no channel
 * announces them: the trades of live follows are read again every few seconds.
 */
const TRADES_MS = 5_000;

export function MyFollowsView() {
  const follows = useResource<Follow[]>('/api/v1/copy/follows');
  const leaders = useResource<Leader[]>('/api/v1/copy/leaders?limit=200');
  useResync(() => void follows.reload());
  const nameOf = (id: string) => leaders.data?.find((l) => l.id === id)?.displayName ?? shortId(id);
  return (
    <div data-testid="my-follows">
      {follows.error && <Notice kind="error">{follows.error}</Notice>}
      {follows.data?.length === 0 && (
        <Panel title="My follows">
          <Empty>
            You follow no one yet. <Link to="/copy">Pick a leader on the leaderboard</Link>.
          </Empty>
        </Panel>
      )}
      {follows.data?.map((f) => (
        <FollowPanel
          key={f.id}
          follow={f}
          leaderName={nameOf(f.leaderId)}
          onChange={() => void follows.reload()}
        />
      ))}
    </div>
  );
}

function FollowPanel(props: { follow: Follow; leaderName: string; onChange: () => void }) {
  const api = useApi();
  const f = props.follow;
  const [confirm, setConfirm] = useState(false);
  const [closePositions, setClosePositions] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const live = f.status !== 'ended';

  const command = async (path: string, body?: unknown) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await api.post(`/api/v1/copy/follows/${f.id}/${path}`, body);
      setConfirm(false);
      props.onChange();
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const s = f.settings;
  const sizing =
    s.mode === 'fixed_ratio'
      ? `ratio ${fmt(s.ratio, { maxPlaces: 8 })}`
      : s.mode === 'fixed_amount'
        ? `${fmt(s.amountPerTrade, { maxPlaces: 8 })} ${f.currency} per trade`
        : s.mode === 'equity_cap'
          ? `proportional, cap ${fmt(s.equityCapPct, { maxPlaces: 4 })}% of equity`
          : 'proportional to equity';

  return (
    <Panel
      testId="follow"
      title={
        <>
          {props.leaderName}
          <span
            className={`badge ${f.status === 'active' ? '' : 'warn'}`}
            data-testid="follow-status"
          >
            {words(f.status)}
          </span>
        </>
      }
      actions={
        live && (
          <>
            {f.status === 'active' && (
              <button className="small" disabled={busy} onClick={() => void command('pause')}>
                Pause
              </button>
            )}
            {f.status === 'paused' && (
              <button className="small" disabled={busy} onClick={() => void command('resume')}>
                Resume
              </button>
            )}
            {!confirm && (
              <button className="small danger" disabled={busy} onClick={() => setConfirm(true)}>
                Unfollow
              </button>
            )}
          </>
        )
      }
    >
      {confirm && (
        <Notice kind="info">
          Stop copying {props.leaderName} for good? Fees are settled a last time.
          <div className="secret">
            <label className="check">
              <input
                type="checkbox"
                checked={closePositions}
                onChange={(e) => setClosePositions(e.target.checked)}
              />
              Close copied positions now
            </label>
            <button
              className="small danger"
              disabled={busy}
              onClick={() => void command('unfollow', { closePositions })}
            >
              Unfollow
            </button>
            <button className="small" onClick={() => setConfirm(false)}>
              Keep following
            </button>
          </div>
        </Notice>
      )}
      {problem && <Notice kind="error">{problem}</Notice>}
      <dl className="stats follow-stats">
        <Stat label="Sizing">{sizing}</Stat>
        <Stat label="Allocated">
          <Num value={s.allocatedAmount} maxPlaces={8} suffix={f.currency} />
        </Stat>
        <Stat label="Max order">
          {s.maxOrderNotional ? <Num value={s.maxOrderNotional} maxPlaces={8} /> : 'no limit'}
        </Stat>
        <Stat label="Slippage">
          {s.maxSlippagePct ? `${fmt(s.maxSlippagePct, { maxPlaces: 4 })}%` : 'default'}
        </Stat>
        <Stat label="Copies">{words(s.copyMode)}</Stat>
        <Stat label="Drawdown stop">
          {s.drawdownStopPct
            ? `${fmt(s.drawdownStopPct, { maxPlaces: 4 })}%${s.closeOnDrawdownStop ? ', closes' : ''}`
            : 'none'}
        </Stat>
        <Stat label="Realized">
          <Num value={f.copied.realizedPnl} places={2} plus colored />
        </Stat>
        <Stat label="Unrealized">
          <Num value={f.copied.unrealizedPnl} places={2} plus colored />
        </Stat>
        <Stat label="Fees paid">
          <Num
            value={sumFees(f.fees.performanceCharged, f.fees.subscriptionCharged)}
            maxPlaces={8}
          />
        </Stat>
      </dl>
      <p className="muted small caption">
        Since {fmtDateTime(f.startedAt)}
        {f.endedAt ? `, ended ${fmtDateTime(f.endedAt)}` : ''} · account {shortId(f.accountId)}
      </p>
      <CopiedTrades followId={f.id} live={live} />
    </Panel>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Both charges in one figure only when one of them is zero: the sum needs no arithmetic. */
function sumFees(performance: string, subscription: string): string {
  if (/^0(\.0*)?$/.test(subscription)) return performance;
  if (/^0(\.0*)?$/.test(performance)) return subscription;
  return `${performance} + ${subscription}`;
}

function CopiedTrades({ followId, live }: { followId: string; live: boolean }) {
  const trades = useResource<CopyTrade[]>(`/api/v1/copy/follows/${followId}/trades?limit=50`);
  useResync(() => void trades.reload());
  useInterval(() => {
    if (live) void trades.reload();
  }, TRADES_MS);
  // A fill of this account is usually a copy: read at once rather than at the next round.
  useChannel<Fill>(live ? { channel: 'fills' } : undefined, () => void trades.reload());
  return (
    <>
      <h3 className="subhead">Copied trades</h3>
      {trades.error && <Notice kind="error">{trades.error}</Notice>}
      {trades.data?.length === 0 && <Empty>No leader fills since you started following.</Empty>}
      {trades.data && trades.data.length > 0 && (
        <table className="grid copied-trades">
          <thead>
            <tr>
              <th>Time</th>
              <th>Symbol</th>
              <th>Side</th>
              <th className="r">Leader price</th>
              <th className="r">Leader size</th>
              <th className="r">Copy price</th>
              <th className="r">Copy size</th>
              <th className="r">Slippage</th>
              <th className="r">Latency</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {trades.data.map((t) => (
              <tr
                key={t.id}
                data-testid="copy-trade"
                data-status={t.status}
                className={t.status === 'copied' ? '' : 'dim'}
              >
                <td className="num muted">{fmtDateTime(t.leaderFill?.ts ?? t.createdAt)}</td>
                <td>{t.symbol}</td>
                <td>
                  <SideTag side={t.side} />{' '}
                  <span className="muted">{t.kind === 'copy' ? t.action : words(t.kind)}</span>
                </td>
                <td className="r">
                  <Num value={t.leaderFill?.price} maxPlaces={8} />
                </td>
                <td className="r">
                  <Num value={t.leaderFill?.quantity} maxPlaces={8} />
                </td>
                <td className="r">
                  <Num value={t.order?.averagePrice ?? t.order?.limitPrice} maxPlaces={8} />
                </td>
                <td className="r">
                  <Num value={t.order?.filledQuantity ?? t.order?.quantity} maxPlaces={8} />
                </td>
                <td className="r num">
                  {t.slippagePct === null
                    ? '—'
                    : `${fmt(t.slippagePct, { places: 3, plus: true })}%`}
                </td>
                <td className="r num">{t.latencyMs === null ? '—' : `${t.latencyMs} ms`}</td>
                <td data-testid="copy-trade-status">
                  <span className={`badge ${t.status === 'copied' ? 'ok' : 'warn'}`}>
                    {t.status}
                  </span>
                  {t.reason && (
                    <span className="reason" title={t.message ?? undefined}>
                      {' '}
                      <code>{t.reason}</code> {t.message}
                    </span>
                  )}
                  {t.cappedBy && t.status === 'copied' && (
                    <span className="muted"> capped by {words(t.cappedBy)}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
