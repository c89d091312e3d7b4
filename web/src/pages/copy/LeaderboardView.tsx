import { useState } from 'react';
import { navigate } from '../../app/router';
import { Empty, Notice, Num, Panel } from '../../components/ui';
import { useResource } from '../../lib/hooks';
import type { LeaderboardRow, LeaderboardSort, StatsWindow } from '../../lib/types';
import { fmtRatio } from './copy-format';

const WINDOWS: StatsWindow[] = ['7d', '30d', '90d', 'all'];

/** Higher is better except for drawdown, as the server ranks by default. */
const FIRST_ORDER: Record<LeaderboardSort, 'asc' | 'desc'> = {
  return: 'desc',
  pnl: 'desc',
  drawdown: 'asc',
  sharpe: 'desc',
  followers: 'desc',
};

/** Leaders ranked by the server; the table only asks for another window or sort order. */
export function LeaderboardView() {
  const [window, setWindow] = useState<StatsWindow>('30d');
  const [sort, setSort] = useState<LeaderboardSort>('return');
  const [order, setOrder] = useState<'asc' | 'desc'>('desc');
  const board = useResource<LeaderboardRow[]>(
    `/api/v1/copy/leaderboard?window=${window}&sort=${sort}&order=${order}&limit=100`,
  );
  const sortBy = (key: LeaderboardSort) => {
    if (key === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(key);
      setOrder(FIRST_ORDER[key]);
    }
  };
  const head = (key: LeaderboardSort, label: string) => (
    <th
      className="r"
      aria-sort={sort === key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="th-sort" onClick={() => sortBy(key)}>
        {label}
        {sort === key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  return (
    <Panel
      title="Leaderboard"
      testId="leaderboard"
      actions={
        <div className="timeframes" role="group" aria-label="Window">
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              className={w === window ? 'on' : ''}
              aria-pressed={w === window}
              onClick={() => setWindow(w)}
            >
              {w === 'all' ? 'All' : w}
            </button>
          ))}
        </div>
      }
    >
      {board.error && <Notice kind="error">{board.error}</Notice>}
      {board.data?.length === 0 && <Empty>No leaders yet.</Empty>}
      {board.data && board.data.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>#</th>
              <th>Leader</th>
              {head('return', 'Return')}
              {head('pnl', 'PnL')}
              {head('drawdown', 'Max drawdown')}
              {head('sharpe', 'Sharpe')}
              {head('followers', 'Followers')}
              <th className="r">Copying</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {board.data.map((r) => (
              <tr key={r.leader.id} data-testid="leader-row" data-leader={r.leader.id}>
                <td className="num muted">{r.rank}</td>
                <td>
                  {r.leader.displayName}
                  {r.leader.status !== 'active' && (
                    <span className="badge warn">{r.leader.status}</span>
                  )}
                  {r.partial && (
                    <span className="badge" title="History is shorter than the window">
                      partial
                    </span>
                  )}
                </td>
                <td className={`r num ${toneOf(r.returnPct)}`}>
                  {fmtRatio(r.returnPct, '%', true)}
                </td>
                <td className="r">
                  <Num value={r.pnl} places={2} plus colored />
                </td>
                <td className="r num">{fmtRatio(r.maxDrawdownPct, '%')}</td>
                <td className="r num">{fmtRatio(r.sharpe)}</td>
                <td className="r num">{r.followers}</td>
                <td className="r">
                  <Num value={r.amountCopying} places={2} />
                </td>
                <td className="actions">
                  <button
                    className="small primary"
                    disabled={r.leader.status !== 'active'}
                    onClick={() => navigate(`/copy/follow/${r.leader.id}`)}
                  >
                    Follow
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small caption">
        Figures come from the leaders&apos; stored equity: return is time-weighted (deposits are not
        return), Sharpe is annualised from daily returns. Amounts are in the followers&apos; account
        currency.
      </p>
    </Panel>
  );
}

const toneOf = (n: number | null) => (n === null || n === 0 ? '' : n > 0 ? 'up' : 'down');
