import { useState } from 'react';
import { navigate } from '../app/router';
import {
  AccountSummary,
  BalancesTable,
  FillsTable,
  PositionsTable,
} from '../components/AccountTables';
import { BookTopPanel } from '../components/BookTopPanel';
import { CandleChart } from '../components/CandleChart';
import { MarketHeader } from '../components/MarketHeader';
import { OpenOrders } from '../components/OpenOrders';
import { OrderTicket } from '../components/OrderTicket';
import { TickerStrip } from '../components/TickerStrip';
import { TradesTape } from '../components/TradesTape';
import { Notice } from '../components/ui';
import { symbolFromPath, symbolToPath } from '../lib/format';
import { TIMEFRAMES, type Timeframe } from '../lib/types';
import { useMarket } from '../state/market';

const TIMEFRAME_KEY = 'obscura.timeframe';

function storedTimeframe(): Timeframe {
  const t = localStorage.getItem(TIMEFRAME_KEY);
  return (TIMEFRAMES as readonly string[]).includes(t ?? '') ? (t as Timeframe) : '1m';
}

export function MarketPage({ params }: { params: Record<string, string> }) {
  const { instruments, instrument, error } = useMarket();
  const [timeframe, setTimeframe] = useState<Timeframe>(storedTimeframe);
  const [price, setPrice] = useState<{ symbol: string; value: string; at: number }>();
  const symbol = params.symbol ? symbolFromPath(params.symbol) : instruments[0]?.symbol;
  const i = symbol ? instrument(symbol) : undefined;

  if (!instruments.length)
    return error ? (
      <Notice kind="error">{error}</Notice>
    ) : (
      <p className="loading">Loading markets…</p>
    );
  if (!i)
    return (
      <>
        <TickerStrip />
        <Notice kind="error">There is no instrument {symbol}; pick one above.</Notice>
      </>
    );

  const chooseTimeframe = (t: Timeframe) => {
    setTimeframe(t);
    localStorage.setItem(TIMEFRAME_KEY, t);
  };
  return (
    <div className="market-page">
      <TickerStrip selected={i.symbol} />
      <div className="market-grid">
        <div className="main-col">
          <section className="panel chart-panel">
            <MarketHeader instrument={i} onSelect={(s) => navigate(`/market/${symbolToPath(s)}`)} />
            <div className="timeframes" role="tablist" aria-label="Timeframe">
              {TIMEFRAMES.map((t) => (
                <button
                  key={t}
                  role="tab"
                  aria-selected={t === timeframe}
                  className={t === timeframe ? 'on' : ''}
                  onClick={() => chooseTimeframe(t)}
                >
                  {t}
                </button>
              ))}
            </div>
            <CandleChart instrument={i} timeframe={timeframe} />
            <p className="attribution">
              Charts by{' '}
              <a href="https://www.tradingview.com/" target="_blank" rel="noopener noreferrer">
                TradingView Lightweight Charts™
              </a>
            </p>
          </section>
          <AccountSummary />
          <OpenOrders />
          <div className="two-col positions">
            <PositionsTable />
            <BalancesTable />
          </div>
          <FillsTable limit={50} />
        </div>
        <aside className="side-col">
          {/* One ticket per instrument: nothing typed for one carries over to another. */}
          <OrderTicket key={i.symbol} instrument={i} price={price} />
          <BookTopPanel
            instrument={i}
            onPrice={(value) => setPrice({ symbol: i.symbol, value, at: Date.now() })}
          />
          <TradesTape instrument={i} />
        </aside>
      </div>
    </div>
  );
}
