import {
  AreaSeries,
  createChart,
  type IChartApi,
  type ISeriesApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import type { EquitySample } from '../state/account';
import { chartLayout, COLORS } from './chart-theme';

/** A line of equity samples; numbers only as chart coordinates. */
export function EquityChart({ samples }: { samples: EquitySample[] }) {
  const stored = samples.filter((s) => s.stored).length;
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi>(undefined);
  const series = useRef<ISeriesApi<'Area'>>(undefined);

  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, {
      ...chartLayout,
      autoSize: true,
      timeScale: { ...chartLayout.timeScale, secondsVisible: true },
    });
    chart.current = c;
    series.current = c.addSeries(AreaSeries, {
      lineColor: COLORS.accent,
      topColor: 'rgba(76, 141, 255, 0.35)',
      bottomColor: 'rgba(76, 141, 255, 0.02)',
      lineWidth: 2,
      priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
    });
    return () => c.remove();
  }, []);

  useEffect(() => {
    // One point per second: the chart needs strictly increasing times.
    const bySecond = new Map<number, number>();
    for (const s of samples) bySecond.set(Math.floor(s.at / 1000), Number(s.equity));
    const points = [...bySecond].map(([t, value]) => ({ time: t as UTCTimestamp as Time, value }));
    // A single point draws as a flat block; the overlay explains the wait instead.
    series.current?.setData(points.length > 1 ? points : []);
    chart.current?.timeScale().fitContent();
  }, [samples]);

  return (
    <div className="chart equity">
      <div
        ref={box}
        className="chart-canvas"
        data-testid="equity-chart"
        data-stored={stored}
        data-samples={samples.length}
      />
      {samples.length < 2 && (
        <div className="chart-overlay">
          No equity history yet: the line starts with the next value.
        </div>
      )}
    </div>
  );
}
