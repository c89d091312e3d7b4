import { useEffect, useState } from 'react';
import { fmt, fmtTime } from '../lib/format';
import { useApi, useChannel, useResync } from '../lib/hooks';
import type { Instrument, RecentTrades, Trade } from '../lib/types';
import { Empty, Panel } from './ui';

const KEEP = 40;

// A synthetic market numbers its trades afresh after a restart, so an id alone may repeat.
const keyOf = (t: Trade) => `${t.ts}:${t.id}`;

/** Both lists newest first; so is the result, without repeats and at most KEEP long. */
function merge(a: Trade[], b: Trade[]): Trade[] {
  const seen = new Set<string>();
  const out: Trade[] = [];
  for (const t of [...a, ...b].sort((x, y) => y.ts - x.ts)) {
    if (seen.has(keyOf(t))) continue;
    seen.add(keyOf(t));
    if (out.push(t) === KEEP) break;
  }
  return out;
}

/**
 * The market's latest prints, newest on top: the server's recent trades on opening (and after
 * a reconnect), then each one from the `trades` channel. Live prints that overtake the request
 * are kept; the answer fills in below them.
 */
export function TradesTape({ instrument: i }: { instrument: Instrument }) {
  const api = useApi();
  const [trades, setTrades] = useState<Trade[]>([]);
  const [generation, setGeneration] = useState(0);
  useEffect(() => setTrades([]), [i]);
  useEffect(() => {
    let current = true;
    const q = new URLSearchParams({ symbol: i.symbol, venue: i.venue, limit: String(KEEP) });
    api
      .get<RecentTrades>(`/api/v1/market/trades?${q}`)
      .then(({ trades: recent }) => {
        if (current) setTrades((live) => merge(live, [...recent].reverse()));
      })
      .catch(() => {
        // The live channel still fills the tape; the next reconnect asks again.
      });
    return () => {
      current = false;
    };
  }, [api, i, generation]);
  useResync(() => setGeneration((g) => g + 1));
  useChannel<Trade>({ channel: 'trades', symbol: i.symbol, venue: i.venue }, (t) =>
    setTrades((list) => merge([t], list)),
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
              <tr key={keyOf(t)} data-testid="trade">
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
