import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { isTransient, messageOf } from '../lib/api';
import { RealtimeContext, useApi, useResync } from '../lib/hooks';
import type { Instrument, Ticker } from '../lib/types';

/**
 * Instruments and the 24 h tickers of all of them, kept live. Tickers arrive up to four times a
 * second per instrument; they are gathered and handed to React at most four times a second in
 * all, so a screen of tables does not re-render for every tick.
 */

interface MarketData {
  instruments: Instrument[];
  tickers: Record<string, Ticker>;
  error: string | undefined;
  instrument(symbol: string): Instrument | undefined;
}

const MarketContext = createContext<MarketData | null>(null);
const FLUSH_MS = 250;
const RETRY_MS = 5_000;

export function MarketProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const rt = useContext(RealtimeContext);
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  const [tickers, setTickers] = useState<Record<string, Ticker>>({});
  const [error, setError] = useState<string>();
  const pending = useRef<Record<string, Ticker>>({});

  const loadTickers = () =>
    api
      .get<Ticker[]>('/api/v1/market/tickers')
      .then((list) => setTickers((prev) => ({ ...prev, ...bySymbol(list) })))
      .catch(() => undefined);

  useEffect(() => {
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api
        .get<Instrument[]>('/api/v1/market/instruments')
        .then((list) => {
          setInstruments(list.filter((i) => i.active));
          setError(undefined);
        })
        .catch((err) => {
          setError(messageOf(err));
          if (isTransient(err)) retry = setTimeout(load, RETRY_MS);
        });
    void load();
    void loadTickers();
    return () => clearTimeout(retry);
  }, [api]); // once per session
  useResync(() => void loadTickers());

  const symbols = instruments.map((i) => `${i.venue}|${i.symbol}`).join(',');
  useEffect(() => {
    if (!rt || !symbols) return;
    const offs = symbols.split(',').map((s) => {
      const [venue, symbol] = s.split('|') as [string, string];
      return rt.subscribe({ channel: 'ticker', venue, symbol }, (d) => {
        const t = d as Ticker;
        pending.current[t.symbol] = t;
      });
    });
    const flush = setInterval(() => {
      const batch = pending.current;
      pending.current = {};
      if (Object.keys(batch).length) setTickers((prev) => ({ ...prev, ...batch }));
    }, FLUSH_MS);
    return () => {
      offs.forEach((off) => off());
      clearInterval(flush);
    };
  }, [rt, symbols]);

  const value: MarketData = {
    instruments,
    tickers,
    error,
    instrument: (symbol) => instruments.find((i) => i.symbol === symbol),
  };
  return <MarketContext.Provider value={value}>{children}</MarketContext.Provider>;
}

const bySymbol = (list: Ticker[]) => Object.fromEntries(list.map((t) => [t.symbol, t]));

export function useMarket(): MarketData {
  const m = useContext(MarketContext);
  if (!m) throw new Error('useMarket outside <MarketProvider>');
  return m;
}
