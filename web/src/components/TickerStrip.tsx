import { useEffect, useRef, useState } from 'react';
import { Link } from '../app/router';
import { compare, fmt, fmtPercent, symbolToPath, tone } from '../lib/format';
import type { Instrument, Ticker } from '../lib/types';
import { useMarket } from '../state/market';

/** Every instrument's last price, 24 h change and volume, live; a click opens its market. */
export function TickerStrip({ selected }: { selected?: string }) {
  const { instruments, tickers } = useMarket();
  return (
    <nav className="ticker-strip" data-testid="ticker-strip" aria-label="Instruments">
      {instruments.map((i) => (
        <TickerCell
          key={`${i.venue}:${i.symbol}`}
          instrument={i}
          ticker={tickers[i.symbol]}
          active={i.symbol === selected}
        />
      ))}
    </nav>
  );
}

function TickerCell(props: {
  instrument: Instrument;
  ticker: Ticker | undefined;
  active: boolean;
}) {
  const { instrument: i, ticker: t } = props;
  const move = useMove(t?.last);
  return (
    <Link
      to={`/market/${symbolToPath(i.symbol)}`}
      className={`ticker-cell ${props.active ? 'active' : ''}`}
    >
      <span className="ticker-symbol">{i.symbol}</span>
      <span
        className={`ticker-last num ${move}`}
        data-testid={`ticker-last-${symbolToPath(i.symbol)}`}
      >
        {t ? fmt(t.last, { places: i.pricePrecision }) : '—'}
      </span>
      <span className={`ticker-change num ${tone(t?.changePercent24h)}`}>
        {fmtPercent(t?.changePercent24h)}
      </span>
      <span className="ticker-volume muted">
        Vol {t ? fmt(t.volume24h, { maxPlaces: 2 }) : '—'} {i.base}
      </span>
    </Link>
  );
}

/** 'up' or 'down' by the value's last move, as exchanges colour a last price. */
export function useMove(value: string | undefined): string {
  const prev = useRef(value);
  const [move, setMove] = useState('');
  useEffect(() => {
    const before = prev.current;
    prev.current = value;
    if (!value || !before) return;
    const c = compare(value, before);
    if (c !== 0) setMove(c > 0 ? 'up' : 'down');
  }, [value]);
  return move;
}
