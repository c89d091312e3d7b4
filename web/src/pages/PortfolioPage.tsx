import {
  AccountSummary,
  BalancesTable,
  FillsTable,
  PositionsTable,
} from '../components/AccountTables';
import { EquityChart } from '../components/EquityChart';
import { Empty, Notice, Panel } from '../components/ui';
import { fmtDateTime } from '../lib/format';
import { useAccount } from '../state/account';

export function PortfolioPage() {
  const { accounts, equityHistory, loaded, error } = useAccount();
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
        title="Equity while this tab is open"
        actions={
          <span className="muted small">
            {equityHistory.length} {equityHistory.length === 1 ? 'sample' : 'samples'}
          </span>
        }
      >
        <EquityChart samples={equityHistory} />
        <p className="muted small caption">
          The server keeps no equity history yet: this tab samples the account&apos;s equity every
          10 seconds and after each fill, from the moment it was opened. Reloading starts a new
          line.
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
