import { Decimal } from '../../core/decimal.js';
import { periodStart, TIMEFRAME_MS, TIMEFRAMES, type Candle } from './domain/types.js';

/**
 * A restart falls inside the running period of every timeframe longer than a minute. The
 * minutes of that period before the restart are stored, so they are folded into a partial
 * candle and joined to what the new process aggregates: the hour or day spanning a restart
 * then holds all of its trades, not only those after it.
 */

const traded = (c: Candle) => c.trades > 0 || !c.volume.isZero();

/**
 * For each timeframe above 1m whose period around `resumeAt` started earlier, the candle of
 * the stored minutes `[period start, resumeAt)`. `minutes` are 1m candles, oldest first.
 */
export function partialsBefore(minutes: readonly Candle[], resumeAt: number): Candle[] {
  const out: Candle[] = [];
  for (const timeframe of TIMEFRAMES) {
    if (timeframe === '1m') continue;
    const start = periodStart(timeframe, resumeAt);
    const part = minutes.filter((m) => m.openTime >= start && m.openTime < resumeAt);
    const first = part[0];
    const last = part.at(-1);
    if (!first || !last) continue;
    const withTrades = part.filter(traded);
    let high = withTrades[0]?.high ?? last.close;
    let low = withTrades[0]?.low ?? last.close;
    for (const m of withTrades) {
      high = Decimal.max(high, m.high);
      low = Decimal.min(low, m.low);
    }
    out.push({
      venue: first.venue,
      symbol: first.symbol,
      timeframe,
      openTime: start,
      closeTime: start + TIMEFRAME_MS[timeframe] - 1,
      open: withTrades[0]?.open ?? last.close,
      high,
      low,
      close: last.close,
      volume: part.reduce((a, m) => a.add(m.volume), Decimal.ZERO),
      quoteVolume: part.reduce((a, m) => a.add(m.quoteVolume), Decimal.ZERO),
      trades: part.reduce((a, m) => a + m.trades, 0),
      closed: false,
    });
  }
  return out;
}

/** One period's candle from its earlier part `pre` and its later part `post`. */
export function joinCandles(pre: Candle, post: Candle): Candle {
  const a = traded(pre);
  const b = traded(post);
  if (!a) return post;
  return {
    ...post,
    open: pre.open,
    high: b ? Decimal.max(pre.high, post.high) : pre.high,
    low: b ? Decimal.min(pre.low, post.low) : pre.low,
    close: b ? post.close : pre.close,
    volume: pre.volume.add(post.volume),
    quoteVolume: pre.quoteVolume.add(post.quoteVolume),
    trades: pre.trades + post.trades,
  };
}
