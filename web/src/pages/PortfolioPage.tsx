import { useMemo } from 'react';
import {
  AccountSummary,
  BalancesTable,
  FillsTable,
  PositionsTable,
} from '../components/AccountTables';
import { EquityChart } from '../components/EquityChart';
import { Empty, Notice, Panel } from '../components/ui';
import { fmtDateTime } from '../lib/format';
import { useResource, useResync } from '../lib/hooks';
import type { EquitySeries } from '../lib/types';
import { useAccount, type EquitySample } from '../state/account';

/** A day of snapshots at the default interval of a minute. */
const STORED_POINTS = 1_440;

/** 60000 → 'minute', 300000 → '5 minutes', 15000 → '15 seconds'. */
function every(ms: number): string {
  const [n, unit] = ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  return n === 1 ? unit : `${n} ${unit}s`;
}

export function PortfolioPage() {
  const { accounts, equityHistory, loaded, error } = useAccount();
  const main = accounts.find((a) => a.isDefault) ?? accounts[0];
  const series = useResource<EquitySeries>(
    main ? `/api/v1/trading/accounts/${main.id}/equity?limit=${STORED_POINTS}` : undefined,
  );
  useResync(() => void series.reload());
  const points = series.data?.points;
  const { line, stored, live } = useMemo(() => {
    const stored = (points ?? []).map((p): EquitySample => ({
      at: Date.parse(p.ts),
      equity: p.equity,
      stored: true,
    }));
    // Before the newest snapshot the stored series is the record; after it, this tab's values.
    const newest = stored.at(-1)?.at ?? -Infinity;
    const live = equityHistory.filter((s) => s.at > newest);
    return { line: [...stored, ...live], stored: stored.length, live: live.length };
  }, [points, equityHistory]);
  return (
    <div className="page portfolio">
      <h1>Portfolio</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && accounts.length === 0 && <Empty>No trading account yet.</Empty>}
      {accounts.map((a) => (
        <Panel
          key={a.id}
          title={
            <>
              {a.name.toLowerCase() === a.venue ? `${a.name} account` : `${a.name} · ${a.venue}`}
              {a.isDefault && <span className="badge">default</span>}
              {a.tradingState !== 'active' && <span className="badge warn">{a.tradingState}</span>}
            </>
          }
          actions={<span className="muted small">opened {fmtDateTime(a.createdAt)}</span>}
        >
          <AccountSummary account={a} />
        </Panel>
      ))}
      <Panel
        title="Equity"
        actions={
          <span className="muted small">
            {stored} stored · {live} live
          </span>
        }
      >
        <EquityChart samples={line} />
        <p className="muted small caption">
          The server values the account and stores its equity every{' '}
          {every(series.data?.intervalMs ?? 60_000)}; the line shows the latest of those points (up
          to a day&apos;s worth at one a minute), then the values this tab reads every 10 seconds
          and after each fill.
        </p>
      </Panel>
      <div className="two-col positions">
        <PositionsTable />
        <BalancesTable />
      </div>
      <FillsTable title="Fill history" />
    </div>
  );
}
