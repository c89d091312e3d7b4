import { useEffect, useState } from 'react';
import { fmt } from '../lib/format';
import { useApi, useChannel, useResync } from '../lib/hooks';
import type { BookTop, Instrument } from '../lib/types';
import { Panel } from './ui';

/** Best bid and ask; clicking a price puts it in the order ticket. */
export function BookTopPanel(props: { instrument: Instrument; onPrice: (price: string) => void }) {
  const api = useApi();
  const i = props.instrument;
  const [top, setTop] = useState<BookTop>();
  const load = () => {
    const q = new URLSearchParams({ symbol: i.symbol, venue: i.venue });
    api
      .get<BookTop>(`/api/v1/market/book?${q}`)
      .then(setTop)
      .catch(() => setTop(undefined));
  };
  useEffect(load, [api, i]);
  useResync(load);
  useChannel<BookTop>({ channel: 'book', symbol: i.symbol, venue: i.venue }, setTop);
  const current = top?.symbol === i.symbol ? top : undefined;
  const price = { places: i.pricePrecision };
  const size = { maxPlaces: i.quantityPrecision };
  return (
    <Panel title="Best bid / ask" testId="book">
      <div className="book">
        <button
          className="book-side ask"
          onClick={() => current && props.onPrice(current.askPrice)}
        >
          <span className="label">Ask</span>
          <span className="num down" data-testid="best-ask">
            {fmt(current?.askPrice, price)}
          </span>
          <span className="num muted">{fmt(current?.askSize, size)}</span>
        </button>
        <button
          className="book-side bid"
          onClick={() => current && props.onPrice(current.bidPrice)}
        >
          <span className="label">Bid</span>
          <span className="num up" data-testid="best-bid">
            {fmt(current?.bidPrice, price)}
          </span>
          <span className="num muted">{fmt(current?.bidSize, size)}</span>
        </button>
      </div>
    </Panel>
  );
}
