import type { ReactNode } from 'react';
import { fmt, fmtPercent, tone } from '../lib/format';
import type { Instrument } from '../lib/types';
import { useMarket } from '../state/market';
import { useMove } from './TickerStrip';

/** The chosen instrument: a selector, its last price and its 24 h statistics. */
export function MarketHeader(props: {
  instrument: Instrument;
  onSelect: (symbol: string) => void;
}) {
  const { instruments, tickers } = useMarket();
  const i = props.instrument;
  const t = tickers[i.symbol];
  const move = useMove(t?.last);
  const p = { places: i.pricePrecision };
  return (
    <div className="market-header">
      <select
        className="symbol-select"
        aria-label="Instrument"
        value={i.symbol}
        onChange={(e) => props.onSelect(e.target.value)}
      >
        {instruments.map((x) => (
          <option key={`${x.venue}:${x.symbol}`} value={x.symbol}>
            {x.symbol}
          </option>
        ))}
      </select>
      <div className={`last-price num ${move}`} data-testid="last-price">
        {t ? fmt(t.last, p) : '—'}
      </div>
      <dl className="stats">
        <Stat label="24h change">
          <span className={tone(t?.change24h)}>
            {t
              ? `${fmt(t.change24h, { ...p, plus: true })} (${fmtPercent(t.changePercent24h)})`
              : '—'}
          </span>
        </Stat>
        <Stat label="24h high">{fmt(t?.high24h, p)}</Stat>
        <Stat label="24h low">{fmt(t?.low24h, p)}</Stat>
        <Stat label={`24h volume (${i.base})`}>{fmt(t?.volume24h, { maxPlaces: 4 })}</Stat>
        <Stat label={`24h volume (${i.quote})`}>{fmt(t?.quoteVolume24h, { places: 0 })}</Stat>
        <Stat label="Venue">{i.venue}</Stat>
      </dl>
    </div>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd className="num">{children}</dd>
    </div>
  );
}
