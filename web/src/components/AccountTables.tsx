import type { ReactNode } from 'react';
import { fmt, fmtDateTime, signOf } from '../lib/format';
import type { Account } from '../lib/types';
import { useAccount } from '../state/account';
import { useMarket } from '../state/market';
import { Empty, Num, Panel, SideTag } from './ui';

const money = { places: 2 };

/** Equity and its parts for one account (the default one unless given). */
export function AccountSummary({ account }: { account?: Account }) {
  const { accounts } = useAccount();
  const a = account ?? accounts.find((x) => x.isDefault) ?? accounts[0];
  if (!a) return null;
  const c = a.currency;
  return (
    <div className="summary" data-testid="account-summary">
      <Figure label="Equity" big testId="equity">
        <Num value={a.equity} {...money} suffix={c} />
      </Figure>
      <Figure label="Cash">
        <Num value={a.cash} {...money} suffix={c} />
      </Figure>
      <Figure label="Positions value">
        <Num value={a.positionsValue} {...money} suffix={c} />
      </Figure>
      <Figure label="Unrealized PnL">
        <Num value={a.unrealizedPnl} {...money} plus colored />
      </Figure>
      <Figure label="Realized PnL">
        <Num value={a.realizedPnl} {...money} plus colored />
      </Figure>
      <Figure label="Fees paid">
        <Num value={a.feesPaid} {...money} />
      </Figure>
      {a.missingMarks.length > 0 && (
        <p className="muted small">No price yet for {a.missingMarks.join(', ')}: valued at cost.</p>
      )}
    </div>
  );
}

function Figure(props: { label: string; big?: boolean; testId?: string; children: ReactNode }) {
  return (
    <div className={`figure ${props.big ? 'big' : ''}`} data-testid={props.testId}>
      <span className="label">{props.label}</span>
      {props.children}
    </div>
  );
}

export function BalancesTable() {
  const { balances } = useAccount();
  const shown = balances.filter((b) => signOf(b.total) !== 0 || b.currency === 'USDT');
  return (
    <Panel title="Balances" testId="balances">
      {shown.length === 0 ? (
        <Empty>No balances yet.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Asset</th>
              <th className="r">Free</th>
              <th className="r">Held</th>
              <th className="r">Total</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((b) => (
              <tr key={`${b.accountId}:${b.currency}`} data-testid={`balance-${b.currency}`}>
                <td>{b.currency}</td>
                <td className="r num" data-testid="free">
                  {fmt(b.available, { maxPlaces: 8, minPlaces: 2 })}
                </td>
                <td className="r num muted">{fmt(b.held, { maxPlaces: 8, minPlaces: 2 })}</td>
                <td className="r num" data-testid="total">
                  {fmt(b.total, { maxPlaces: 8, minPlaces: 2 })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function PositionsTable() {
  const { positions } = useAccount();
  const { instrument } = useMarket();
  const open = positions.filter((p) => signOf(p.quantity) !== 0 || signOf(p.realizedPnl) !== 0);
  return (
    <Panel title="Positions" testId="positions">
      {open.length === 0 ? (
        <Empty>No positions. A filled buy opens one.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Symbol</th>
              <th className="r">Quantity</th>
              <th className="r">Avg cost</th>
              <th className="r">Mark</th>
              <th className="r">Unrealized PnL</th>
              <th className="r">Realized PnL</th>
            </tr>
          </thead>
          <tbody>
            {open.map((p) => {
              const i = instrument(p.symbol);
              const price = { places: i?.pricePrecision ?? 2 };
              return (
                <tr
                  key={`${p.accountId}:${p.venue}:${p.symbol}`}
                  data-testid="position"
                  data-symbol={p.symbol}
                >
                  <td>{p.symbol}</td>
                  <td className="r num">
                    {fmt(p.quantity, { maxPlaces: i?.quantityPrecision ?? 8 })}
                  </td>
                  <td className="r num">{fmt(p.averageCost, price)}</td>
                  <td className="r num">{fmt(p.markPrice, price)}</td>
                  <td className="r">
                    <Num value={p.unrealizedPnl} {...money} plus colored />
                  </td>
                  <td className="r">
                    <Num value={p.realizedPnl} {...money} plus colored />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function FillsTable({ title = 'Recent fills', limit }: { title?: string; limit?: number }) {
  const { fills } = useAccount();
  const { instrument } = useMarket();
  const shown = limit ? fills.slice(0, limit) : fills;
  return (
    <Panel title={title} testId="fills">
      {shown.length === 0 ? (
        <Empty>No fills yet.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Time</th>
              <th>Symbol</th>
              <th>Side</th>
              <th className="r">Price</th>
              <th className="r">Quantity</th>
              <th className="r">Fee</th>
              <th>Liquidity</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => {
              const i = instrument(f.symbol);
              return (
                <tr key={f.id} data-testid="fill">
                  <td className="muted num">{fmtDateTime(f.ts)}</td>
                  <td>{f.symbol}</td>
                  <td>
                    <SideTag side={f.side} />
                  </td>
                  <td className="r num">{fmt(f.price, { places: i?.pricePrecision ?? 2 })}</td>
                  <td className="r num">
                    {fmt(f.quantity, { maxPlaces: i?.quantityPrecision ?? 8 })}
                  </td>
                  <td className="r num muted">
                    {fmt(f.fee, { maxPlaces: 8 })} {f.feeCurrency}
                  </td>
                  <td className="muted">{f.liquidity}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
