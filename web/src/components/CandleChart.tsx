import {
  CandlestickSeries,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useRef, useState } from 'react';
import { isTransient } from '../lib/api';
import { useApi, useChannel, useResync } from '../lib/hooks';
import { placesOf } from '../lib/format';
import type { Candle, Instrument, Timeframe } from '../lib/types';
import { chartLayout, COLORS, localTime } from './chart-theme';

/**
 * Candles and volume of one instrument: history over REST, then the running candle and each
 * closed one from the `candles` channel. Prices become numbers here and only here, because a
 * chart needs coordinates; what the user reads as text stays in the server's decimals.
 */
export function CandleChart({
  instrument,
  timeframe,
}: {
  instrument: Instrument;
  timeframe: Timeframe;
}) {
  const api = useApi();
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi>(undefined);
  const candles = useRef<ISeriesApi<'Candlestick'>>(undefined);
  const volume = useRef<ISeriesApi<'Histogram'>>(undefined);
  const last = useRef(0);
  const [state, setState] = useState<'loading' | 'ready' | 'empty' | string>('loading');
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, { ...chartLayout, autoSize: true });
    chart.current = c;
    candles.current = c.addSeries(CandlestickSeries, {
      upColor: COLORS.up,
      downColor: COLORS.down,
      borderVisible: false,
      wickUpColor: COLORS.up,
      wickDownColor: COLORS.down,
    });
    volume.current = c.addSeries(HistogramSeries, {
      priceFormat: { type: 'volume' },
      priceScaleId: '',
      lastValueVisible: false,
      priceLineVisible: false,
    });
    volume.current.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    return () => {
      c.remove();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    const precision = placesOf(instrument.tickSize);
    candles.current?.applyOptions({
      priceFormat: { type: 'price', precision, minMove: Number(instrument.tickSize) },
    });
    chart.current?.applyOptions({ localization: { timeFormatter: localTime(timeframe) } });
  }, [instrument, timeframe]);

  useEffect(() => {
    let current = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setState('loading');
    last.current = 0;
    const q = new URLSearchParams({
      symbol: instrument.symbol,
      venue: instrument.venue,
      timeframe,
      limit: '500',
    });
    api
      .get<{ candles: Candle[] }>(`/api/v1/market/candles?${q}`)
      .then(({ candles: list }) => {
        if (!current) return;
        candles.current?.setData(list.map(toBar));
        volume.current?.setData(list.map(toVolume));
        last.current = list.at(-1)?.openTime ?? 0;
        chart.current?.timeScale().scrollToRealTime();
        setState(list.length ? 'ready' : 'empty');
      })
      .catch((err: Error) => {
        if (!current) return;
        setState(err.message);
        if (isTransient(err)) retry = setTimeout(() => setGeneration((g) => g + 1), 5_000);
      });
    return () => {
      current = false;
      clearTimeout(retry);
    };
  }, [api, instrument, timeframe, generation]);

  useResync(() => setGeneration((g) => g + 1));
  useChannel<Candle>(
    { channel: 'candles', symbol: instrument.symbol, venue: instrument.venue, timeframe },
    (c) => {
      // Live candles may overtake the history request; older periods are already drawn.
      if (c.openTime < last.current) return;
      last.current = c.openTime;
      candles.current?.update(toBar(c));
      volume.current?.update(toVolume(c));
      setState((s) => (s === 'empty' ? 'ready' : s));
    },
  );

  return (
    <div className="chart" data-testid="chart">
      <div ref={box} className="chart-canvas" />
      {state !== 'ready' && (
        <div className="chart-overlay">
          {state === 'loading'
            ? 'Loading candles…'
            : state === 'empty'
              ? 'No trades yet in this period; candles appear as the market trades.'
              : state}
        </div>
      )}
    </div>
  );
}

const time = (ms: number) => (ms / 1000) as UTCTimestamp as Time;

const toBar = (c: Candle) => ({
  time: time(c.openTime),
  open: Number(c.open),
  high: Number(c.high),
  low: Number(c.low),
  close: Number(c.close),
});

const toVolume = (c: Candle) => ({
  time: time(c.openTime),
  value: Number(c.volume),
  color: Number(c.close) >= Number(c.open) ? COLORS.upFaint : COLORS.downFaint,
});
