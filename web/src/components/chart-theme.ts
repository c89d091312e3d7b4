import {
  ColorType,
  CrosshairMode,
  type ChartOptions,
  type DeepPartial,
  type Time,
} from 'lightweight-charts';

/** Colours shared by the charts and the stylesheet (see styles.css :root). */
export const COLORS = {
  background: '#0f131a',
  text: '#8b96a5',
  grid: '#1a212b',
  border: '#232b36',
  up: '#1fbf75',
  down: '#f0506e',
  upFaint: 'rgba(31, 191, 117, 0.35)',
  downFaint: 'rgba(240, 80, 110, 0.35)',
  accent: '#4c8dff',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** Axis and crosshair times in the viewer's own time zone (the chart's data are UTC). */
export function localTime(timeframe = '1m') {
  return (t: Time) => {
    const d = new Date((t as number) * 1000);
    const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    return timeframe === '1d' ? day : `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
}

function tickMark(t: Time, type: number): string {
  const d = new Date((t as number) * 1000);
  // TickMarkType: 0 year, 1 month, 2 day of month, 3 time, 4 time with seconds.
  if (type === 0) return String(d.getFullYear());
  if (type === 1) return d.toLocaleString(undefined, { month: 'short' });
  if (type === 2) return `${d.getDate()} ${d.toLocaleString(undefined, { month: 'short' })}`;
  if (type === 4) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const chartLayout: DeepPartial<ChartOptions> = {
  layout: {
    background: { type: ColorType.Solid, color: COLORS.background },
    textColor: COLORS.text,
    fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    fontSize: 11,
    // Its logo adds an inline <style>, which the page's policy refuses; credit is given in text.
    attributionLogo: false,
  },
  grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
  rightPriceScale: { borderColor: COLORS.border },
  timeScale: {
    borderColor: COLORS.border,
    timeVisible: true,
    secondsVisible: false,
    tickMarkFormatter: tickMark,
    rightOffset: 8,
    barSpacing: 9,
  },
  crosshair: { mode: CrosshairMode.Normal },
  localization: { timeFormatter: localTime() },
};
