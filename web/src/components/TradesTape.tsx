import { useEffect, useState } from 'react';
import { fmt, fmtTime } from '../lib/format';
import { useChannel } from '../lib/hooks';
import type { Instrument, Trade } from '../lib/types';
import { Empty, Panel } from './ui';

const KEEP = 40;

/** The market's latest prints, newest on top (there is no history endpoint: it starts empty). */
export function TradesTape({ instrument: i }: { instrument: Instrument }) {
  const [trades, setTrades] = useState<Trade[]>([]);
  useEffect(() => setTrades([]), [i]);
  useChannel<Trade>({ channel: 'trades', symbol: i.symbol, venue: i.venue }, (t) =>
    setTrades((list) => [t, ...list].slice(0, KEEP)),
  );
  return (
    <Panel title="Recent trades" className="tape" testId="trades">
      {trades.length === 0 ? (
        <Empty>Waiting for trades…</Empty>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th className="r">Price ({i.quote})</th>
              <th className="r">Size ({i.base})</th>
              <th className="r">Time</th>
            </tr>
          </thead>
          <tbody>
            {trades.map((t) => (
              <tr key={t.id}>
                <td className={`r num ${t.side === 'buy' ? 'up' : 'down'}`}>
                  {fmt(t.price, { places: i.pricePrecision })}
                </td>
                <td className="r num">{fmt(t.quantity, { maxPlaces: i.quantityPrecision })}</td>
                <td className="r num muted">{fmtTime(t.ts)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
